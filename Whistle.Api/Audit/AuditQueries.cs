using System.Runtime.CompilerServices;
using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Api.Audit;

/// <summary>What the audit administrator filters the trail by (each null: any).</summary>
public sealed record AuditFilter(string? Entity, DateTimeOffset? From, DateTimeOffset? To, string? User, string? Action, string? Kind);

/// <summary>One row of the audit trail as it is read back.</summary>
public sealed record AuditRow
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
    public string? Hash { get; init; }
}

/// <summary>The read side of the audit trail (its only writer is <see cref="AuditTrail"/>): a page, or a period streamed.</summary>
public sealed class AuditQueries(WhistleDatabase database)
{
    /// <summary>The actions of signing in (kind=sign-ins); every other action is a change (kind=changes).</summary>
    public static readonly IReadOnlyList<string> SignInActions = ["signed-in", "sign-in-failed", "sign-in-refused", "locked-out", "locked-out-everywhere"];

    private static string Filter(SqlDialect dialect) => $"""
        (@Entity IS NULL OR entity = @Entity) AND (@From IS NULL OR at >= @From) AND (@To IS NULL OR at < @To)
        AND (@User IS NULL OR user_name = @User) AND (@Action IS NULL OR action = @Action)
        AND (@Kind IS NULL OR (@Kind = 'sign-ins' AND {dialect.InList("action", "@SignIns")}) OR (@Kind = 'changes' AND NOT {dialect.InList("action", "@SignIns")}))
        """;

    private static string CountSql(SqlDialect dialect) => $"SELECT COUNT(*) FROM audit_log WHERE {Filter(dialect)};";

    private static string PageSql(SqlDialect dialect) => dialect.Page($"""
        SELECT id, at, user_name AS UserName, display_name AS DisplayName, remote_address AS RemoteAddress, entity,
               entity_key AS EntityKey, action, before_json AS BeforeJson, after_json AS AfterJson, chain_position AS Position, hash
        FROM audit_log WHERE {Filter(dialect)} ORDER BY id DESC
        """) + ";";

    private static object Parameters(AuditFilter f, int skip, int take) =>
        new { f.Entity, f.From, f.To, f.User, f.Action, f.Kind, SignIns = SignInActions, Skip = skip, Take = take };

    /// <summary>One page, newest first, and how many entries match.</summary>
    public Task<(int Total, List<AuditRow> Rows)> PageAsync(AuditFilter filter, int page, int pageSize, CancellationToken ct)
    {
        var args = Parameters(filter, (page - 1) * pageSize, pageSize);
        return database.ReadAsync(
            async c => (await c.ExecuteScalarAsync<int>(database.Dialect.Sql(CountSql), args), (await c.QueryAsync<AuditRow>(database.Dialect.Sql(PageSql), args)).ToList()),
            ct);
    }

    /// <summary>
    /// The newest <paramref name="max"/> entries, newest first, as they are read: one connection, an unbuffered query,
    /// each row handed on before the next is read (no retry midway: it would repeat rows).
    /// </summary>
    public async IAsyncEnumerable<AuditRow> ExportAsync(AuditFilter filter, int max, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await foreach (var row in connection.QueryUnbufferedAsync<AuditRow>(database.Dialect.Sql(PageSql), Parameters(filter, 0, max)).WithCancellation(ct))
        {
            yield return row;
        }
    }
}
