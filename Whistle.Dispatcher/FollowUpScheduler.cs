using Microsoft.Extensions.Options;
using Whistle.Core.County;

namespace Whistle.Dispatcher;

/// <summary>
/// The establishment office's follow-ups' clock (issue 17), beside the escalation and heads schedulers and on the same
/// settings (<c>Whistle:Deadlines</c>) and injected <see cref="TimeProvider"/>: fires each due step of a follow-up's chain
/// (催办 → 督办) through its owner (<see cref="FollowUpStore.FireStepAsync"/>), once.
/// </summary>
public sealed partial class FollowUpScheduler(
    FollowUpStore followUps,
    TimeProvider time,
    IOptions<DeadlineOptions> options,
    ILogger<FollowUpScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = options.Value.PollInterval;
            try
            {
                await RunDueAsync(stoppingToken);
                if (await followUps.NextStepDueAsync(stoppingToken) is { } at)
                {
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

    /// <summary>Fires every follow-up step due now; answers how many fired.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken)
    {
        var fired = 0;
        var take = options.Value.BatchSize;
        while (true)
        {
            var due = await followUps.DueStepsAsync(time.GetUtcNow(), take, cancellationToken);
            foreach (var step in due)
            {
                if (await followUps.FireStepAsync(step.Id, cancellationToken)) fired++;
            }

            if (due.Count < take) return fired;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The follow-up scheduler failed; it tries again shortly.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
