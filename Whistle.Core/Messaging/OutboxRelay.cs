using System.Diagnostics;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Contracts;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Core.Telemetry;

namespace Whistle.Core.Messaging;

/// <summary>
/// Publishes committed outbox rows to the bus, oldest first, with the row's message id (consumers
/// de-duplicate on it). Woken in-process after each commit; polls as a fallback. Several instances
/// share the table: each claims a batch for a while, so a row is published by one relay at a time.
/// </summary>
public sealed partial class OutboxRelay(
    WhistleDatabase database,
    OutboxSignal signal,
    IBus bus,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private readonly string _relayId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private DateTimeOffset _lastCleanup = DateTimeOffset.MinValue;

    // The outbox is one ordered stream: a relay claims the oldest unsent rows only while no other relay
    // holds a live claim, so batches go out one after another in commit order (and so in order per
    // whistle), whichever instance relays them. A relay that dies loses its claim when it expires.
    // The relay's own bookkeeping (claims and sent marks) commits with synchronous = NORMAL: no fsync of its
    // own; it becomes durable with the next business commit. A power loss may lose the last claims (a claim
    // is a lease anyway) or sent marks (those rows are published again: at-least-once, consumers are
    // idempotent); it never loses a whistle, whose transaction commits with FULL (every connection is opened
    // with FULL, see WhistleDatabase). A crash of the process alone loses nothing in WAL mode.
    private const string ClaimSqlite = """
        PRAGMA synchronous = NORMAL;
        UPDATE outbox SET locked_by = @RelayId, locked_until = @Until, attempts = attempts + 1
        WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT @BatchSize)
          AND NOT EXISTS (
              SELECT 1 FROM outbox o
              WHERE o.sent_at IS NULL AND o.locked_by IS NOT NULL AND o.locked_by <> @RelayId AND o.locked_until >= @Now);
        SELECT id, message_id AS MessageId, message_type AS MessageType, body, trace_parent AS TraceParent FROM outbox
        WHERE locked_by = @RelayId AND sent_at IS NULL ORDER BY id;
        """;

    private const string ClaimSqlServer = """
        BEGIN TRANSACTION;
        EXEC sp_getapplock @Resource = N'whistle-outbox-claim', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 10000;
        UPDATE outbox SET locked_by = @RelayId, locked_until = @Until, attempts = attempts + 1
        WHERE id IN (SELECT TOP (@BatchSize) id FROM outbox WHERE sent_at IS NULL ORDER BY id)
          AND NOT EXISTS (
              SELECT 1 FROM outbox o
              WHERE o.sent_at IS NULL AND o.locked_by IS NOT NULL AND o.locked_by <> @RelayId AND o.locked_until >= @Now);
        COMMIT TRANSACTION;
        SELECT id, message_id AS MessageId, message_type AS MessageType, body, trace_parent AS TraceParent FROM outbox
        WHERE locked_by = @RelayId AND sent_at IS NULL ORDER BY id;
        """;

    private const string MarkSentSqlite = "PRAGMA synchronous = NORMAL; UPDATE outbox SET sent_at = @Now, locked_by = NULL, locked_until = NULL WHERE id IN @Ids;";

    private const string MarkSentSqlServer = "UPDATE outbox SET sent_at = @Now, locked_by = NULL, locked_until = NULL WHERE id IN @Ids;";

    private const string CleanupSql = "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < @Before;";

    private const string OldestUnsentSql = "SELECT MIN(created_at) FROM outbox WHERE sent_at IS NULL;";

    private sealed record OutboxRow(long Id, string MessageId, string MessageType, string Body, string? TraceParent);

    /// <summary>When publishing last failed (null: never), for health checks.</summary>
    public DateTimeOffset? LastFailure { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await RelayBatchAsync(settings, stoppingToken);
                failures = 0;
                if (published > 0)
                {
                    // Drain: rows may have committed meanwhile, here or in another process whose relay found
                    // this relay's claim live and went back to waiting. Claim again at once rather than
                    // leaving them to the next commit or the poll interval.
                    continue;
                }

                await CleanupAsync(settings, stoppingToken);
                await signal.WaitAsync(settings.PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                LastFailure = time.GetUtcNow();
                LogRelayFailed(logger, ex, failures);
                var backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, 200 * Math.Pow(2, Math.Min(failures, 8))));
                await Task.Delay(backoff, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Claims and publishes one batch; returns how many rows it published.</summary>
    public async Task<int> RelayBatchAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = await database.ReadAsync(
            async connection => (await connection.QueryAsync<OutboxRow>(
                database.Sql(ClaimSqlite, ClaimSqlServer),
                new { RelayId = _relayId, Until = now + settings.ClaimTimeout, Now = now, settings.BatchSize })).ToList(),
            cancellationToken);
        // Publish the whole batch in order (each publish confirmed by the broker), then mark it sent in one
        // statement: one database write per batch instead of one per row between consecutive publishes.
        // Publish still comes before mark-sent; a crash in between publishes the unmarked rows again
        // (at-least-once, and every consumer is idempotent).
        var published = new List<long>(rows.Count);
        try
        {
            foreach (var row in rows)
            {
                var type = MessageTypes.Resolve(row.MessageType);
                var message = JsonSerializer.Deserialize(row.Body, type, MessageTypes.Json)
                    ?? throw new InvalidOperationException($"Outbox row {row.Id} has an empty body.");
                var messageId = Guid.Parse(row.MessageId);
                var whistleId = message switch
                {
                    WhistleRaised raised => raised.WhistleId,
                    WhistleEventRecorded recorded => recorded.Event.WhistleId,
                    _ => null,
                };
                using var scope = string.IsNullOrEmpty(whistleId) ? null : logger.BeginScope(WhistleTelemetry.Scope(whistleId));
                // The publish continues the trace of whatever wrote the row (a request, a consumer), not the relay's loop.
                ActivityContext.TryParse(row.TraceParent, null, isRemote: true, out var parent);
                using var activity = WhistleTelemetry.Source.StartActivity($"outbox relay {row.MessageType}", ActivityKind.Producer, parent);
                activity?.SetTag("messaging.message.id", row.MessageId);
                activity?.SetTag(WhistleTelemetry.WhistleIdTag, whistleId);
                // A broker that is down must not hold the relay forever: give up, back off, try again.
                using var publishTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                publishTimeout.CancelAfter(settings.PublishTimeout);
                await bus.Publish(message, type, context => context.MessageId = messageId, publishTimeout.Token);
                published.Add(row.Id);
            }
        }
        finally
        {
            // Also after a failed publish: what the broker confirmed is not published twice for want of a mark.
            if (published.Count > 0)
            {
                await database.ReadAsync(
                    connection => connection.ExecuteAsync(database.Sql(MarkSentSqlite, MarkSentSqlServer), new { Ids = published, Now = time.GetUtcNow() }),
                    CancellationToken.None);
            }
        }

        return rows.Count;
    }

    private async Task CleanupAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now - _lastCleanup < TimeSpan.FromMinutes(5))
        {
            return;
        }

        _lastCleanup = now;
        await database.ReadAsync(
            connection => connection.ExecuteAsync(CleanupSql, new { Before = now - settings.Retention }),
            cancellationToken);
    }

    /// <summary>The age of the oldest row not yet published (zero when none waits).</summary>
    public static async Task<TimeSpan> OldestUnsentAgeAsync(WhistleDatabase database, TimeProvider time, CancellationToken cancellationToken)
    {
        var oldest = await database.ReadAsync(
            connection => connection.ExecuteScalarAsync<object?>(OldestUnsentSql),
            cancellationToken);
        if (oldest is null or DBNull)
        {
            return TimeSpan.Zero;
        }

        var created = new DateTimeOffsetHandler().Parse(oldest);
        var age = time.GetUtcNow() - created;
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay failed ({Failures} in a row); retrying with back-off.")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception, int failures);
}
