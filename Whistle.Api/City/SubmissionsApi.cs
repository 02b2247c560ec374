using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Api.Whistles;
using Whistle.Core.City;
using Whistle.Core.Domain;
using Whistle.Core.Problems;
using Whistle.Core.Whistles;

namespace Whistle.Api.City;

/// <summary>
/// An institution's submissions to its departments (issue 17): 请示 and 报告 along any of its relations, 选拔任用备案 with
/// the managing department of a one-to-one relation; the department answers (批复 / 阅知 / 备案确认 / 提出异议). HTTP only:
/// the rules are <see cref="SubmissionStore"/>'s, the reads <see cref="SubmissionQueries"/>' (the institution, the
/// department addressed and the establishment office; anyone else 404).
/// </summary>
public static class SubmissionsApi
{
    public static IEndpointRouteBuilder MapSubmissionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/submissions").RequireAuthorization(RolePolicies.Submissions).WithTags("City level")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPost("/", Submit).WithName("Submit").ProducesCommand()
            .WithSummary("An institution submits a request for instructions (请示), a report (报告) or an appointment filing (选拔任用备案) to a department of one of its relations.")
            .WithDescription("kind: request | report | filing. departmentId defaults to the relation's lead. A filing goes along a one-to-one relation and names headUnitId, headName, headTitle; for a stationed branch's head it follows the township's opinion (recommendationId, else the latest consultation on an appointment): 409 opinion-not-due while the consultation's limit runs unanswered; filed without the opinion (withoutOpinion: true) when none was asked or the limit passed. attachmentIds: the submitter's drafts (POST /api/attachments), its documents and photos, linked with it (413 past the item's limits). Idempotency-Key replays the first answer (200).");
        api.MapGet("/", List).WithName("ListSubmissions")
            .WithSummary("The submissions the caller may see, newest first: the institution's own (an office account: its office's), the department's addressed to it, all for the establishment office.")
            .WithDescription("status: all (default) | open | answered; kind: request | report | filing.");
        api.MapGet("/{id}", Get).WithName("GetSubmission").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One submission with its files, its timeline (filed, reminded, escalated, answered) and, for a filing, the township's opinion it follows.");
        api.MapPost("/{id}/answer", (string id, AnswerSubmissionRequest request, HttpContext http, SubmissionStore store, SubmissionQueries queries, CancellationToken ct) =>
        {
            var caller = CurrentUser.From(http);
            return store.AnswerAsync(caller, id, request, ct).ThenRead(sid => queries.OneAsync(caller, sid, ct));
        }).WithName("AnswerSubmission").ProducesTransition()
            .WithSummary("The department addressed answers: a request approved | disapproved (text required: the 批复), a report noted (阅知), a filing acknowledged | objected (reasons required).");
        api.MapPost("/{id}/attachments", (string id, AddAttachmentsRequest request, HttpContext http, SubmissionStore store, SubmissionQueries queries, CancellationToken ct) =>
        {
            var caller = CurrentUser.From(http);
            return store.AddAttachmentsAsync(caller, id, request, ct).ThenRead(sid => queries.OneAsync(caller, sid, ct));
        }).WithName("AddSubmissionAttachments").ProducesTransition()
            .WithSummary("补充材料: the submitting institution (or its office that submitted) adds files, with an optional note, while the submission is open.")
            .WithDescription("attachmentIds: the caller's drafts (POST /api/attachments), at least one; note optional. One AttachmentAdded event on the submission's timeline, pushed to whoever sees it. 403 submission-files-by-submitter for the department and the establishment office, 409 submission-answered once answered, 413 past the item's limits, 404 to anyone who does not see it.");
        return app;
    }

    private static async Task<Results<Created<SubmissionDto>, Ok<SubmissionDto>, ValidationProblem, ProblemHttpResult>> Submit(
        SubmitRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, HttpContext http, SubmissionStore store, SubmissionQueries queries, CancellationToken ct)
    {
        var caller = CurrentUser.From(http);
        var result = await store.SubmitAsync(caller, request, string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey, ct);
        return result switch
        {
            CommandResult<string>.Success { Replayed: true } s when await queries.OneAsync(caller, s.Value, ct) is { } first => TypedResults.Ok(first),
            CommandResult<string>.Success s when await queries.OneAsync(caller, s.Value, ct) is { } dto => TypedResults.Created($"/api/submissions/{dto.Id}", dto),
            CommandResult<string>.Invalid i => ProblemResults.Validation(i.Errors),
            CommandResult<string>.Forbidden f => ProblemResults.Forbidden(f.Problem),
            CommandResult<string>.Conflict c => ProblemResults.Conflict(c.Problem),
            CommandResult<string>.TooLarge l => ProblemResults.TooLarge(l.Problem),
            _ => CommandResults.NotFoundProblem(),
        };
    }

    private static async Task<Results<Ok<IReadOnlyList<SubmissionDto>>, ValidationProblem>> List(
        HttpContext http, SubmissionQueries queries, CancellationToken ct, string? status = "all", string? kind = null)
    {
        if (status is not ("all" or "open" or "answered"))
            return ProblemResults.Validation(FieldErrors.Of("status", Problem.OneOf("status", ["all", "open", "answered"], "all, open or answered.")));
        if (kind is not null && !SubmissionKind.All.Contains(kind))
            return ProblemResults.Validation(FieldErrors.Of("kind", Problem.OneOf("kind", SubmissionKind.All, "request, report or filing.")));
        return TypedResults.Ok(await queries.ListAsync(CurrentUser.From(http), status, kind, ct));
    }

    private static async Task<Results<Ok<SubmissionDto>, ProblemHttpResult>> Get(string id, HttpContext http, SubmissionQueries queries, CancellationToken ct) =>
        await queries.OneAsync(CurrentUser.From(http), id, ct) is { } dto ? TypedResults.Ok(dto) : CommandResults.NotFoundProblem();
}
