using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Api.Whistles;
using Whistle.Core.Assessment;
using Whistle.Core.Domain;
using Whistle.Core.Problems;
using Whistle.Core.Heads;
using Whistle.Core.Text;

namespace Whistle.Api.Heads;

/// <summary>
/// The township's periodic assessment of branch heads (实绩考核): forms issued when a period closes, pre-filled with the
/// branch's figures; graded once (a correction is a new version); the institution sees result and weight; the
/// supervisors every form, who is late and the grades given; a CSV of a period (the one <see cref="CsvWriter"/>).
/// </summary>
public static class AssessmentFormsApi
{
    public static IEndpointRouteBuilder MapAssessmentFormsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/assessment-forms").RequireAuthorization(RolePolicies.Heads).WithTags("Branch heads")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/", List).WithName("ListAssessmentForms");
        api.MapGet("/settings", async (HeadsQueries queries, CancellationToken ct) => TypedResults.Ok(await queries.SettingsAsync(ct))).WithName("GetAssessmentSettings");
        api.MapGet("/summary", Summary).WithName("GetAssessmentFormSummary");
        api.MapGet("/export", Export).WithName("ExportAssessmentForms").Produces(StatusCodes.Status200OK, contentType: "text/csv");
        api.MapGet("/{id}", Get).WithName("GetAssessmentForm").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id}/submit", (string id, SubmitFormRequest request, HttpContext http, AssessmentFormStore forms, HeadsQueries queries, CancellationToken ct) =>
        {
            var caller = CurrentUser.From(http);
            return forms.SubmitAsync(caller, id, request, ct).ThenRead(formId => queries.FormAsync(caller, formId, ct));
        }).WithName("SubmitAssessmentForm").ProducesTransition();
        api.MapPost("/{id}/corrections", Correct).WithName("CorrectAssessmentForm").ProducesTransition();
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<FormDto>>, ValidationProblem>> List(HttpContext http, HeadsQueries queries, CancellationToken ct, string? periodId = null, string? status = "all")
    {
        if (status is not ("all" or "pending" or "submitted" or "late")) return ProblemResults.Validation(FieldErrors.Of("status", Problem.OneOf("status", ["all", "pending", "submitted", "late"], "all, pending, submitted or late.")));
        return TypedResults.Ok(await queries.FormsAsync(CurrentUser.From(http), periodId, status, ct));
    }

    private static async Task<Results<Ok<FormDto>, ProblemHttpResult>> Get(string id, HttpContext http, HeadsQueries queries, CancellationToken ct) =>
        await queries.FormAsync(CurrentUser.From(http), id, ct) is { } form ? TypedResults.Ok(form) : CommandResults.NotFoundProblem();

    private static async Task<Results<Created<FormDto>, Ok<FormDto>, ValidationProblem, ProblemHttpResult>> Correct(
        string id, CorrectFormRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, HttpContext http, AssessmentFormStore forms, HeadsQueries queries, CancellationToken ct)
    {
        var caller = CurrentUser.From(http);
        var result = await forms.CorrectAsync(caller, id, request, string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey, ct);
        return result switch
        {
            CommandResult<string>.Success { Replayed: true } s when await queries.FormAsync(caller, s.Value, ct) is { } first => TypedResults.Ok(first),
            CommandResult<string>.Success s when await queries.FormAsync(caller, s.Value, ct) is { } form => TypedResults.Created($"/api/assessment-forms/{form.Id}", form),
            CommandResult<string>.Invalid i => ProblemResults.Validation(i.Errors),
            CommandResult<string>.Forbidden f => ProblemResults.Forbidden(f.Problem),
            CommandResult<string>.Conflict c => ProblemResults.Conflict(c.Problem),
            _ => CommandResults.NotFoundProblem(),
        };
    }

    private static async Task<Results<Ok<FormSummaryDto>, ValidationProblem, ProblemHttpResult>> Summary(HttpContext http, HeadsQueries queries, TimeProvider time, CancellationToken ct, int? year = null)
    {
        var caller = CurrentUser.From(http);
        if (caller.Role != Roles.Supervisor) return ProblemResults.Forbidden(Problem.FormSummarySupervisors());
        var y = year ?? ChinaTime.LocalDate(time.GetUtcNow()).Year - 1;
        if (y is < 2000 or > 2200) return ProblemResults.Validation(FieldErrors.Of("year", Problem.OutOfRange("year", 2000, 2200, "A year between 2000 and 2200.")));
        return TypedResults.Ok(await queries.SummaryAsync(caller, y, ct));
    }

    private static readonly string[] CsvHeader =
    [
        "考核期", "乡镇(街道)", "派驻机构", "所属单位", "负责人", "职务", "状态", "逾期", "等次", "考核意见", "版本", "更正理由", "提交时间", "截止时间",
        "响应率", "解决率", "满意率", "综合得分", "排名", "同级机构数", "报到用时P50(秒)", "报到用时P90(秒)", "办结用时P50(秒)", "办结用时P90(秒)",
        "被督办", "退回", "会议召集", "会议报到", "缺席", "不满意评价", "权重",
    ];

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> Export(HttpContext http, HeadsQueries queries, CancellationToken ct, string? periodId = null)
    {
        var forms = await queries.FormsAsync(CurrentUser.From(http), periodId, "all", ct);
        return TypedResults.Stream(
            async stream =>
            {
                await using var writer = new StreamWriter(stream, CsvWriter.Utf8WithBom, bufferSize: 16 * 1024);
                var csv = new CsvWriter(writer);
                await csv.WriteRowAsync(CsvHeader, http.RequestAborted);
                foreach (var f in forms)
                {
                    var u = f.Evidence.Figures;
                    await csv.Text(f.PeriodId).Text(f.TownshipName).Text(f.BranchName).Text(f.AgencyName).Text(f.HeadName).Text(f.HeadTitle)
                        .Text(f.Status == FormStatus.Submitted ? "已提交" : "待考核").Text(f.Late ? "是" : "否").Text(f.GradeName).Text(f.Opinion).Number(f.FormVersion).Text(f.CorrectionReason)
                        .Text(f.SubmittedAt?.ToOffset(ChinaTime.Offset).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture))
                        .Text(f.DueAt.ToOffset(ChinaTime.Offset).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture))
                        .Number(u.ResponseRate, "0.0000").Number(u.ResolutionRate, "0.0000").Number(u.SatisfactionRate, "0.0000").Number(u.Score, "0.00").Number(u.Rank).Number(f.Evidence.Peers)
                        .Number(u.TimeToReportP50, "0").Number(u.TimeToReportP90, "0").Number(u.TimeToResolveP50, "0").Number(u.TimeToResolveP90, "0")
                        .Number(u.Escalated).Number(u.Declined).Number(u.MeetingsSummoned).Number(u.ReportedIn).Number(u.Absent).Number(f.Evidence.Unsatisfied.Count).Number(f.Weight, "0.00")
                        .EndRowAsync(http.RequestAborted);
                }
            },
            "text/csv; charset=utf-8",
            $"assessment-forms-{periodId ?? "all"}.csv");
    }
}
