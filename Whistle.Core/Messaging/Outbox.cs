using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>
/// The one owner of <c>outbox</c>: writes a message in the same transaction as the state change that causes it, with
/// the W3C <c>traceparent</c> of the current activity, so that the relay's publish continues the same trace; and the
/// relay's bookkeeping (claims, renewals, sent marks, rows set aside, clean-up), which <see cref="OutboxRelay"/> asks
/// for and never writes itself.
/// </summary>
public static class Outbox
{
    /// <summary>The channel on which the relays of every process are woken when a transaction that wrote outbox rows commits.</summary>
    public const string WakeChannel = "whistle_outbox";

    // The rows, and the dialect's wake-up of the relays of every process when this one has no relay that can publish
    // (PostgreSQL: NOTIFY, delivered at commit; the others: nothing, their relays poll). This process's own relay is
    // woken after commit by WhistleDatabase either way.
    // The rows' attempts start at the column's default (0).
    private static string InsertRowsSql(SqlDialect dialect, int rows) => dialect.InsertRows("outbox", RowColumns, rows);

    private static readonly RowColumn[] RowColumns =
    [
        new("message_id", "OutboxMessageId", RowType.Text),
        new("message_type", "OutboxMessageType", RowType.Text),
        new("body", "OutboxBody", RowType.Text),
        new("created_at", "OutboxCreatedAt", RowType.Timestamp),
        new("trace_parent", "OutboxTraceParent", RowType.Text),
        new("stream_key", "OutboxStreamKey", RowType.BigInteger),
    ];

    private readonly record struct NewRow(string MessageId, string MessageType, string Body, DateTimeOffset CreatedAt, string? TraceParent, long StreamKey);

    public static async Task<Guid> AddAsync<T>(UnitOfWork unit, T message, DateTimeOffset now)
        where T : class
    {
        var parameters = new DynamicParameters();
        var ids = new List<Guid>(1);
        var sql = Add(unit, [message], now, parameters, ids);
        await unit.Connection.ExecuteAsync(sql, parameters, unit.Transaction);
        return ids[0];
    }

    /// <summary>
    /// Writes <paramref name="message"/> when the transaction commits, in the same statement as the push messages of the
    /// events it deferred and before them (issue 15: a raise's <c>WhistleRaised</c> and its push are one insert).
    /// </summary>
    public static void Defer<T>(UnitOfWork unit, T message, DateTimeOffset now)
        where T : class =>
        unit.DeferredMessages.Add(new DeferredMessage(message, now));

    /// <summary>
    /// The statement that writes <paramref name="messages"/> (one multi-row insert, and the dialect's wake-up), its
    /// parameters added to <paramref name="parameters"/> (named <c>Outbox…</c>), for the caller to run in its transaction
    /// together with statements of its own.
    /// </summary>
    public static string Add(UnitOfWork unit, IReadOnlyList<object> messages, DateTimeOffset now, DynamicParameters parameters, List<Guid>? ids = null)
    {
        var traceParent = Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null;
        var rows = new NewRow[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var messageId = Guid.CreateVersion7(now);
            ids?.Add(messageId);
            rows[i] = new NewRow(
                messageId.ToString(),
                MessageTypes.NameOf(message.GetType()),
                JsonSerializer.Serialize(message, message.GetType(), MessageTypes.Json),
                now,
                traceParent,
                StreamKeyOf(WhistleIdOf(message)));
        }

        unit.Dialect.AddRows(parameters, RowColumns, rows, static (row, column) => column switch
        {
            0 => row.MessageId,
            1 => row.MessageType,
            2 => row.Body,
            3 => row.CreatedAt,
            4 => row.TraceParent,
            _ => row.StreamKey,
        });

        // One wake-up per transaction is enough (PostgreSQL delivers a channel's notifications of one transaction once),
        // and none while this process's own relay can publish the rows (WhistleDatabase.WakeOtherProcesses).
        var first = !unit.WroteOutbox;
        unit.MarkOutboxWritten();
        var insert = unit.Dialect.Sql(InsertRowsSql, messages.Count);
        return first && unit.Database.WakeOtherProcesses ? insert + "\n" + unit.Dialect.Wake(WakeChannel) : insert;
    }

    /// <summary>The whistle a message belongs to (null for messages of none, such as <see cref="Whistle.Contracts.CountyChanged"/>).</summary>
    public static string? WhistleIdOf(object message) => message switch
    {
        Whistle.Contracts.WhistleRaised raised => raised.WhistleId,
        Whistle.Contracts.WhistleEventRecorded recorded => string.IsNullOrEmpty(recorded.Event.WhistleId) ? null : recorded.Event.WhistleId,
        Whistle.Contracts.WhistleEventsRecorded { Events: [var first, ..] } => WhistleIdOf(first),
        _ => null,
    };

    /// <summary>
    /// The stream key of a whistle's rows: FNV-1a over its id's UTF-16 code units, folded to 0–65535 (stable across
    /// processes, versions and machines); 0 for messages of no whistle. A relay's stream is the key modulo
    /// <c>Whistle:Outbox:Streams</c>, so one whistle's rows are always in one stream whatever that setting is.
    /// </summary>
    public static int StreamKeyOf(string? whistleId)
    {
        if (string.IsNullOrEmpty(whistleId))
        {
            return 0;
        }

        var hash = 2166136261u;
        foreach (var c in whistleId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)((hash ^ (hash >> 16)) & 0xFFFF);
    }

    /// <summary>A claimed row as the relay reads it.</summary>
    public sealed record OutboxRow(long Id, string MessageId, string MessageType, string Body, string? TraceParent, long Attempts, long StreamKey);

    // The outbox is partitioned into streams (stream_key modulo Whistle:Outbox:Streams; the key is a hash of the
    // whistle's id): a relay claims the oldest unsent rows of the streams in which no other relay holds a live claim,
    // so within a stream batches go out one after another in commit order (and so in order per whistle), whichever
    // instance relays them, while other relays carry the other streams. A relay that dies loses its claim when it expires; a relay
    // that cannot publish (or lost its claim, or meets a row it cannot read) releases it at once; a relay
    // whose batch takes long renews its claim between publishes. Rows set aside (unreadable after
    // MaxAttempts claims) are out of the stream.
    // The relay's own bookkeeping (claims and sent marks) commits WithoutFlush (SQLite: synchronous = NORMAL): no
    // fsync of its own; it becomes durable with the next business commit. A power loss may lose the last claims (a claim
    // is a lease anyway) or sent marks (those rows are published again: at-least-once, consumers are
    // idempotent); it never loses a whistle, whose transaction commits with FULL (every connection is opened
    // with FULL, see SqliteDialect). A crash of the process alone loses nothing in WAL mode.
    // Claims (and renewals) are taken exclusively (UnderLockInOwnTransaction: SQLite's one writer; SQL Server's application lock,
    // its result tested, a lock not granted retried as transient; PostgreSQL's advisory lock): under read committed the
    // check of the streams held and the update would not be atomic otherwise. The lock covers the claim statement only
    // (a millisecond, once per batch); the publishing, where the time goes, runs in parallel across relays.
    // The streams held by another relay's live claim are read once (a hashed NOT IN), not once per candidate row.
    private const string UnsentSql = """
        SELECT id FROM outbox
        WHERE sent_at IS NULL AND set_aside_at IS NULL
          AND stream_key % @Streams NOT IN (
              SELECT o.stream_key % @Streams FROM outbox o
              WHERE o.sent_at IS NULL AND o.locked_by IS NOT NULL AND o.locked_by <> @RelayId AND o.locked_until >= @Now)
        ORDER BY id
        """;

    private const string ClaimedSql = """
        SELECT id, message_id AS MessageId, message_type AS MessageType, body, trace_parent AS TraceParent, attempts, stream_key AS StreamKey FROM outbox
        WHERE locked_by = @RelayId AND sent_at IS NULL AND set_aside_at IS NULL ORDER BY id;
        """;

    // Before the claim, a plain read (no transaction, no lock): is any unsent row free, or its claim expired? (issue 15)
    // Most claims find nothing — every commit's wake-up reaches every relay, and a relay claims once more after each
    // batch — and a claim is a transaction under the exclusive claim lock (SQLite: the one writer). Whatever the claim
    // could take, this finds: the claim takes only unsent rows that no other relay holds live. A row committed after
    // this read wakes the relay again.
    private const string ClaimableSql = """
        SELECT CASE WHEN EXISTS (
            SELECT 1 FROM outbox WHERE sent_at IS NULL AND set_aside_at IS NULL AND (locked_by IS NULL OR locked_by = @RelayId OR locked_until < @Now)
        ) THEN 1 ELSE 0 END;
        """;

    private static string ClaimSql(SqlDialect dialect) =>
        dialect.WithoutFlush(dialect.UnderLockInOwnTransaction("whistle-outbox-claim", TimeSpan.FromSeconds(10), $"""
            UPDATE outbox SET locked_by = @RelayId, locked_until = @Until, attempts = attempts + 1
            WHERE id IN ({dialect.Limit(UnsentSql, "@BatchSize")});
            """)) + "\n" + ClaimedSql;

    // A renewal extends the claim on the rows this relay still holds and says how many those are: fewer than it
    // claimed means another relay took (or published) some of them after the claim had expired.
    private const string HeldSql = "SELECT COUNT(*) FROM outbox WHERE locked_by = @RelayId AND sent_at IS NULL AND set_aside_at IS NULL;";

    private static string RenewSql(SqlDialect dialect) =>
        dialect.UnderLockInOwnTransaction(
            "whistle-outbox-claim",
            TimeSpan.FromSeconds(10),
            "UPDATE outbox SET locked_until = @Until WHERE locked_by = @RelayId AND sent_at IS NULL AND set_aside_at IS NULL;") + "\n" + HeldSql;

    // After a batch (whole, or cut short by a failed publish, a lost claim or an unreadable row): what the broker
    // confirmed is marked sent, and whatever this relay still holds is released at once for the next claim; then, in the
    // same round trip, the read that comes before a claim (issue 15: the relay claims again after every batch, for rows
    // committed meanwhile — here or in a process whose relay found this one's claim live — and most of those claims
    // found nothing after a read of their own).
    private static string FinishSql(SqlDialect dialect) =>
        dialect.WithoutFlush($"""
            UPDATE outbox SET sent_at = @Now, locked_by = NULL, locked_until = NULL WHERE {dialect.InList("id", "@Ids")};
            UPDATE outbox SET locked_by = NULL, locked_until = NULL WHERE locked_by = @RelayId AND sent_at IS NULL;
            """) + "\n" + ClaimableSql;

    private const string SetAsideSql = """
        UPDATE outbox SET set_aside_at = @Now, last_error = @Error, locked_by = NULL, locked_until = NULL
        WHERE id = @Id AND locked_by = @RelayId AND sent_at IS NULL;
        """;

    private const string CleanupSql = "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < @Before;";

    private const string OldestUnsentSql = "SELECT MIN(created_at) FROM outbox WHERE sent_at IS NULL AND set_aside_at IS NULL;";

    /// <summary>
    /// Claims the oldest unsent rows for <paramref name="relayId"/> until <paramref name="until"/>, of the streams (of
    /// <paramref name="streams"/>) in which no other relay holds a live claim.
    /// </summary>
    /// <param name="knownClaimable">The relay's last finish found rows to claim (<see cref="FinishAsync"/>): the read before the claim is skipped.</param>
    public static async Task<List<OutboxRow>> ClaimAsync(WhistleDatabase database, string relayId, DateTimeOffset now, DateTimeOffset until, int batchSize, int streams, bool knownClaimable, CancellationToken cancellationToken) =>
        !knownClaimable && await database.ReadAsync(connection => connection.ExecuteScalarAsync<long>(ClaimableSql, new { Now = now, RelayId = relayId }), cancellationToken) == 0
            ? []
            : await database.WriteStatementsAsync(
                async connection => (await connection.QueryAsync<OutboxRow>(
                    database.Dialect.Sql(ClaimSql),
                    new { RelayId = relayId, Until = until, Now = now, BatchSize = batchSize, Streams = (long)streams })).ToList(),
                cancellationToken);

    /// <summary>Extends the relay's claim; answers how many rows it still holds.</summary>
    public static Task<long> RenewAsync(WhistleDatabase database, string relayId, DateTimeOffset until, CancellationToken cancellationToken) =>
        database.WriteStatementsAsync(
            connection => connection.ExecuteScalarAsync<long>(database.Dialect.Sql(RenewSql), new { RelayId = relayId, Until = until }),
            cancellationToken);

    /// <summary>
    /// Marks <paramref name="published"/> sent and releases whatever else the relay holds (never cancelled: it runs after a
    /// failure too); answers whether an unsent row is left to claim (the read <see cref="ClaimAsync"/> makes first).
    /// </summary>
    public static async Task<bool> FinishAsync(WhistleDatabase database, string relayId, IReadOnlyCollection<long> published, DateTimeOffset now) =>
        await database.WriteStatementsAsync(
            connection => connection.ExecuteScalarAsync<long>(database.Dialect.Sql(FinishSql), new { Ids = published, Now = now, RelayId = relayId }),
            CancellationToken.None) != 0;

    /// <summary>Takes a row the relay cannot read out of the stream.</summary>
    public static Task SetAsideAsync(WhistleDatabase database, string relayId, long id, DateTimeOffset now, string error) =>
        database.WriteStatementsAsync(
            connection => connection.ExecuteAsync(SetAsideSql, new { Id = id, RelayId = relayId, Now = now, Error = error }),
            CancellationToken.None);

    /// <summary>Deletes the rows sent before <paramref name="before"/>.</summary>
    public static Task CleanupAsync(WhistleDatabase database, DateTimeOffset before, CancellationToken cancellationToken) =>
        database.WriteStatementsAsync(connection => connection.ExecuteAsync(CleanupSql, new { Before = before }), cancellationToken);

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
}
