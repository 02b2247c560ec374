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

/// <summary><paramref name="AsOf"/>: the moment the rates were counted at (a duty is due once its limit passed before it).
/// <paramref name="Level"/>: <c>township</c>, <c>city</c> or <c>both</c>; the city's lists are empty at the township level and the township's at the city level.</summary>
public sealed record ResponseTimesDto(
    DateTimeOffset From, DateTimeOffset To, DateTimeOffset AsOf, IReadOnlyList<UnitFigures> Agencies, IReadOnlyList<UnitFigures> Branches,
    string Level, IReadOnlyList<UnitFigures> Institutions, IReadOnlyList<DepartmentRanking> Departments, IReadOnlyList<UnitFigures> Offices, IReadOnlyList<UnitFigures> Relations);

public sealed record AssessmentDto(
    string Period,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset AsOf,
    AssessmentWeights Weights,
    IReadOnlyList<UnitFigures> Agencies,
    IReadOnlyList<UnitFigures> Branches,
    IReadOnlyList<HistogramBucket> TimeToReportHistogram,
    IReadOnlyList<TrendPoint> Trend,
    string Level,
    IReadOnlyList<UnitFigures> Institutions,
    IReadOnlyList<DepartmentRanking> Departments,
    IReadOnlyList<UnitFigures> Offices,
    IReadOnlyList<UnitFigures> Relations);

/// <summary>Response times and the assessment (实绩考核): supervisors see the county, a township the branches stationed in it, an agency itself and its branches.</summary>
public static class StatsApi
{
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
        HttpContext http, StatsQueries queries, CountyCatalogHolder county, TimeProvider time, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null, string? level = null)
    {
        var user = CurrentUser.From(http);
        if (Forbidden(user) is { } forbidden) return forbidden;
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddDays(-30);
        var errors = DateRanges.Check(start, end);
        var chosen = Level(user, level, errors);
        if (errors.Count > 0) return ProblemResults.Validation(errors);
        if (LevelForbidden(user, chosen!) is { } notYours) return notYours;
        var asOf = time.GetUtcNow();
        var f = await FiguresAsync(queries, county.Catalog, user, chosen!, start, end, asOf, ct);
        return TypedResults.Ok(new ResponseTimesDto(start, end, asOf, f.Agencies, f.Branches, chosen!, f.City.Institutions, f.City.Departments, f.City.Offices, f.City.Relations));
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
        string? format = null,
        string? level = null)
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
        var chosen = Level(user, level, errors);
        if (errors.Count == 0)
        {
            errors.SetAll(DateRanges.Check(start, end));
        }

        if (errors.Count > 0) return ProblemResults.Validation(errors);
        if (LevelForbidden(user, chosen!) is { } notYours) return notYours;

        var catalog = county.Catalog;
        var asOf = time.GetUtcNow();
        var f = await FiguresAsync(queries, catalog, user, chosen!, start, end, asOf, ct);
        var dto = new AssessmentDto(label, start, end, asOf, catalog.Weights, f.Agencies, f.Branches, Assessor.TimeToReportHistogram(f.Rows), Assessor.Trend(f.Rows, start, end, asOf),
            chosen!, f.City.Institutions, f.City.Departments, f.City.Offices, f.City.Relations);
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
        user.Role is Roles.Supervisor or Roles.Township or Roles.Agency or Roles.Department or Roles.Institution or Roles.EstablishmentOffice
            ? null
            : ProblemResults.Forbidden(Problem.AssessmentRoles());

    /// <summary>Both levels at once (the supervisors' choice); the others are <see cref="WhistleLevel"/>'s.</summary>
    private const string BothLevels = "both";

    /// <summary>
    /// The level asked for, or the caller's own: the township level for townships, agencies and the supervisors (so
    /// that every caller from before the city level gets the answer it always got), the city level for the city's roles.
    /// </summary>
    private static string? Level(Caller user, string? level, FieldErrors errors)
    {
        if (string.IsNullOrWhiteSpace(level))
        {
            return user.Role is Roles.Department or Roles.Institution or Roles.EstablishmentOffice ? WhistleLevel.City : WhistleLevel.Township;
        }

        if (level is WhistleLevel.Township or WhistleLevel.City or BothLevels) return level;
        errors.Set("level", Problem.OneOf("level", [WhistleLevel.Township, WhistleLevel.City, BothLevels], "The level is township, city or both."));
        return null;
    }

    /// <summary>Townships and agencies read the township level; the city's roles the city level; the supervisors either or both.</summary>
    private static ProblemHttpResult? LevelForbidden(Caller user, string level) =>
        user.Role == Roles.Supervisor
        || (level == WhistleLevel.Township && user.Role is Roles.Township or Roles.Agency)
        || (level == WhistleLevel.City && user.Role is Roles.Department or Roles.Institution or Roles.EstablishmentOffice)
            ? null
            : ProblemResults.Forbidden(Problem.AssessmentLevel(level));

    /// <summary>The caller's figures of the level chosen: one read of the period's duties (<see cref="StatsQueries.LevelFiguresAsync"/>).</summary>
    private static Task<LevelFigures> FiguresAsync(
        StatsQueries queries, CountyCatalog catalog, Caller user, string level, DateTimeOffset from, DateTimeOffset to, DateTimeOffset asOf, CancellationToken ct) =>
        queries.LevelFiguresAsync(
            catalog,
            township: level is WhistleLevel.Township or BothLevels,
            townshipId: user.Role == Roles.Township ? user.OrgId : null,
            agencyCode: user.Role == Roles.Agency ? user.OrgId : null,
            city: level is WhistleLevel.City or BothLevels ? CityScope.Of(catalog, user) : null,
            from, to, asOf, ct);

    private static readonly string[] CsvHeader =
    [
        "类别", "排名", "单位", "单位编码", "所属部门", "乡镇(街道)", "报到单数", "已报到", "按时报到", "应报到(计入响应率)", "已办结", "按时办结", "应办结(计入解决率)", "退回", "被改派", "被督办",
        "已评价", "满意", "基本满意", "不满意", "报到用时P50(秒)", "报到用时P90(秒)", "办结用时P50(秒)", "办结用时P90(秒)",
        "响应率", "解决率", "满意率", "综合得分", "会议召集", "按时确认", "会议报到", "迟到", "缺席",
    ];

    /// <summary>The columns a city or both-levels CSV adds (a township-level CSV is as it always was).</summary>
    private static readonly string[] CityCsvHeader = ["层级", "委办局", "工作关系"];

    /// <summary>
    /// UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly; RFC 4180 quoting; unit names
    /// neutralised against formula injection and figures written as numbers (<see cref="CsvWriter"/>). Agencies, branches,
    /// then at the city level the institutions (overall), each department's ranking of its institutions, the offices and
    /// the relations, with three more columns: the level, the department and the relation.
    /// </summary>
    public static async Task WriteCsvAsync(AssessmentDto dto, Stream stream, CancellationToken ct)
    {
        await using var writer = new StreamWriter(stream, CsvWriter.Utf8WithBom, bufferSize: 16 * 1024);
        var csv = new CsvWriter(writer);
        var city = dto.Level != WhistleLevel.Township;
        await csv.WriteRowAsync(city ? [.. CsvHeader, .. CityCsvHeader] : CsvHeader, ct);
        var rows = dto.Agencies.Concat(dto.Branches).Select(u => (Kind: u.Kind == Assessor.AgencyKind ? "区县事业单位" : "派驻分支机构", Unit: u))
            .Concat(dto.Institutions.Select(u => ("市直事业单位", u)))
            .Concat(dto.Departments.SelectMany(d => d.Institutions.Select(u => ("市直事业单位(委办局排名)", u))))
            .Concat(dto.Offices.Select(u => ("事业单位内设科室(派驻机构)", u)))
            .Concat(dto.Relations.Select(u => ("工作关系", u)));
        foreach (var (kind, u) in rows)
        {
            var line = csv.Text(kind).Number(u.Rank)
                .Text(u.UnitName).Text(u.UnitId).Text(u.AgencyCode).Text(u.TownshipId)
                .Number(u.Assignments).Number(u.Reported).Number(u.ReportedWithinLimit).Number(u.ResponseDue).Number(u.Resolved).Number(u.ResolvedWithinLimit).Number(u.ResolutionDue)
                .Number(u.Declined).Number(u.Reassigned).Number(u.Escalated)
                .Number(u.Rated).Number(u.Satisfied).Number(u.BasicallySatisfied).Number(u.Unsatisfied)
                .Number(u.TimeToReportP50, "0").Number(u.TimeToReportP90, "0").Number(u.TimeToResolveP50, "0").Number(u.TimeToResolveP90, "0")
                .Number(u.ResponseRate, "0.0000").Number(u.ResolutionRate, "0.0000").Number(u.SatisfactionRate, "0.0000").Number(u.Score, "0.00")
                .Number(u.MeetingsSummoned).Number(u.ConfirmedOnTime).Number(u.ReportedIn).Number(u.Late).Number(u.Absent);
            if (city)
            {
                line = line.Text(u.Level == WhistleLevel.City ? "市级" : "乡镇").Text(u.DepartmentId).Text(u.RelationId);
            }

            await line.EndRowAsync(ct);
        }
    }
}
