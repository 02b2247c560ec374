using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Core.Heads;

/// <summary>
/// The escalation chain of a heads duty (a township's form, the answer to a recommendation or a consultation): the
/// duties' chain (<see cref="DutyChain"/>) with the county's reminder share, and 督办 repeated every
/// <see cref="HeadsSettings.RepeatEveryHours"/> until the duty is done.
/// </summary>
public static class HeadsChain
{
    public static EscalationSettings Settings(CountyCatalog catalog) => catalog.Heads.Chain(catalog.Escalation);
}
