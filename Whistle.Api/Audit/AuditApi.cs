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

namespace Whistle.Api.Audit;

public sealed record AuditEntryDto(
    long Id, DateTimeOffset At, string UserName, string DisplayName, string? RemoteAddress, string Entity, string Key, string Action, JsonElement? Before, JsonElement? After);

/// <summary>The audit trail, for supervisors: read a page, or export a period as CSV or JSON lines.</summary>
public static class AuditApi
{
    public const int ExportMax = 100_000;

    private const string Filter = """
        (@Entity IS NULL OR entity = @Entity) AND (@From IS NULL OR at >= @From) AND (@To IS NULL OR at < @To)
        """;

    private const string CountAuditSql = $"SELECT COUNT(*) FROM audit_log WHERE {Filter};";

    private const string AuditPageSqlite = $"""
        SELECT id, at, user_name AS UserName, display_name AS DisplayName, remote_address AS RemoteAddress, entity,
               entity_key AS EntityKey, action, before_json AS BeforeJson, after_json AS AfterJson
        FROM audit_log WHERE {Filter} ORDER BY id DESC LIMIT @Take OFFSET @Skip;
        """;

    private const string AuditPageSqlServer = $"""
        SELECT id, at, user_name AS UserName, display_name AS DisplayName, remote_address AS RemoteAddress, entity,
               entity_key AS EntityKey, action, before_json AS BeforeJson, after_json AS AfterJson
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
    }

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/audit").RequireAuthorization().WithTags("Audit")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .MapGet("/", Read).WithName("ReadAudit").Produces(StatusCodes.Status200OK, contentType: "text/csv");
        return app;
    }

    private static async Task<Results<Ok<PageDto<AuditEntryDto>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Read(
        HttpContext http,
        WhistleDatabase database,
        CancellationToken ct,
        int page = 1,
        int pageSize = 50,
        string? entity = null,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        string? format = null)
    {
        var user = CurrentUser.From(http);
        if (user.Role != Roles.Supervisor)
        {
            return TypedResults.Problem(title: "Forbidden", detail: "The audit trail is for supervisors.", statusCode: StatusCodes.Status403Forbidden);
        }

        var errors = WhistlesApi.Paging(null, page, pageSize);
        if (format is not (null or "json" or "csv" or "jsonl")) errors["format"] = ["The format is json, csv or jsonl."];
        if (entity is { Length: > 32 }) errors["entity"] = ["Unknown entity."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var export = format is "csv" or "jsonl";
        var args = new { Entity = entity, From = from, To = to, Skip = export ? 0 : (page - 1) * pageSize, Take = export ? ExportMax : pageSize };
        var (total, rows) = await database.ReadAsync(
            async c => (await c.ExecuteScalarAsync<int>(CountAuditSql, args), (await c.QueryAsync<AuditRow>(database.Sql(AuditPageSqlite, AuditPageSqlServer), args)).ToList()),
            ct);
        var entries = rows.Select(r => new AuditEntryDto(r.Id, r.At, r.UserName, r.DisplayName, r.RemoteAddress, r.Entity, r.EntityKey, r.Action, Parse(r.BeforeJson), Parse(r.AfterJson))).ToList();
        return format switch
        {
            "csv" => TypedResults.File(Csv(entries), "text/csv; charset=utf-8", "audit.csv"),
            "jsonl" => TypedResults.File(
                Encoding.UTF8.GetBytes(string.Concat(entries.Select(e => JsonSerializer.Serialize(e, MessageTypes.Json) + "\n"))),
                "application/jsonl; charset=utf-8",
                "audit.jsonl"),
            _ => TypedResults.Ok(new PageDto<AuditEntryDto>(entries, page, pageSize, total)),
        };
    }

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();

    private static byte[] Csv(IEnumerable<AuditEntryDto> entries)
    {
        static string Q(string? v) => v is null ? "" : v.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{v.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : v;
        var text = new StringBuilder("编号,时间(UTC),账号,姓名,来源地址,对象,对象编号,操作,操作前,操作后\r\n");
        foreach (var e in entries)
        {
            text.AppendJoin(',', new[]
            {
                e.Id.ToString(CultureInfo.InvariantCulture), e.At.ToString("O", CultureInfo.InvariantCulture), e.UserName, e.DisplayName, e.RemoteAddress,
                e.Entity, e.Key, e.Action, e.Before?.GetRawText(), e.After?.GetRawText(),
            }.Select(Q)).Append("\r\n");
        }

        var encoding = new UTF8Encoding(true);
        return [.. encoding.GetPreamble(), .. encoding.GetBytes(text.ToString())];
    }
}
