using Microsoft.Extensions.Options;
using Whistle.Core.Telemetry;
using Whistle.Core.Whistles;

namespace Whistle.Dispatcher;

/// <summary><c>Whistle:Deadlines</c>.</summary>
public sealed class DeadlineOptions
{
    public const string Section = "Whistle:Deadlines";

    /// <summary>The longest the scheduler sleeps between looks at the next due step.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public int BatchSize { get; set; } = 100;
}

/// <summary>
/// Fires the escalation chain's steps (催办 → 督办) when they fall due, through the whistle's owner
/// (<see cref="WhistleStore.FireStepAsync"/>: the chain lives in the rows, a step fires once under the whistle's lock).
/// A dispatcher that was down fires what fell due meanwhile, once.
/// </summary>
public sealed partial class DeadlineScheduler(
    WhistleStore whistles,
    TimeProvider time,
    IOptions<DeadlineOptions> options,
    ILogger<DeadlineScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = options.Value.PollInterval;
            try
            {
                await RunDueAsync(stoppingToken);
                if (await whistles.NextStepDueAsync(stoppingToken) is { } nextDue)
                {
                    var until = nextDue - time.GetUtcNow();
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

    /// <summary>Fires every step due now; returns how many fired.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken)
    {
        var fired = 0;
        while (true)
        {
            var take = options.Value.BatchSize;
            var due = await whistles.DueStepsAsync(time.GetUtcNow(), take, cancellationToken);
            foreach (var step in due)
            {
                if (await FireAsync(step, cancellationToken))
                {
                    fired++;
                }
            }

            if (due.Count < take)
            {
                return fired;
            }
        }
    }

    private async Task<bool> FireAsync(DueStep step, CancellationToken cancellationToken)
    {
        using var scope = logger.BeginScope(WhistleTelemetry.Scope(step.WhistleId, step.AssignmentId));
        using var activity = WhistleTelemetry.Source.StartActivity("deadline step");
        activity?.SetTag(WhistleTelemetry.WhistleIdTag, step.WhistleId);
        activity?.SetTag("whistle.assignment.id", step.AssignmentId);
        if (await whistles.FireStepAsync(step, cancellationToken) is not { } fired)
        {
            return false;
        }

        LogFired(logger, fired.Kind, fired.Phase, fired.Level, step.AssignmentId, step.WhistleId);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fired {Kind} ({Phase}, level {Level}) for assignment {AssignmentId} of whistle {WhistleId}.")]
    private static partial void LogFired(ILogger logger, string kind, string phase, int level, string assignmentId, string whistleId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The deadline scheduler failed; it tries again shortly.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
