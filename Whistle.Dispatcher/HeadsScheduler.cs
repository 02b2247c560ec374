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
    ILogger<HeadsScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = options.Value.PollInterval;
            try
            {
                await RunDueAsync(stoppingToken);
                foreach (var next in new[] { await forms.NextStepDueAsync(stoppingToken), await recommendations.NextStepDueAsync(stoppingToken), await submissions.NextStepDueAsync(stoppingToken) })
                {
                    if (next is not { } at) continue;
                    var until = at - time.GetUtcNow();
                    delay = until < TimeSpan.Zero ? TimeSpan.Zero : until < delay ? until : delay;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex);
            }

            try
            {
                await Task.Delay(delay + TimeSpan.FromMilliseconds(10), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Closes the periods that ended and fires every step due now; answers (forms issued, steps fired).</summary>
    public async Task<(int Issued, int Fired)> RunDueAsync(CancellationToken cancellationToken)
    {
        var issued = await forms.ClosePeriodsAsync(cancellationToken);
        if (issued > 0) LogIssued(logger, issued);
        var fired = 0;
        var take = options.Value.BatchSize;
        while (true)
        {
            var due = await forms.DueStepsAsync(time.GetUtcNow(), take, cancellationToken);
            foreach (var step in due)
            {
                if (await forms.FireStepAsync(step.Id, cancellationToken)) fired++;
            }

            if (due.Count < take) break;
        }

        while (true)
        {
            var due = await recommendations.DueStepsAsync(time.GetUtcNow(), take, cancellationToken);
            foreach (var step in due)
            {
                if (await recommendations.FireStepAsync(step.Id, cancellationToken)) fired++;
            }

            if (due.Count < take) break;
        }

        // An institution's submissions awaiting a department's answer (issue 17): the same chain.
        while (true)
        {
            var due = await submissions.DueStepsAsync(time.GetUtcNow(), take, cancellationToken);
            foreach (var step in due)
            {
                if (await submissions.FireStepAsync(step.Id, cancellationToken)) fired++;
            }

            if (due.Count < take) break;
        }

        return (issued, fired);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed an assessment period: {Count} forms issued to the townships.")]
    private static partial void LogIssued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The heads scheduler failed; it tries again shortly.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
