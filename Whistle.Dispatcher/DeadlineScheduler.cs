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
    ILogger<DeadlineScheduler> logger) : StepScheduler(time, options, logger)
{
    protected override string Name => "deadline";

    protected override Task RunRoundAsync(CancellationToken cancellationToken) => RunDueAsync(cancellationToken);

    protected override async Task<IReadOnlyList<DateTimeOffset?>> NextDueAsync(CancellationToken cancellationToken) =>
        [await whistles.NextStepDueAsync(cancellationToken)];

    /// <summary>Fires every step due now; returns how many fired.</summary>
    public Task<int> RunDueAsync(CancellationToken cancellationToken) =>
        FireInBatchesAsync((now, take) => whistles.DueStepsAsync(now, take, cancellationToken), step => FireAsync(step, cancellationToken));

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
}
