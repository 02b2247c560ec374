using System.Text.Json;
using Dapper;
using Whistle.Core.Messaging;

namespace Whistle.Core.Storage;

/// <summary>Who acted, and from where.</summary>
public sealed record AuditActor(string UserName, string DisplayName, string? RemoteAddress);

/// <summary>A row's place in the chain, as <see cref="AuditChain"/> computed it.</summary>
public sealed record AuditSeal(long Id, long Position, string PrevHash, string Hash);

/// <summary>
/// The one owner of <c>audit_log</c> and <c>audit_chain</c>. The append-only audit trail: every action (who, when, from
/// where, what, before and after), written in the same transaction as the action itself. Nothing changes a row's
/// content: the only update sets the chain columns of a row not yet sealed (<see cref="SealAsync"/>, for the
/// <see cref="AuditChain"/>'s sealer, which computes the hashes), the only delete removes a sealed prefix past the
/// retention (<see cref="PruneAsync"/>, for its pruner).
/// </summary>
public static class AuditTrail
{
    private const string InsertSql = """
        INSERT INTO audit_log (at, user_name, display_name, entity, entity_key, action, before_json, after_json, remote_address)
        VALUES (@At, @UserName, @DisplayName, @Entity, @Key, @Action, @Before, @After, @RemoteAddress);
        """;

    /// <summary>An act that changes nothing else (an export, a verification), recorded in a transaction of its own.</summary>
    public static Task RecordAsync(
        WhistleDatabase database, AuditActor actor, string entity, string key, string action, object? before, object? after, DateTimeOffset at, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                await WriteAsync(unit, actor, entity, key, action, before, after, at);
                unit.Complete();
                return 0;
            },
            ct);

    /// <summary>
    /// Writes one row. <paramref name="action"/> is a word of <see cref="AuditActions"/> (the UI translates it); any other
    /// word is a programming error. <paramref name="entity"/> is one of <see cref="AuditEntities"/> in the product.
    /// </summary>
    public static Task WriteAsync(UnitOfWork unit, AuditActor actor, string entity, string key, string action, object? before, object? after, DateTimeOffset at)
    {
        var parameters = new DynamicParameters();
        var sql = Row(parameters, string.Empty, actor, entity, key, action, before, after, at);
        return unit.Connection.ExecuteAsync(sql, parameters, unit.Transaction);
    }

    /// <summary>
    /// One row as a statement to send with the writer's own statements in one command (one round trip, issue 15): adds
    /// its values to <paramref name="parameters"/> under names beginning with <paramref name="prefix"/> and returns the
    /// statement. The rules of <see cref="WriteAsync"/> apply.
    /// </summary>
    public static string Row(DynamicParameters parameters, string prefix, AuditActor actor, string entity, string key, string action, object? before, object? after, DateTimeOffset at)
    {
        if (!AuditActions.All.Contains(action))
        {
            throw new ArgumentException($"'{action}' is not an audit action (AuditActions); add it there and translate it in the UI.", nameof(action));
        }

        parameters.Add(prefix + "At", at);
        parameters.Add(prefix + "UserName", actor.UserName);
        parameters.Add(prefix + "DisplayName", actor.DisplayName);
        parameters.Add(prefix + "Entity", entity);
        parameters.Add(prefix + "Key", key);
        parameters.Add(prefix + "Action", action);
        parameters.Add(prefix + "Before", before is null ? null : JsonSerializer.Serialize(before, MessageTypes.Json));
        parameters.Add(prefix + "After", after is null ? null : JsonSerializer.Serialize(after, MessageTypes.Json));
        parameters.Add(prefix + "RemoteAddress", actor.RemoteAddress);
        // Every '@' of the statement begins a parameter's name: the prefix names them apart from the writer's own.
        return prefix.Length == 0 ? InsertSql : InsertSql.Replace("@", "@" + prefix, StringComparison.Ordinal);
    }

    // The only UPDATE of audit_log: it sets the chain columns of rows not yet sealed, nothing else; a batch of them in one
    // statement (one parameter, a JSON array: issue 15 — a statement per row was ~1 of a whistle's ~54).
    private static string SealRowsSql(SqlDialect dialect) => dialect.UpdateFromJson(
        "audit_log",
        "chain_position = s.position, prev_hash = s.prev_hash, hash = s.hash",
        "@Seals",
        [new JsonColumn("id"), new JsonColumn("position"), new JsonColumn("prev_hash", Text: true), new JsonColumn("hash", Text: true)],
        "t.id = s.id AND t.hash IS NULL") + ";";

    private const string AdvanceHeadSql = "UPDATE audit_chain SET head_position = @Position, head_hash = @Hash, sealed_at = @Now WHERE id = 1;";

    // The only DELETE of audit_log: a prefix of the chain, older than the retention.
    private const string PruneSql = "DELETE FROM audit_log WHERE chain_position > @After AND chain_position <= @Through;";

    private const string CheckpointSql = "UPDATE audit_chain SET checkpoint_position = @Position, checkpoint_hash = @Hash, pruned_at = @Now WHERE id = 1;";

    /// <summary>Seals <paramref name="seals"/> (in chain order) and moves the chain's head to the last, in the sealer's transaction (under the chain's lock).</summary>
    public static async Task SealAsync(UnitOfWork unit, IReadOnlyList<AuditSeal> seals, DateTimeOffset now)
    {
        var batch = JsonSerializer.Serialize(seals.Select(s => new { id = s.Id, position = s.Position, prev_hash = s.PrevHash, hash = s.Hash }));
        var sealedRows = await unit.Connection.ExecuteAsync(unit.Dialect.Sql(SealRowsSql), new { Seals = batch }, unit.Transaction);
        if (sealedRows != seals.Count)
        {
            // Only the sealer, under the chain's lock, writes these columns: a row it read unsealed is still unsealed.
            throw new InvalidOperationException($"The audit sealer sealed {sealedRows} of the {seals.Count} rows it chained; the chain is left as it was.");
        }

        await unit.Connection.ExecuteAsync(AdvanceHeadSql, new { seals[^1].Position, seals[^1].Hash, Now = now }, unit.Transaction);
    }

    /// <summary>Deletes the chain's rows after <paramref name="after"/> through <paramref name="through"/> and moves the checkpoint there, in the pruner's transaction; answers how many rows it deleted.</summary>
    public static async Task<int> PruneAsync(UnitOfWork unit, long after, long through, string throughHash, DateTimeOffset now)
    {
        var deleted = await unit.Connection.ExecuteAsync(PruneSql, new { After = after, Through = through }, unit.Transaction);
        await unit.Connection.ExecuteAsync(CheckpointSql, new { Position = through, Hash = throughHash, Now = now }, unit.Transaction);
        return deleted;
    }
}
