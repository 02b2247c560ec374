using Whistle.Core.Problems;
using Whistle.Api.Hosting;
using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Core.Assessment;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;
using Whistle.Core.Text;

namespace Whistle.Api.Stats;

/// <summary><paramref name="AsOf"/>: the moment the rates were counted at (a duty is due once its limit passed before it).</summary>
public sealed record ResponseTimesDto(DateTimeOffset From, DateTimeOffset To, DateTimeOffset AsOf, IReadOnlyList<UnitFigures> Agencies, IReadOnlyList<UnitFigures> Branches);

public sealed record AssessmentDto(
    string Period,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset AsOf,
    AssessmentWeights Weights,
    IReadOnlyList<UnitFigures> Agencies,
    IReadOnlyList<UnitFigures> Branches,
    IReadOnlyList<HistogramBucket> TimeToReportHistogram,
    IReadOnlyList<TrendPoint> Trend);

/// <summary>Response times and the assessment (实绩考核): supervisors see the county, a township the branches stationed in it, an agency itself and its branches.</summary>
public static class StatsApi
{
    private const int MaxDays = 400;

    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/stats").RequireAuthorization(RolePolicies.Business).WithTags("Assessment")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/response-times", ResponseTimes).WithName("GetResponseTimes");
        api.MapGet("/assessment", Assessment).WithName("GetAssessment").Produces(StatusCodes.Status200OK, contentType: "text/csv");
        return app;
    }

    private static async Task<Results<Ok<ResponseTimesDto>, ValidationProblem, ProblemHttpResult>> ResponseTimes(
        HttpContext http, StatsQueries queries, CountyCatalogHolder county, TimeProvider time, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var user = CurrentUser.From(http);
        if (Forbidden(user) is { } forbidden) return forbidden;
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddDays(-30);
        if (RangeErrors(start, end) is { Count: > 0 } errors) return ProblemResults.Validation(errors);
        var asOf = time.GetUtcNow();
        var (agencies, branches, _) = await FiguresAsync(queries, county.Catalog, user, start, end, asOf, ct);
        return TypedResults.Ok(new ResponseTimesDto(start, end, asOf, agencies, branches));
    }

    private static async Task<Results<Ok<AssessmentDto>, PushStreamHttpResult, ValidationProblem, ProblemHttpResult>> Assessment(
        HttpContext http,
        StatsQueries queries,
        CountyCatalogHolder county,
        TimeProvider time,
        CancellationToken ct,
        string? period = null,
        string? date = null,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        string? format = null)
    {
        var user = CurrentUser.From(http);
        if (Forbidden(user) is { } forbidden) return forbidden;
        var errors = new FieldErrors();
        DateTimeOffset start, end;
        var label = period ?? "custom";
        if (from is not null || to is not null)
        {
            start = from ?? DateTimeOffset.MinValue;
            end = to ?? time.GetUtcNow();
            if (from is null) errors.Set("from", Problem.BothOrNeither("from", "to", "Give both from and to, or a period and a date."));
        }
        else
        {
            label = period ?? "month";
            var day = ChinaTime.LocalDate(time.GetUtcNow());
            if (date is not null && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            {
                errors.Set("date", Problem.DateFormat("The date is YYYY-MM-DD."));
            }

            if (label is not ("day" or "week" or "month"))
            {
                errors.Set("period", Problem.OneOf("period", ["day", "week", "month"], "The period is day, week or month."));
            }

            (start, end) = errors.Count == 0 ? ChinaTime.Period(label, day) : (DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        }

        if (format is not (null or "json" or "csv")) errors.Set("format", Problem.OneOf("format", ["json", "csv"], "The format is json or csv."));
        if (errors.Count == 0)
        {
            errors.SetAll(RangeErrors(start, end));
        }

        if (errors.Count > 0) return ProblemResults.Validation(errors);

        var catalog = county.Catalog;
        var asOf = time.GetUtcNow();
        var (agencies, branches, rows) = await FiguresAsync(queries, catalog, user, start, end, asOf, ct);
        var dto = new AssessmentDto(label, start, end, asOf, catalog.Weights, agencies, branches, Assessor.TimeToReportHistogram(rows), Assessor.Trend(rows, start, end, asOf));
        if (format == "csv")
        {
            var name = label == "month"
                ? $"assessment-{ChinaTime.LocalDate(start):yyyy-MM}.csv"
                : $"assessment-{label}-{ChinaTime.LocalDate(start):yyyy-MM-dd}.csv";
            return TypedResults.Stream(stream => WriteCsvAsync(dto, stream, http.RequestAborted), "text/csv; charset=utf-8", name);
        }

        return TypedResults.Ok(dto);
    }

    private static ProblemHttpResult? Forbidden(Caller user) =>
        user.Role is Roles.Supervisor or Roles.Township or Roles.Agency
            ? null
            : ProblemResults.Forbidden(Problem.AssessmentRoles());

    private static FieldErrors RangeErrors(DateTimeOffset from, DateTimeOffset to)
    {
        var errors = new FieldErrors();
        if (to <= from) errors.Set("to", Problem.EndBeforeStart());
        else if (to - from > TimeSpan.FromDays(MaxDays)) errors.Set("to", Problem.PeriodTooLong(MaxDays, $"A range spans at most {MaxDays} days."));
        return errors;
    }

    private static async Task<(IReadOnlyList<UnitFigures> Agencies, IReadOnlyList<UnitFigures> Branches, IReadOnlyList<AssessedAssignment> Rows)> FiguresAsync(
        StatsQueries queries, CountyCatalog catalog, Caller user, DateTimeOffset from, DateTimeOffset to, DateTimeOffset asOf, CancellationToken ct)
    {
        var rows = await queries.AssignmentsAsync(from, to, ct);
        var summons = await queries.SummonsAsync(from, to, ct);
        var weights = catalog.Weights;
        if (user.Role == Roles.Township)
        {
            var own = catalog.Definition.Branches.Where(b => b.TownshipId == user.OrgId).Select(b => b.Id).ToHashSet();
            var ownRows = rows.Where(r => r.BranchId is not null && own.Contains(r.BranchId)).ToList();
            return ([], Assessor.Branches(catalog, ownRows, weights, asOf, user.OrgId, summons), ownRows);
        }

        if (user.Role == Roles.Agency)
        {
            // A county institution sees itself and its own branches (issue 13): the duties routed to it or to them.
            var ownRows = rows.Where(r => r.AgencyCode == user.OrgId).ToList();
            var ownSummons = summons.Where(s => s.AgencyCode == user.OrgId).ToList();
            return (Assessor.Agencies(catalog, ownRows, weights, asOf, ownSummons, user.OrgId), Assessor.Branches(catalog, ownRows, weights, asOf, null, ownSummons, user.OrgId), ownRows);
        }

        return (Assessor.Agencies(catalog, rows, weights, asOf, summons), Assessor.Branches(catalog, rows, weights, asOf, null, summons), rows);
    }

    private static readonly string[] CsvHeader =
    [
        "类别", "排名", "单位", "单位编码", "所属部门", "乡镇(街道)", "报到单数", "已报到", "按时报到", "应报到(计入响应率)", "已办结", "按时办结", "应办结(计入解决率)", "退回", "被改派", "被督办",
        "已评价", "满意", "基本满意", "不满意", "报到用时P50(秒)", "报到用时P90(秒)", "办结用时P50(秒)", "办结用时P90(秒)",
        "响应率", "解决率", "满意率", "综合得分", "会议召集", "按时确认", "会议报到", "迟到", "缺席",
    ];

    /// <summary>
    /// UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly; RFC 4180 quoting; unit names
    /// neutralised against formula injection and figures written as numbers (<see cref="CsvWriter"/>).
    /// </summary>
    public static async Task WriteCsvAsync(AssessmentDto dto, Stream stream, CancellationToken ct)
    {
        await using var writer = new StreamWriter(stream, CsvWriter.Utf8WithBom, bufferSize: 16 * 1024);
        var csv = new CsvWriter(writer);
        await csv.WriteRowAsync(CsvHeader, ct);
        foreach (var u in dto.Agencies.Concat(dto.Branches))
        {
            await csv.Text(u.Kind == Assessor.AgencyKind ? "区县事业单位" : "派驻分支机构").Number(u.Rank)
                .Text(u.UnitName).Text(u.UnitId).Text(u.AgencyCode).Text(u.TownshipId)
                .Number(u.Assignments).Number(u.Reported).Number(u.ReportedWithinLimit).Number(u.ResponseDue).Number(u.Resolved).Number(u.ResolvedWithinLimit).Number(u.ResolutionDue)
                .Number(u.Declined).Number(u.Reassigned).Number(u.Escalated)
                .Number(u.Rated).Number(u.Satisfied).Number(u.BasicallySatisfied).Number(u.Unsatisfied)
                .Number(u.TimeToReportP50, "0").Number(u.TimeToReportP90, "0").Number(u.TimeToResolveP50, "0").Number(u.TimeToResolveP90, "0")
                .Number(u.ResponseRate, "0.0000").Number(u.ResolutionRate, "0.0000").Number(u.SatisfactionRate, "0.0000").Number(u.Score, "0.00")
                .Number(u.MeetingsSummoned).Number(u.ConfirmedOnTime).Number(u.ReportedIn).Number(u.Late).Number(u.Absent)
                .EndRowAsync(ct);
        }
    }
}
