using Microsoft.Extensions.Options;
using Whistle.Core.County;

namespace Whistle.Dispatcher;

/// <summary>
/// The establishment office's follow-ups' clock (issue 17), in the chains' one scheduling loop (<see cref="StepScheduler"/>,
/// <c>Whistle:Deadlines</c>, the injected <see cref="TimeProvider"/>): fires each due step of a follow-up's chain
/// (催办 → 督办) through its owner (<see cref="FollowUpStore.Chain"/>), once.
/// </summary>
public sealed class FollowUpScheduler(
    FollowUpStore followUps,
    TimeProvider time,
    IOptions<DeadlineOptions> options,
    ILogger<FollowUpScheduler> logger) : StepScheduler(time, options, logger)
{
    protected override string Name => "follow-up";

    protected override Task RunRoundAsync(CancellationToken cancellationToken) => RunDueAsync(cancellationToken);

    protected override async Task<IReadOnlyList<DateTimeOffset?>> NextDueAsync(CancellationToken cancellationToken) =>
        [await followUps.Chain.NextStepDueAsync(cancellationToken)];

    /// <summary>Fires every follow-up step due now; answers how many fired.</summary>
    public Task<int> RunDueAsync(CancellationToken cancellationToken) =>
        FireInBatchesAsync((now, take) => followUps.Chain.DueStepsAsync(now, take, cancellationToken), step => followUps.Chain.FireStepAsync(step.Id, cancellationToken));
}
