using Whistle.Core.Problems;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Whistle.Core.Attachments;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Core.Assessment;
using Whistle.Core.Domain;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;
using Whistle.Core.Text;

namespace Whistle.Api.Export;

/// <summary>
/// Data out, for the county's own analysis and archives (supervisors): the whistles raised in a period, and
/// the timeline events of a period, as CSV (UTF-8 with a byte-order mark, RFC 4180, text cells neutralised against
/// formula injection: <see cref="CsvWriter"/>) or JSON lines. Streamed
/// row by row from the database, so a year of a county's work needs no more memory than a page of it.
/// </summary>
public static class ExportApi
{
    private static readonly string[] WhistleHeader =
    [
        "编号", "吹哨时间(UTC)", "乡镇(街道)", "事项编码", "紧急程度", "状态", "标题", "描述", "地址", "纬度", "经度",
        "吹哨账号", "吹哨人", "最后更新(UTC)", "报到单数", "已报到", "已办结", "已退回", "附件数",
        "层级", "委办局", "工作事项编码", "工作关系",
    ];

    private static readonly string[] AssignmentHeader =
    [
        "报到单编号", "哨单编号", "层级", "乡镇(街道)", "委办局", "事项编码", "工作事项编码", "工作关系",
        "区县部门", "派驻分支机构", "市直事业单位", "内设科室(派驻机构)", "角色", "状态",
        "派单时间(UTC)", "报到时限(UTC)", "办结时限(UTC)", "报到时间(UTC)", "办结时间(UTC)", "退回时间(UTC)", "改派时间(UTC)",
        "评价", "提醒次数", "督办次数",
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
        api.MapGet("/assignments", Assignments).WithName("ExportAssignments")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv", additionalContentTypes: ["application/jsonl"]);
        api.MapGet("/timeline", Timeline).WithName("ExportTimeline")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv", additionalContentTypes: ["application/jsonl"]);
        api.MapGet("/attachments", Attachments).WithName("ExportAttachments")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip");
        return app;
    }

    private static Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult> Whistles(
        HttpContext http, ExportQueries queries, TimeProvider time, DateTimeOffset? from = null, DateTimeOffset? to = null, string? format = null) =>
        Export(http, time, from, to, format, "whistles", queries.WhistlesAsync, WhistleHeader, WhistleCells);

    /// <summary>The duties dispatched in the period, one row each, at both levels (issue 17).</summary>
    private static Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult> Assignments(
        HttpContext http, ExportQueries queries, TimeProvider time, DateTimeOffset? from = null, DateTimeOffset? to = null, string? format = null) =>
        Export(http, time, from, to, format, "assignments", queries.AssignmentsAsync, AssignmentHeader, AssignmentCells);

    private static Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult> Timeline(
        HttpContext http, ExportQueries queries, TimeProvider time, DateTimeOffset? from = null, DateTimeOffset? to = null, string? format = null) =>
        Export(http, time, from, to, format, "timeline", queries.TimelineAsync, TimelineHeader, TimelineCells);

    /// <summary>
    /// The files of the whistles raised in the period, for the archive: one zip, streamed as it is written — each file read
    /// from the store a chunk at a time and written stored (photos and documents are compressed already), one folder per
    /// whistle (<c>{Shanghai day}-{whistle id}/{purpose}-{n}-{name}</c>) and <c>manifest.csv</c> (path, whistle, purpose,
    /// name, type, size, SHA-256, who, when) at the end.
    /// </summary>
    private static Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult> Attachments(
        HttpContext http, ExportQueries queries, AttachmentStore store, TimeProvider time, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddDays(-30);
        var errors = DateRanges.Check(start, end);
        if (errors.Count > 0) return ProblemResults.Validation(errors);
        var fileName = $"attachments-{ChinaTime.LocalDate(start):yyyyMMdd}-{ChinaTime.LocalDate(end):yyyyMMdd}.zip";
        return TypedResults.Stream(
            async stream =>
            {
                var ct = http.RequestAborted;
                var caller = CurrentUser.From(http);
                // ZipArchive writes each entry's small data descriptor synchronously even through its async API (.NET 10):
                // allowed for this response alone; every file's bytes are written asynchronously.
                if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>() is { } body) body.AllowSynchronousIO = true;
                await using var zip = await ZipArchive.CreateAsync(stream, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: Encoding.UTF8, ct);
                var manifest = new StringWriter();
                var table = new CsvWriter(manifest);
                await table.WriteRowAsync(["路径", "哨单编号", "用途", "文件名", "类型", "字节数", "SHA-256", "上传账号", "上传人", "上传时间(UTC)"], ct);
                var counts = new Dictionary<string, int>();
                await foreach (var row in queries.AttachmentsAsync(caller, start, end, ct))
                {
                    await using var content = await store.OpenAsync(row, AttachmentVariant.Original, ct);
                    if (content is null) continue;
                    var folder = $"{ChinaTime.LocalDate(row.UploadedAt):yyyyMMdd}-{row.WhistleId}";
                    var key = $"{folder}/{row.Purpose}";
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                    var path = $"{key}-{counts[key]}-{row.FileName}";
                    var entry = zip.CreateEntry(path, CompressionLevel.NoCompression);
                    entry.LastWriteTime = row.UploadedAt;
                    await using (var target = await entry.OpenAsync(ct))
                    {
                        await content.CopyToAsync(target, ct);
                    }

                    table.Text(path).Text(row.WhistleId).Text(row.Purpose).Text(row.FileName).Text(row.ContentType).Number(row.SizeBytes)
                        .Text(row.Sha256).Text(row.UploadedByUser).Text(row.UploadedByName).Text(Time(row.UploadedAt));
                    await table.EndRowAsync(ct);
                }

                var manifestEntry = zip.CreateEntry("manifest.csv", CompressionLevel.Optimal);
                await using (var target = await manifestEntry.OpenAsync(ct))
                await using (var writer = new StreamWriter(target, CsvWriter.Utf8WithBom))
                {
                    await writer.WriteAsync(manifest.ToString());
                }
            },
            "application/zip",
            fileName);
    }

    private static Results<PushStreamHttpResult, ValidationProblem, ProblemHttpResult> Export<T>(
        HttpContext http,
        TimeProvider time,
        DateTimeOffset? from,
        DateTimeOffset? to,
        string? format,
        string name,
        Func<Caller, DateTimeOffset, DateTimeOffset, CancellationToken, IAsyncEnumerable<T>> read,
        string[] header,
        Action<CsvWriter, T> cells)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddDays(-30);
        var errors = new FieldErrors();
        if (format is not (null or "csv" or "jsonl")) errors.Set("format", Problem.OneOf("format", ["csv", "jsonl"], "The format is csv or jsonl."));
        errors.SetAll(DateRanges.Check(start, end));
        if (errors.Count > 0) return ProblemResults.Validation(errors);

        var csv = format != "jsonl";
        // The days in the name are the county's (Asia/Shanghai): a month asked for from 00:00 local is named by that month.
        var fileName = $"{name}-{ChinaTime.LocalDate(start):yyyyMMdd}-{ChinaTime.LocalDate(end):yyyyMMdd}.{(csv ? "csv" : "jsonl")}";
        return TypedResults.Stream(
            async stream =>
            {
                var ct = http.RequestAborted;
                await using var writer = new StreamWriter(stream, csv ? CsvWriter.Utf8WithBom : new UTF8Encoding(false), bufferSize: 64 * 1024);
                var table = new CsvWriter(writer);
                if (csv)
                {
                    await table.WriteRowAsync(header, ct);
                }

                await foreach (var row in read(CurrentUser.From(http), start, end, ct))
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
            .Text(Time(w.UpdatedAt)).Number(w.Assignments).Number(w.Reported).Number(w.Resolved).Number(w.Declined).Number(w.Attachments)
            .Text(w.Level).Text(w.DepartmentId).Text(w.WorkItemCode).Text(w.RelationId);

    private static void AssignmentCells(CsvWriter csv, AssignmentExportRow a) =>
        csv.Text(a.Id).Text(a.WhistleId).Text(a.Level).Text(a.TownshipId).Text(a.DepartmentId).Text(a.MatterCode).Text(a.WorkItemCode).Text(a.RelationId)
            .Text(a.AgencyCode).Text(a.BranchId).Text(a.InstitutionId).Text(a.UnitId).Text(a.Role).Text(a.Status)
            .Text(Time(a.DispatchedAt)).Text(Time(a.ReportBy)).Text(Time(a.ResolveBy)).Text(Time(a.ReportedAt)).Text(Time(a.ResolvedAt))
            .Text(Time(a.DeclinedAt)).Text(Time(a.ReassignedAt)).Text(a.Rating).Number(a.ReminderCount).Number(a.EscalationCount);

    private static void TimelineCells(CsvWriter csv, TimelineExportRow e) =>
        csv.Number(e.Sequence).Text(Time(e.OccurredAt)).Text(e.WhistleId).Text(e.AssignmentId).Text(e.Type).Text(e.ActorUser)
            .Text(e.ActorName).Text(e.ActorOrg).Text(e.Note);

    private static string? Time(DateTimeOffset? t) => t is { } v ? Time(v) : null;

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
