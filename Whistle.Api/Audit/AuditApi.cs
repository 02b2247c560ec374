using Whistle.Core.Problems;
using System.Globalization;
using System.Text;
using System.Text.Json;
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
        AuditQueries queries,
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
        if (format is not (null or "json" or "csv" or "jsonl")) errors.Set("format", Problem.OneOf("format", ["json", "csv", "jsonl"], "The format is json, csv or jsonl."));
        if (entity is { Length: > 32 }) errors.Set("entity", Problem.Unknown("entity", entity, "Unknown entity."));
        if (user is { Length: > 100 }) errors.Set("user", Problem.Unknown("user", user, "Unknown account."));
        if (action is { Length: > 32 }) errors.Set("action", Problem.Unknown("action", action, "Unknown action."));
        if (kind is not (null or "sign-ins" or "changes")) errors.Set("kind", Problem.OneOf("kind", ["sign-ins", "changes"], "The kind is sign-ins or changes."));
        if (errors.Count > 0) return ProblemResults.Validation(errors);

        if (format is "csv" or "jsonl")
        {
            // The audit administrator's own acts are on the trail too: what was exported, with which filters.
            await AuditTrail.RecordAsync(database, CurrentUser.From(http).Audit, "audit", "trail", "exported", null, new { Format = format, Entity = entity, From = from, To = to, User = user, Action = action, Kind = kind }, time.GetUtcNow(), ct);
            return Export(http, queries, format == "csv", new AuditFilter(entity, from, to, user, action, kind));
        }

        var (total, rows) = await queries.PageAsync(new AuditFilter(entity, from, to, user, action, kind), page, pageSize, ct);
        return TypedResults.Ok(new PageDto<AuditEntryDto>(rows.Select(Entry).ToList(), page, pageSize, total));
    }

    /// <summary>
    /// The newest <see cref="ExportMax"/> entries of the period, newest first, written as they are read: a page at a time
    /// (<see cref="AuditQueries.ExportAsync"/>), each row out before the next page is read, no connection held while
    /// they are written.
    /// </summary>
    private static PushStreamHttpResult Export(HttpContext http, AuditQueries queries, bool csv, AuditFilter filter) =>
        TypedResults.Stream(
            async stream =>
            {
                var ct = http.RequestAborted;
                await using var writer = new StreamWriter(stream, csv ? CsvWriter.Utf8WithBom : new UTF8Encoding(false), bufferSize: 64 * 1024);
                var table = new CsvWriter(writer);
                if (csv)
                {
                    await table.WriteRowAsync(CsvHeader, ct);
                }

                await foreach (var row in queries.ExportAsync(filter, ExportMax, ct))
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
        await AuditTrail.RecordAsync(database, CurrentUser.From(http).Audit, "audit", "trail", "verified", null, new { v.Verified, v.VerifiedRows, v.Head.Position, BrokenAt = v.FirstBrokenLink?.Position }, time.GetUtcNow(), ct);
        return TypedResults.Ok(new AuditVerificationDto(v.Verified, v.VerifiedRows, v.UnsealedRows, v.Checkpoint, v.Head, v.FirstBrokenLink));
    }

    private static AuditEntryDto Entry(AuditRow r) =>
        new(r.Id, r.At, r.UserName, r.DisplayName, r.RemoteAddress, r.Entity, r.EntityKey, r.Action, Parse(r.BeforeJson), Parse(r.AfterJson), r.Position, r.Hash);

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}
