using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Api.Whistles;
using Whistle.Core.Domain;
using Whistle.Core.Problems;
using Whistle.Core.Heads;

namespace Whistle.Api.Heads;

/// <summary>
/// 任免建议: the institution's consultations (征求意见) and the township's own recommendations, each answered by the other
/// side within its limit; confidential (the heads policy and rule: no branch, no other township or institution).
/// </summary>
public static class RecommendationsApi
{
    public static IEndpointRouteBuilder MapRecommendationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/recommendations").RequireAuthorization(RolePolicies.Heads).WithTags("Branch heads")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPost("/", Open).WithName("OpenRecommendation").ProducesCommand();
        api.MapGet("/", List).WithName("ListRecommendations");
        api.MapGet("/{id}", Get).WithName("GetRecommendation").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id}/answer", (string id, AnswerRecommendationRequest request, HttpContext http, RecommendationStore store, HeadsQueries queries, CancellationToken ct) =>
        {
            var caller = CurrentUser.From(http);
            return store.AnswerAsync(caller, id, request, ct).ThenRead(rid => queries.RecommendationAsync(caller, rid, ct));
        }).WithName("AnswerRecommendation").ProducesTransition();
        api.MapPost("/{id}/decide", (string id, DecideRecommendationRequest request, HttpContext http, RecommendationStore store, HeadsQueries queries, CancellationToken ct) =>
        {
            var caller = CurrentUser.From(http);
            return store.DecideAsync(caller, id, request, ct).ThenRead(rid => queries.RecommendationAsync(caller, rid, ct));
        }).WithName("DecideRecommendation").ProducesTransition();
        return app;
    }

    private static async Task<Results<Created<RecommendationDto>, Ok<RecommendationDto>, ValidationProblem, ProblemHttpResult>> Open(
        OpenRecommendationRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, HttpContext http, RecommendationStore store, HeadsQueries queries, CancellationToken ct)
    {
        var caller = CurrentUser.From(http);
        var result = await store.OpenAsync(caller, request, string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey, ct);
        return result switch
        {
            CommandResult<string>.Success { Replayed: true } s when await queries.RecommendationAsync(caller, s.Value, ct) is { } first => TypedResults.Ok(first),
            CommandResult<string>.Success s when await queries.RecommendationAsync(caller, s.Value, ct) is { } dto => TypedResults.Created($"/api/recommendations/{dto.Id}", dto),
            CommandResult<string>.Invalid i => ProblemResults.Validation(i.Errors),
            CommandResult<string>.Forbidden f => ProblemResults.Forbidden(f.Problem),
            CommandResult<string>.Conflict c => ProblemResults.Conflict(c.Problem),
            _ => CommandResults.NotFoundProblem(),
        };
    }

    private static async Task<Results<Ok<IReadOnlyList<RecommendationDto>>, ValidationProblem>> List(HttpContext http, HeadsQueries queries, CancellationToken ct, string? status = "all")
    {
        if (status is not ("all" or "open")) return ProblemResults.Validation(FieldErrors.Of("status", Problem.OneOf("status", ["all", "open"], "all or open.")));
        return TypedResults.Ok(await queries.RecommendationsAsync(CurrentUser.From(http), status, ct));
    }

    private static async Task<Results<Ok<RecommendationDto>, ProblemHttpResult>> Get(string id, HttpContext http, HeadsQueries queries, CancellationToken ct) =>
        await queries.RecommendationAsync(CurrentUser.From(http), id, ct) is { } dto ? TypedResults.Ok(dto) : CommandResults.NotFoundProblem();
}
