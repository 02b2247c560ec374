using Dapper;
using Microsoft.Extensions.Options;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;
using Whistle.Core.Telemetry;

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
/// Fires the escalation chain's steps (催办 → 督办) when they fall due. The next step of every open
/// assignment lives in the database (<c>assignments.next_step_*</c>), so the chain survives restarts and
/// a dispatcher that was down fires what fell due meanwhile, once. A step fires under the whistle's row
/// lock with a conditional update on the step it saw: of several dispatchers exactly one fires it, and
/// an action that committed first (a report) has already moved the chain, so no step follows it.
/// </summary>
public sealed partial class DeadlineScheduler(
    WhistleDatabase database,
    CountyCatalogHolder county,
    TimeProvider time,
    IOptions<DeadlineOptions> options,
    ILogger<DeadlineScheduler> logger) : BackgroundService
{
    private const string DueSql = "SELECT id FROM assignments WHERE next_step_at IS NOT NULL AND next_step_at <= @Now ORDER BY next_step_at";

    private static string FirstDueSql(SqlDialect dialect) => dialect.Limit(DueSql) + ";";

    private const string NextDueSql = "SELECT MIN(next_step_at) FROM assignments WHERE next_step_at IS NOT NULL;";

    private const string FireSql = """
        UPDATE assignments
        SET next_step_at = @NextAt, next_step_kind = @NextKind, next_step_level = @NextLevel,
            reminder_count = reminder_count + @Reminded, escalation_count = escalation_count + @Escalated,
            last_escalated_at = CASE WHEN @Escalated = 1 THEN @Now ELSE last_escalated_at END
        WHERE id = @Id AND next_step_at = @DueAt AND next_step_kind = @DueKind AND next_step_level = @DueLevel AND status = @Status;
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = options.Value.PollInterval;
            try
            {
                await RunDueAsync(stoppingToken);
                var nextDue = await database.ReadAsync(c => c.ExecuteScalarAsync<object?>(NextDueSql), stoppingToken);
                if (nextDue is not null and not DBNull)
                {
                    var until = new DateTimeOffsetHandler().Parse(nextDue) - time.GetUtcNow();
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
            var now = time.GetUtcNow();
            var take = options.Value.BatchSize;
            var due = (await database.ReadAsync(
                c => c.QueryAsync<string>(database.Dialect.Sql(FirstDueSql), new { Now = now, Take = take }),
                cancellationToken)).ToList();
            foreach (var id in due)
            {
                if (await FireAsync(id, cancellationToken))
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

    private async Task<bool> FireAsync(string assignmentId, CancellationToken cancellationToken) =>
        await database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                var before = await WhistleData.GetAssignmentAsync(unit.Connection, assignmentId, unit.Transaction);
                if (before is null)
                {
                    return false;
                }

                using var scope = logger.BeginScope(WhistleTelemetry.Scope(before.WhistleId, assignmentId));
                using var activity = WhistleTelemetry.Source.StartActivity("deadline step");
                activity?.SetTag(WhistleTelemetry.WhistleIdTag, before.WhistleId);
                activity?.SetTag("whistle.assignment.id", assignmentId);
                var whistle = await WhistleData.GetWhistleForUpdateAsync(unit, before.WhistleId);
                var assignment = await WhistleData.GetAssignmentAsync(unit.Connection, assignmentId, unit.Transaction);
                if (whistle is null || assignment?.NextStepAt is not { } dueAt || dueAt > now)
                {
                    return false; // fired by another dispatcher, or moved on by an action meanwhile
                }

                var settings = county.Catalog.Escalation;
                var phase = EscalationPolicy.PhaseOf(assignment.Status);
                if (phase is null || whistle.Status is WhistleStatus.Closed or WhistleStatus.Cancelled)
                {
                    await WhistleData.SetNextStepAsync(unit, assignment.Id, null);
                    unit.Complete();
                    return false;
                }

                var due = new EscalationStep(assignment.NextStepKind ?? EscalationPolicy.Escalate, phase, assignment.NextStepLevel ?? 1, dueAt);
                var fire = EscalationPolicy.MostAdvancedDue(assignment.Clock, due, now, settings);
                var next = EscalationPolicy.NextAfter(assignment.Clock, now, settings);
                var escalated = fire.Kind == EscalationPolicy.Escalate ? 1 : 0;
                var rows = await unit.Connection.ExecuteAsync(
                    FireSql,
                    new
                    {
                        assignment.Id,
                        NextAt = next?.At,
                        NextKind = next?.Kind,
                        NextLevel = next?.Level,
                        Reminded = 1 - escalated,
                        Escalated = escalated,
                        Now = now,
                        DueAt = dueAt,
                        DueKind = assignment.NextStepKind,
                        DueLevel = assignment.NextStepLevel,
                        assignment.Status,
                    },
                    unit.Transaction);
                if (rows != 1)
                {
                    return false;
                }

                var updated = (await WhistleData.GetAssignmentAsync(unit.Connection, assignment.Id, unit.Transaction))!;
                await Timeline.AppendAsync(
                    unit,
                    new WhistleEvent(
                        0,
                        escalated == 1 ? WhistleEventTypes.AssignmentEscalated : WhistleEventTypes.AssignmentReminded,
                        whistle.Id,
                        assignment.Id,
                        now,
                        WhistleData.SystemActor(county.Catalog.County.Id),
                        whistle.ToSummary(),
                        updated.ToSnapshot(),
                        null,
                        new EscalationStepInfo(fire.Phase, fire.Level)),
                    Timeline.Audience(whistle.TownshipId, [(assignment.AgencyCode, assignment.BranchId)]),
                    now);
                unit.Complete();
                LogFired(logger, fire.Kind, fire.Phase, fire.Level, assignment.Id, whistle.Id);
                return true;
            },
            cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fired {Kind} ({Phase}, level {Level}) for assignment {AssignmentId} of whistle {WhistleId}.")]
    private static partial void LogFired(ILogger logger, string kind, string phase, int level, string assignmentId, string whistleId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The deadline scheduler failed; it tries again shortly.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
