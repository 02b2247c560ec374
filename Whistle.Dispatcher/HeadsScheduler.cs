using Microsoft.Extensions.Options;
using Whistle.Core.City;
using Whistle.Core.Heads;

namespace Whistle.Dispatcher;

/// <summary>
/// The branch heads' clock (issue 16), beside the escalation scheduler and on the same settings
/// (<c>Whistle:Deadlines</c>) and the same injected <see cref="TimeProvider"/>: closes each assessment period once it has
/// ended (<see cref="AssessmentFormStore.ClosePeriodsAsync"/>: one pre-filled form per township and stationed branch), and
/// fires the due steps of the forms', recommendations' and (issue 17) institutions' submissions' chains (催办 → 督办)
/// through their owners, each once.
/// </summary>
public sealed partial class HeadsScheduler(
    AssessmentFormStore forms,
    RecommendationStore recommendations,
    SubmissionStore submissions,
    TimeProvider time,
    IOptions<DeadlineOptions> options,
    ILogger<HeadsScheduler> logger) : StepScheduler(time, options, logger)
{
    protected override string Name => "heads";

    protected override Task RunRoundAsync(CancellationToken cancellationToken) => RunDueAsync(cancellationToken);

    protected override async Task<IReadOnlyList<DateTimeOffset?>> NextDueAsync(CancellationToken cancellationToken) =>
        [await forms.Chain.NextStepDueAsync(cancellationToken), await recommendations.Chain.NextStepDueAsync(cancellationToken), await submissions.Chain.NextStepDueAsync(cancellationToken)];

    /// <summary>Closes the periods that ended and fires every step due now; answers (forms issued, steps fired).</summary>
    public async Task<(int Issued, int Fired)> RunDueAsync(CancellationToken cancellationToken)
    {
        var issued = await forms.ClosePeriodsAsync(cancellationToken);
        if (issued > 0) LogIssued(logger, issued);
        var fired = await FireInBatchesAsync((now, take) => forms.Chain.DueStepsAsync(now, take, cancellationToken), step => forms.Chain.FireStepAsync(step.Id, cancellationToken));
        fired += await FireInBatchesAsync((now, take) => recommendations.Chain.DueStepsAsync(now, take, cancellationToken), step => recommendations.Chain.FireStepAsync(step.Id, cancellationToken));
        // An institution's submissions awaiting a department's answer (issue 17): the same chain, through their owner.
        fired += await FireInBatchesAsync((now, take) => submissions.Chain.DueStepsAsync(now, take, cancellationToken), step => submissions.Chain.FireStepAsync(step.Id, cancellationToken));
        return (issued, fired);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed an assessment period: {Count} forms issued to the townships.")]
    private static partial void LogIssued(ILogger logger, int count);
}
