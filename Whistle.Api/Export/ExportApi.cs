using Whistle.Core.Problems;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Core.Assessment;
using Whistle.Core.Domain;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;
using Whistle.Core.Text;

namespace Whistle.Api.Export;

/// <summary>One whistle as exported: a row of the whistles table, with its assignments counted by state.</summary>
public sealed record WhistleExportRow
{
    public string Id { get; init; } = "";
    public DateTimeOffset RaisedAt { get; init; }
    public string TownshipId { get; init; } = "";
    public string MatterCode { get; init; } = "";
    public string Urgency { get; init; } = "";
    public string Status { get; init; } = "";
    public string Title { get; init; } = "";
    public string? Description { get; init; }
    public string Address { get; init; } = "";
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public string RaisedByUser { get; init; } = "";
    public string RaisedByName { get; init; } = "";
    public DateTimeOffset UpdatedAt { get; init; }
    public int Assignments { get; init; }
    public int Reported { get; init; }
    public int Resolved { get; init; }
    public int Declined { get; init; }
}

/// <summary>One timeline event as exported (the event's full payload stays in the database).</summary>
public sealed record TimelineExportRow
{
    public long Sequence { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    public string WhistleId { get; init; } = "";
    public string? AssignmentId { get; init; }
    public string Type { get; init; } = "";
    public string ActorUser { get; init; } = "";
    public string ActorName { get; init; } = "";
    public string ActorOrg { get; init; } = "";
    public string? Note { get; init; }
}

/// <summary>
/// Data out, for the county's own analysis and archives (supervisors): the whistles raised in a period, and
/// the timeline events of a period, as CSV (UTF-8 with a byte-order mark, RFC 4180, text cells neutralised against
/// formula injection: <see cref="CsvWriter"/>) or JSON lines. Streamed
/// row by row from the database, so a year of a county's work needs no more memory than a page of it.
/// </summary>
public static class ExportApi
{
    public const int MaxDays = 400;

    private const string WhistlesSql = """
        SELECT w.id, w.raised_at AS RaisedAt, w.township_id AS TownshipId, w.matter_code AS MatterCode, w.urgency, w.status,
               w.title, w.description, w.address, w.latitude, w.longitude, w.raised_by_user AS RaisedByUser,
               w.raised_by_name AS RaisedByName, w.updated_at AS UpdatedAt,
               (SELECT COUNT(*) FROM assignments a WHERE a.whistle_id = w.id) AS Assignments,
               (SELECT COUNT(*) FROM assignments a WHERE a.whistle_id = w.id AND a.reported_at IS NOT NULL) AS Reported,
               (SELECT COUNT(*) FROM assignments a WHERE a.whistle_id = w.id AND a.status = 'resolved') AS Resolved,
               (SELECT COUNT(*) FROM assignments a WHERE a.whistle_id = w.id AND a.status = 'declined') AS Declined
        FROM whistles w
        WHERE w.raised_at >= @From AND w.raised_at < @To
        ORDER BY w.raised_at, w.id;
        """;

    private const string TimelineSql = """
        SELECT sequence, occurred_at AS OccurredAt, whistle_id AS WhistleId, assignment_id AS AssignmentId, type,
               actor_user AS ActorUser, actor_name AS ActorName, actor_org AS ActorOrg, note
        FROM timeline
        WHERE occurred_at >= @From AND occurred_at < @To
        ORDER BY sequence;
        """;

    private static readonly string[] WhistleHeader =
    [
        "编号", "吹哨时间(UTC)", "乡镇(街道)", "事项编码", "紧急程度", "状态", "标题", "描述", "地址", "纬度", "经度",
        "吹哨账号", "吹哨人", "最后更新(UTC)", "报到单数", "已报到", "已办结", "已退回",
    ];

    private static readonly string[] TimelineHeader =
        ["序号", "时间(UTC)", "哨单编号", "报到单编号", "事件", "账号", "姓名", "单位", "说明"];

    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/export").RequireAuthorization(RolePolicies.Supervisor).WithTags("Export")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/whistles", Whistles).WithName("ExportWhistles")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv", additionalContentTypes: ["application/jsonl"]);
        api.MapGet("/timeline", Timeline).WithName("ExportTimeline")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv", additionalContentTypes: ["application/jsonl"]);
        return app;
    }

    private static Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult> Whistles(
        HttpContext http, WhistleDatabase database, TimeProvider time, DateTimeOffset? from = null, DateTimeOffset? to = null, string? format = null) =>
        Export<WhistleExportRow>(http, database, time, from, to, format, "whistles", WhistlesSql, WhistleHeader, WhistleCells);

    private static Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult> Timeline(
        HttpContext http, WhistleDatabase database, TimeProvider time, DateTimeOffset? from = null, DateTimeOffset? to = null, string? format = null) =>
        Export<TimelineExportRow>(http, database, time, from, to, format, "timeline", TimelineSql, TimelineHeader, TimelineCells);

    private static Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult> Export<T>(
        HttpContext http,
        WhistleDatabase database,
        TimeProvider time,
        DateTimeOffset? from,
        DateTimeOffset? to,
        string? format,
        string name,
        string sql,
        string[] header,
        Action<CsvWriter, T> cells)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddDays(-30);
        var errors = new FieldErrors();
        if (format is not (null or "csv" or "jsonl")) errors.Set("format", Problems.OneOf("format", ["csv", "jsonl"], "The format is csv or jsonl."));
        if (end <= start) errors.Set("to", Problems.EndBeforeStart());
        else if (end - start > TimeSpan.FromDays(MaxDays)) errors.Set("to", Problems.PeriodTooLong(MaxDays, $"A period spans at most {MaxDays} days."));
        if (errors.Count > 0) return ProblemResults.Validation(errors);

        var csv = format != "jsonl";
        // The days in the name are the county's (Asia/Shanghai): a month asked for from 00:00 local is named by that month.
        var fileName = $"{name}-{ChinaTime.LocalDate(start):yyyyMMdd}-{ChinaTime.LocalDate(end):yyyyMMdd}.{(csv ? "csv" : "jsonl")}";
        return TypedResults.Stream(
            async stream =>
            {
                var ct = http.RequestAborted;
                // One connection for the whole export, read row by row (no retry midway: a retry would repeat rows).
                await using var connection = await database.DataSource.OpenConnectionAsync(ct);
                await using var writer = new StreamWriter(stream, csv ? CsvWriter.Utf8WithBom : new UTF8Encoding(false), bufferSize: 64 * 1024);
                var table = new CsvWriter(writer);
                if (csv)
                {
                    await table.WriteRowAsync(header, ct);
                }

                await foreach (var row in connection.QueryUnbufferedAsync<T>(sql, new { From = start, To = end }).WithCancellation(ct))
                {
                    if (csv)
                    {
                        cells(table, row);
                        await table.EndRowAsync(ct);
                    }
                    else
                    {
                        await writer.WriteAsync(JsonSerializer.Serialize(row, MessageTypes.Json) + "\n");
                    }
                }
            },
            csv ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8",
            fileName);
    }

    // Text cells are neutralised against formula injection by the writer; figures are written as numbers.
    private static void WhistleCells(CsvWriter csv, WhistleExportRow w) =>
        csv.Text(w.Id).Text(Time(w.RaisedAt)).Text(w.TownshipId).Text(w.MatterCode).Text(w.Urgency).Text(w.Status).Text(w.Title)
            .Text(w.Description).Text(w.Address).Number(w.Latitude).Number(w.Longitude).Text(w.RaisedByUser).Text(w.RaisedByName)
            .Text(Time(w.UpdatedAt)).Number(w.Assignments).Number(w.Reported).Number(w.Resolved).Number(w.Declined);

    private static void TimelineCells(CsvWriter csv, TimelineExportRow e) =>
        csv.Number(e.Sequence).Text(Time(e.OccurredAt)).Text(e.WhistleId).Text(e.AssignmentId).Text(e.Type).Text(e.ActorUser)
            .Text(e.ActorName).Text(e.ActorOrg).Text(e.Note);

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
