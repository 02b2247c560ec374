using Whistle.Core.Problems;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Hosting;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Core.Domain;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;
using Whistle.Core.Text;

namespace Whistle.Api.Audit;

public sealed record AuditEntryDto(
    long Id, DateTimeOffset At, string UserName, string DisplayName, string? RemoteAddress, string Entity, string Key, string Action, JsonElement? Before, JsonElement? After,
    long? Position, string? Hash);

/// <summary>The answer of <c>GET /api/audit/verify</c>.</summary>
public sealed record AuditVerificationDto(bool Verified, long VerifiedRows, long UnsealedRows, AuditChainEnd Checkpoint, AuditChainEnd Head, AuditBrokenLink? FirstBrokenLink);

/// <summary>The audit trail, for the audit administrator (审计管理员) alone: read a page, export a period as CSV or JSON lines, verify the chain.</summary>
public static class AuditApi
{
    public const int ExportMax = 100_000;

    /// <summary>The actions of signing in (kind=sign-ins); every other action is a change (kind=changes).</summary>
    public static readonly IReadOnlyList<string> SignInActions = ["signed-in", "sign-in-failed", "sign-in-refused", "locked-out", "locked-out-everywhere"];

    private const string Filter = """
        (@Entity IS NULL OR entity = @Entity) AND (@From IS NULL OR at >= @From) AND (@To IS NULL OR at < @To)
        AND (@User IS NULL OR user_name = @User) AND (@Action IS NULL OR action = @Action)
        AND (@Kind IS NULL OR (@Kind = 'sign-ins' AND action IN @SignIns) OR (@Kind = 'changes' AND action NOT IN @SignIns))
        """;

    private const string CountAuditSql = $"SELECT COUNT(*) FROM audit_log WHERE {Filter};";

    private const string AuditPageSqlite = $"""
        SELECT id, at, user_name AS UserName, display_name AS DisplayName, remote_address AS RemoteAddress, entity,
               entity_key AS EntityKey, action, before_json AS BeforeJson, after_json AS AfterJson, chain_position AS Position, hash
        FROM audit_log WHERE {Filter} ORDER BY id DESC LIMIT @Take OFFSET @Skip;
        """;

    private const string AuditPageSqlServer = $"""
        SELECT id, at, user_name AS UserName, display_name AS DisplayName, remote_address AS RemoteAddress, entity,
               entity_key AS EntityKey, action, before_json AS BeforeJson, after_json AS AfterJson, chain_position AS Position, hash
        FROM audit_log WHERE {Filter} ORDER BY id DESC OFFSET @Skip ROWS FETCH NEXT @Take ROWS ONLY;
        """;

    private sealed record AuditRow
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

    private static readonly string[] CsvHeader = ["编号", "时间(UTC)", "账号", "姓名", "来源地址", "对象", "对象编号", "操作", "操作前", "操作后", "链位置", "哈希"];

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").RequireAuthorization(RolePolicies.AuditAdmin).WithTags("Audit")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/", Read).WithName("ReadAudit").Produces(StatusCodes.Status200OK, contentType: "text/csv", additionalContentTypes: ["application/jsonl"]);
        group.MapGet("/verify", Verify).WithName("VerifyAudit");
        return app;
    }

    private static async Task<Results<Ok<PageDto<AuditEntryDto>>, PushStreamHttpResult, ValidationProblem, ProblemHttpResult>> Read(
        HttpContext http,
        WhistleDatabase database,
        TimeProvider time,
        CancellationToken ct,
        int page = 1,
        int pageSize = 50,
        string? entity = null,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        string? format = null,
        string? user = null,
        string? action = null,
        string? kind = null)
    {
        var errors = WhistlesApi.Paging(null, page, pageSize);
        if (format is not (null or "json" or "csv" or "jsonl")) errors.Set("format", Problems.OneOf("format", ["json", "csv", "jsonl"], "The format is json, csv or jsonl."));
        if (entity is { Length: > 32 }) errors.Set("entity", Problems.Unknown("entity", entity, "Unknown entity."));
        if (user is { Length: > 100 }) errors.Set("user", Problems.Unknown("user", user, "Unknown account."));
        if (action is { Length: > 32 }) errors.Set("action", Problems.Unknown("action", action, "Unknown action."));
        if (kind is not (null or "sign-ins" or "changes")) errors.Set("kind", Problems.OneOf("kind", ["sign-ins", "changes"], "The kind is sign-ins or changes."));
        if (errors.Count > 0) return ProblemResults.Validation(errors);

        if (format is "csv" or "jsonl")
        {
            // The audit administrator's own acts are on the trail too: what was exported, with which filters.
            await RecordAsync(database, CurrentUser.From(http), "exported", new { Format = format, Entity = entity, From = from, To = to, User = user, Action = action, Kind = kind }, time, ct);
            return Export(http, database, format == "csv", new { Entity = entity, From = from, To = to, User = user, Action = action, Kind = kind, SignIns = SignInActions, Skip = 0, Take = ExportMax });
        }

        var args = new { Entity = entity, From = from, To = to, User = user, Action = action, Kind = kind, SignIns = SignInActions, Skip = (page - 1) * pageSize, Take = pageSize };
        var (total, rows) = await database.ReadAsync(
            async c => (await c.ExecuteScalarAsync<int>(CountAuditSql, args), (await c.QueryAsync<AuditRow>(database.Sql(AuditPageSqlite, AuditPageSqlServer), args)).ToList()),
            ct);
        return TypedResults.Ok(new PageDto<AuditEntryDto>(rows.Select(Entry).ToList(), page, pageSize, total));
    }

    /// <summary>
    /// The newest <see cref="ExportMax"/> entries of the period, newest first, written as they are read: one
    /// connection, an unbuffered query, each row out before the next is read (no retry midway: it would repeat rows).
    /// </summary>
    private static PushStreamHttpResult Export(HttpContext http, WhistleDatabase database, bool csv, object args) =>
        TypedResults.Stream(
            async stream =>
            {
                var ct = http.RequestAborted;
                await using var connection = await database.DataSource.OpenConnectionAsync(ct);
                await using var writer = new StreamWriter(stream, csv ? CsvWriter.Utf8WithBom : new UTF8Encoding(false), bufferSize: 64 * 1024);
                var table = new CsvWriter(writer);
                if (csv)
                {
                    await table.WriteRowAsync(CsvHeader, ct);
                }

                var rows = connection.QueryUnbufferedAsync<AuditRow>(database.Sql(AuditPageSqlite, AuditPageSqlServer), args);
                await foreach (var row in rows.WithCancellation(ct))
                {
                    if (csv)
                    {
                        await table.Number(row.Id).Text(row.At.ToString("O", CultureInfo.InvariantCulture)).Text(row.UserName).Text(row.DisplayName)
                            .Text(row.RemoteAddress).Text(row.Entity).Text(row.EntityKey).Text(row.Action).Text(row.BeforeJson).Text(row.AfterJson)
                            .Number(row.Position).Text(row.Hash).EndRowAsync(ct);
                    }
                    else
                    {
                        await writer.WriteAsync(JsonSerializer.Serialize(Entry(row), MessageTypes.Json) + "\n");
                    }
                }
            },
            csv ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8",
            csv ? "audit.csv" : "audit.jsonl");

    /// <summary>Walks the chain from its checkpoint to its head and reports the first link that does not hold.</summary>
    private static async Task<Results<Ok<AuditVerificationDto>, ProblemHttpResult>> Verify(HttpContext http, AuditChain chain, WhistleDatabase database, TimeProvider time, CancellationToken ct)
    {
        var v = await chain.VerifyAsync(ct);
        await RecordAsync(database, CurrentUser.From(http), "verified", new { v.Verified, v.VerifiedRows, v.Head.Position, BrokenAt = v.FirstBrokenLink?.Position }, time, ct);
        return TypedResults.Ok(new AuditVerificationDto(v.Verified, v.VerifiedRows, v.UnsealedRows, v.Checkpoint, v.Head, v.FirstBrokenLink));
    }

    private static Task RecordAsync(WhistleDatabase database, CurrentUser user, string action, object after, TimeProvider time, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                await AuditTrail.WriteAsync(unit, user.Audit, "audit", "trail", action, null, after, time.GetUtcNow());
                unit.Complete();
                return 0;
            },
            ct);

    private static AuditEntryDto Entry(AuditRow r) =>
        new(r.Id, r.At, r.UserName, r.DisplayName, r.RemoteAddress, r.Entity, r.EntityKey, r.Action, Parse(r.BeforeJson), Parse(r.AfterJson), r.Position, r.Hash);

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}
