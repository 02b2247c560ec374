using Whistle.Core.County;

namespace Whistle.Core.Domain;

/// <summary>One duty the dispatcher creates: an agency's branch in the township, or the agency itself.</summary>
public sealed record RoutedDuty(
    string AgencyCode,
    string? BranchId,
    string Role,
    DateTimeOffset ReportBy,
    DateTimeOffset ResolveBy);

public static class Routing
{
    /// <summary>
    /// Routes a matter raised in a township (PRODUCT.md §4): the matter's lead and co-handling
    /// agencies, then the agencies the township summoned, each to the agency's branch stationed in
    /// that township, or to the agency itself where it has none there (<see cref="Summoning"/>). An agency appears once.
    /// </summary>
    public static IReadOnlyList<RoutedDuty> Route(
        CountyCatalog catalog,
        string matterCode,
        string townshipId,
        string urgency,
        IEnumerable<string> extraAgencyCodes,
        DateTimeOffset dispatchedAt)
    {
        var matter = catalog.FindMatter(matterCode)
            ?? throw new InvalidOperationException($"Unknown matter '{matterCode}'.");
        var limits = matter.LimitsFor(urgency);
        var reportBy = dispatchedAt.AddMinutes(limits.ReportWithinMinutes);
        var resolveBy = dispatchedAt.AddMinutes(limits.ResolveWithinMinutes);

        var wanted = matter.Agencies
            .OrderBy(a => a.Role == AssignmentRole.Lead ? 0 : 1)
            .Select(a => (a.AgencyCode, a.Role))
            .Concat(extraAgencyCodes.Select(code => (AgencyCode: code, Role: AssignmentRole.Summoned)));

        var duties = new List<RoutedDuty>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (agencyCode, role) in wanted)
        {
            if (!seen.Add(agencyCode))
            {
                continue;
            }

            // The raising township summons: the one rule of who may put work on whom keeps it in the township.
            var choice = Summoning.Choose(catalog, Roles.Township, townshipId, townshipId, agencyCode, null);
            if (!choice.Allowed)
            {
                throw new InvalidOperationException(choice.Problem?.Detail);
            }

            duties.Add(new RoutedDuty(agencyCode, choice.Unit!.BranchId, role, reportBy, resolveBy));
        }

        return duties;
    }
}
