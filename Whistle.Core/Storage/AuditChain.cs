using System.Buffers.Binary;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Core.Options;

namespace Whistle.Core.Storage;

/// <summary>One end of the chain: a position and the hash of the row there (position 0: the genesis hash).</summary>
public sealed record AuditChainEnd(long Position, string Hash);

/// <summary>
/// Where verification stopped. <paramref name="Reason"/>: <c>changed</c> (the row's fields or hash no longer give
/// its hash), <c>not-following</c> (its prev_hash is not the previous row's hash: a row before it was changed or
/// removed), <c>missing-before</c> (positions skip: a row before it was deleted), <c>out-of-order</c> (a position
/// repeats or goes back), <c>beyond-head</c> (a row after the last one the sealer sealed: inserted),
/// <c>missing-at-end</c> (the last sealed rows are gone).
/// </summary>
public sealed record AuditBrokenLink(long? Id, long Position, string? ExpectedHash, string? StoredHash, string Reason);

/// <summary>The answer of <see cref="AuditChain.VerifyAsync"/>.</summary>
public sealed record AuditVerification(long VerifiedRows, long UnsealedRows, AuditChainEnd Checkpoint, AuditChainEnd Head, AuditBrokenLink? FirstBrokenLink)
{
    public bool Verified => FirstBrokenLink is null;
}

/// <summary>
/// The audit trail's hash chain. Business transactions only insert audit rows (<see cref="AuditTrail"/>); the
/// sealer chains the committed rows afterwards, one sealer at a time (SQL Server: the application lock
/// <c>whistle-audit-chain</c> in its transaction; SQLite: the writer lock), in its own order: each row gets the next
/// <c>chain_position</c>, <c>prev_hash</c> (the previous row's hash) and <c>hash</c> = SHA-256 over
/// <see cref="Canonical"/>. No business commit waits for the chain. Pruning (older than
/// <see cref="AuditOptions.Retention"/>) removes a prefix of the chain and keeps the hash it ended on as the
/// checkpoint, so the rest still verifies.
/// </summary>
public sealed partial class AuditChain(WhistleDatabase database, IOptions<AuditOptions> options, ILogger<AuditChain> logger)
{
    public static readonly string Genesis = new('0', 64);

    public const int SealBatch = 500;

    public const int PruneBatch = 5000;

    private const string ChainSql = """
        SELECT checkpoint_position AS CheckpointPosition, checkpoint_hash AS CheckpointHash, head_position AS HeadPosition, head_hash AS HeadHash
        FROM audit_chain WHERE id = 1;
        """;

    // One sealer (or pruner) at a time: the chain's lock, exclusive, taken before the chain is read (SQLite: the writer lock).
    private static string LockedChainSql(SqlDialect dialect) => dialect.UnderLock("whistle-audit-chain", TimeSpan.FromSeconds(10), ChainSql);

    // The verifier holds the lock shared: the sealer and the pruner wait while it reads (SQLite: a read snapshot).
    private static string SharedChainSql(SqlDialect dialect) => dialect.UnderLock("whistle-audit-chain", TimeSpan.FromSeconds(60), ChainSql, shared: true);

    private const string RowColumns = """
        id, at, user_name AS UserName, display_name AS DisplayName, remote_address AS RemoteAddress, entity, entity_key AS EntityKey,
        action, before_json AS BeforeJson, after_json AS AfterJson, chain_position AS Position, prev_hash AS PrevHash, hash
        """;

    // Rows of transactions still open are left for the next round (they may commit after later ids).
    private static string UnsealedSql(SqlDialect dialect) =>
        dialect.Limit($"SELECT {RowColumns} FROM {dialect.SkippingLocked("audit_log")} WHERE hash IS NULL ORDER BY id") + ";";

    private static string PrunableSql(SqlDialect dialect) =>
        dialect.Limit("SELECT chain_position AS Position, at, hash FROM audit_log WHERE chain_position > @After ORDER BY chain_position") + ";";

    private static string ChainedSql(SqlDialect dialect) =>
        $"SELECT {RowColumns} FROM {dialect.SkippingLocked("audit_log")} WHERE chain_position IS NOT NULL ORDER BY chain_position;";

    // A read first: an idle sealer takes no writer lock (SQLite) and no application lock (SQL Server).
    private static string AnyUnsealedSql(SqlDialect dialect) =>
        $"SELECT CASE WHEN EXISTS (SELECT 1 FROM {dialect.SkippingLocked("audit_log")} WHERE hash IS NULL) THEN 1 ELSE 0 END;";

    private static string UnsealedCountSql(SqlDialect dialect) => $"SELECT COUNT(*) FROM {dialect.SkippingLocked("audit_log")} WHERE hash IS NULL;";

    private sealed record ChainState
    {
        public long CheckpointPosition { get; init; }
        public string CheckpointHash { get; init; } = "";
        public long HeadPosition { get; init; }
        public string HeadHash { get; init; } = "";
    }

    /// <summary>An audit row as the chain sees it.</summary>
    public sealed record Row
    {
        public long Id { get; init; }
        public DateTimeOffset At { get; init; }
        public string UserName { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string? RemoteAddress { get; init; }
        public string Entity { get; init; } = "";
        public string EntityKey { get; init; } = "";
        public string Action { get; init; } = "";
        public string? BeforeJson { get; init; }
        public string? AfterJson { get; init; }
        public long? Position { get; init; }
        public string? PrevHash { get; init; }
        public string? Hash { get; init; }
    }

    private sealed record Prunable(long Position, DateTimeOffset At, string Hash);

    /// <summary>
    /// The bytes hashed for a row: format version 1, then each field as a 4-byte big-endian length (−1: null) and
    /// its UTF-8 bytes, in this order: chain position, id, time (UTC, ISO 8601 with 7 fractional digits), user name,
    /// display name, remote address, entity, key, action, before, after, the previous row's hash (lower-case hex).
    /// </summary>
    public static byte[] Canonical(Row row, long position, string prevHash)
    {
        using var buffer = new MemoryStream(256);
        buffer.WriteByte(1);
        void Field(string? value)
        {
            Span<byte> length = stackalloc byte[4];
            if (value is null)
            {
                BinaryPrimitives.WriteInt32BigEndian(length, -1);
                buffer.Write(length);
                return;
            }

            var bytes = Encoding.UTF8.GetBytes(value);
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            buffer.Write(length);
            buffer.Write(bytes);
        }

        Field(position.ToString(CultureInfo.InvariantCulture));
        Field(row.Id.ToString(CultureInfo.InvariantCulture));
        Field(row.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        Field(row.UserName);
        Field(row.DisplayName);
        Field(row.RemoteAddress);
        Field(row.Entity);
        Field(row.EntityKey);
        Field(row.Action);
        Field(row.BeforeJson);
        Field(row.AfterJson);
        Field(prevHash);
        return buffer.ToArray();
    }

    public static string Hash(Row row, long position, string prevHash) =>
        Convert.ToHexStringLower(SHA256.HashData(Canonical(row, position, prevHash)));

    /// <summary>Chains every committed row not yet sealed, a batch per transaction; returns how many it sealed.</summary>
    public async Task<int> SealAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var total = 0;
        if (!await database.ReadAsync(c => c.ExecuteScalarAsync<bool>(database.Dialect.Sql(AnyUnsealedSql)), cancellationToken))
        {
            return 0;
        }

        while (true)
        {
            var (count, head) = await database.WriteAsync(
                async unit =>
                {
                    var c = unit.Connection;
                    var chain = await c.QuerySingleAsync<ChainState>(unit.Dialect.Sql(LockedChainSql), transaction: unit.Transaction);
                    var rows = (await c.QueryAsync<Row>(unit.Dialect.Sql(UnsealedSql), new { Take = SealBatch }, unit.Transaction)).ToList();
                    var (position, hash) = (chain.HeadPosition, chain.HeadHash);
                    var seals = new List<AuditSeal>(rows.Count);
                    foreach (var row in rows)
                    {
                        position++;
                        var next = Hash(row, position, hash);
                        seals.Add(new AuditSeal(row.Id, position, hash, next));
                        hash = next;
                    }

                    if (seals.Count > 0)
                    {
                        await AuditTrail.SealAsync(unit, seals, now);
                    }

                    unit.Complete();
                    return (rows.Count, new AuditChainEnd(position, hash));
                },
                cancellationToken);
            total += count;
            if (count > 0)
            {
                // The head, in the logs: copies kept outside the database are anchors a rewrite of the table cannot move.
                LogSealed(logger, count, head.Position, head.Hash);
            }

            if (count < SealBatch)
            {
                return total;
            }
        }
    }

    /// <summary>
    /// Removes the sealed rows older than the retention from the start of the chain (in chain order, up to the first
    /// row still to be kept), a batch per transaction, and moves the checkpoint to the last removed row.
    /// </summary>
    public async Task<long> PruneAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now - options.Value.Retention;
        long total = 0;
        while (true)
        {
            var (count, checkpoint, full) = await database.WriteAsync(
                async unit =>
                {
                    var c = unit.Connection;
                    var chain = await c.QuerySingleAsync<ChainState>(unit.Dialect.Sql(LockedChainSql), transaction: unit.Transaction);
                    var next = (await c.QueryAsync<Prunable>(unit.Dialect.Sql(PrunableSql), new { After = chain.CheckpointPosition, Take = PruneBatch }, unit.Transaction)).ToList();
                    var prefix = next.TakeWhile(r => r.At < cutoff).ToList();
                    if (prefix.Count == 0)
                    {
                        return (0, new AuditChainEnd(chain.CheckpointPosition, chain.CheckpointHash), false);
                    }

                    var last = prefix[^1];
                    var deleted = await AuditTrail.PruneAsync(unit, chain.CheckpointPosition, last.Position, last.Hash, now);
                    unit.Complete();
                    return (deleted, new AuditChainEnd(last.Position, last.Hash), prefix.Count == PruneBatch);
                },
                cancellationToken);
            total += count;
            if (count > 0)
            {
                LogPruned(logger, count, checkpoint.Position, checkpoint.Hash);
            }

            if (!full)
            {
                return total;
            }
        }
    }

    /// <summary>
    /// Walks the chain from the checkpoint to the head, recomputing each hash, and reports the first link that
    /// does not hold. Reads one consistent state (SQLite: a read snapshot; SQL Server: the chain lock, shared).
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.Dialect.BeginReadAsync(connection, cancellationToken);
        var chain = await connection.QuerySingleAsync<ChainState>(new CommandDefinition(database.Dialect.Sql(SharedChainSql), transaction: transaction, cancellationToken: cancellationToken));
        var unsealed = await connection.ExecuteScalarAsync<long>(new CommandDefinition(database.Dialect.Sql(UnsealedCountSql), transaction: transaction, cancellationToken: cancellationToken));
        var checkpoint = new AuditChainEnd(chain.CheckpointPosition, chain.CheckpointHash);
        var head = new AuditChainEnd(chain.HeadPosition, chain.HeadHash);
        var (expectedPosition, prev, verified) = (chain.CheckpointPosition + 1, chain.CheckpointHash, 0L);
        AuditBrokenLink? broken = null;
        var rows = connection.QueryUnbufferedAsync<Row>(database.Dialect.Sql(ChainedSql), transaction: transaction);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var position = row.Position!.Value;
            if (position > chain.HeadPosition && position >= expectedPosition)
            {
                broken = new AuditBrokenLink(row.Id, position, null, row.Hash, "beyond-head");
                break;
            }

            var expected = Hash(row, position, prev);
            if (position != expectedPosition || !string.Equals(expected, row.Hash, StringComparison.Ordinal))
            {
                var reason = position < expectedPosition ? "out-of-order"
                    : position > expectedPosition ? "missing-before"
                    : !string.Equals(row.PrevHash, prev, StringComparison.Ordinal) ? "not-following"
                    : "changed";
                broken = new AuditBrokenLink(row.Id, position, expected, row.Hash, reason);
                break;
            }

            (expectedPosition, prev, verified) = (expectedPosition + 1, row.Hash!, verified + 1);
        }

        if (broken is null && (expectedPosition - 1 != chain.HeadPosition || !string.Equals(prev, chain.HeadHash, StringComparison.Ordinal)))
        {
            broken = new AuditBrokenLink(null, expectedPosition, expectedPosition == chain.HeadPosition ? chain.HeadHash : null, null, "missing-at-end");
        }

        return new AuditVerification(verified, unsealed, checkpoint, head, broken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit chain: sealed {Count} rows; head at position {Position}, hash {Hash}.")]
    private static partial void LogSealed(ILogger logger, int count, long position, string hash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit chain: pruned {Count} rows past the retention; checkpoint at position {Position}, hash {Hash}.")]
    private static partial void LogPruned(ILogger logger, long count, long position, string hash);
}

/// <summary>
/// Runs in every process (Api and Dispatcher): seals the rows committed since it last looked every <see cref="AuditOptions.SealInterval"/>
/// and prunes once an hour. Instances take turns under the chain's lock; none waits on another for long.
/// </summary>
public sealed partial class AuditSealer(AuditChain chain, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditSealer> logger) : BackgroundService
{
    public static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastPrune = DateTimeOffset.MinValue;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = options.Value.SealInterval;
            try
            {
                await chain.SealAsync(time.GetUtcNow(), stoppingToken);
                if (time.GetUtcNow() - lastPrune >= PruneEvery)
                {
                    await chain.PruneAsync(time.GetUtcNow(), stoppingToken);
                    lastPrune = time.GetUtcNow();
                }

                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                LogFailed(logger, ex, failures);
                delay = TimeSpan.FromMilliseconds(Math.Min(60_000, delay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 6))));
            }

            await Task.Delay(delay, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit chain: sealing failed ({Failures} in a row); trying again later.")]
    private static partial void LogFailed(ILogger logger, Exception exception, int failures);
}
