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

    private const string Columns = """
        id, at, user_name AS UserName, display_name AS DisplayName, remote_address AS RemoteAddress, entity,
        entity_key AS EntityKey, action, before_json AS BeforeJson, after_json AS AfterJson, chain_position AS Position, hash
        """;

    private static string PageSql(SqlDialect dialect) =>
        dialect.Page($"SELECT {Columns} FROM audit_log WHERE {Filter(dialect)} ORDER BY id DESC") + ";";

    // The export's page: the newest entries older than @Before.
    private static string ExportPageSql(SqlDialect dialect) =>
        dialect.Limit($"SELECT {Columns} FROM audit_log WHERE {Filter(dialect)} AND id < @Before ORDER BY id DESC") + ";";

    /// <summary>Entries the export reads at once; each is handed on before the next page is read.</summary>
    public const int ExportPageSize = 500;

    private static object Parameters(AuditFilter f, int skip, int take, long before = long.MaxValue) =>
        new { f.Entity, f.From, f.To, f.User, f.Action, f.Kind, SignIns = SignInActions, Skip = skip, Take = take, Before = before };

    /// <summary>One page, newest first, and how many entries match.</summary>
    public Task<(int Total, List<AuditRow> Rows)> PageAsync(AuditFilter filter, int page, int pageSize, CancellationToken ct)
    {
        var args = Parameters(filter, (page - 1) * pageSize, pageSize);
        return database.ReadAsync(
            async c => (await c.ExecuteScalarAsync<int>(database.Dialect.Sql(CountSql), args), (await c.QueryAsync<AuditRow>(database.Dialect.Sql(PageSql), args)).ToList()),
            ct);
    }

    /// <summary>
    /// The newest <paramref name="max"/> entries, newest first, as they are read: a page of <see cref="ExportPageSize"/>
    /// at a time, each after the oldest entry of the page before (keyset on id), on a connection held for that read
    /// alone — none is held while the entries are written to a slow download, and a page read again after a transient
    /// failure repeats no entry.
    /// </summary>
    public async IAsyncEnumerable<AuditRow> ExportAsync(AuditFilter filter, int max, [EnumeratorCancellation] CancellationToken ct)
    {
        var sql = database.Dialect.Sql(ExportPageSql);
        var (before, left) = (long.MaxValue, max);
        while (left > 0)
        {
            var take = Math.Min(ExportPageSize, left);
            var args = Parameters(filter, 0, take, before);
            var page = await database.ReadAsync(async c => (await c.QueryAsync<AuditRow>(new CommandDefinition(sql, args, cancellationToken: ct))).AsList(), ct);
            foreach (var row in page) yield return row;
            if (page.Count < take) yield break;
            (before, left) = (page[^1].Id, left - page.Count);
        }
    }
}
