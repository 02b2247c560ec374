using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Telemetry;
using Whistle.Core.Whistles;

namespace Whistle.Api.Whistles;

/// <summary>PRODUCT.md §5, whistles.</summary>
public static class WhistlesApi
{
    public const string RaiseRateLimit = "raise";

    public static IEndpointRouteBuilder MapWhistlesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/whistles").RequireAuthorization(RolePolicies.Business).WithTags("Whistles").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithWhistleScope();
        api.MapPost("/", Raise).RequireRateLimiting(RaiseRateLimit).WithName("RaiseWhistle").ProducesCommand()
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapGet("/", List).WithName("ListWhistles");
        api.MapGet("/{id}", Get).WithName("GetWhistle");
        api.MapPost("/{id}/cancel", (string id, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.CancelAsync(caller, id, ct))).WithName("CancelWhistle").ProducesTransition();
        api.MapPost("/{id}/confirm", (string id, ConfirmWhistleRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.ConfirmAsync(caller, id, request, ct))).WithName("ConfirmWhistle").ProducesTransition();
        api.MapPost("/{id}/reopen", (string id, ReopenWhistleRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.ReopenAsync(caller, id, request, ct))).WithName("ReopenWhistle").ProducesTransition();
        api.MapPost("/{id}/attachments", (string id, AddAttachmentsRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.AddAttachmentsAsync(caller, id, request, ct))).WithName("AddWhistleAttachments").ProducesTransition();
        api.MapPost("/{id}/assignments", (string id, AddAssignmentRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.AddUnitAsync(caller, id, request, ct))).WithName("AddAssignment").ProducesTransition();
        return app;
    }

    /// <summary>A command of the whistle's owner for this caller; on success, the whistle as it now is.</summary>
    public static Task<Results<Ok<WhistleDto>, ValidationProblem, ProblemHttpResult>> Execute(
        HttpContext http, WhistleQueries queries, Func<Caller, Task<CommandResult<string>>> command)
    {
        var caller = CurrentUser.From(http);
        return command(caller).ThenRead(whistleId => queries.GetAsync(caller, whistleId, http.RequestAborted));
    }

    private static async Task<Results<Created<WhistleDto>, Ok<WhistleDto>, ValidationProblem, ProblemHttpResult>> Raise(
        RaiseWhistleRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        HttpContext http,
        WhistleStore whistles,
        WhistleQueries queries,
        CancellationToken ct)
    {
        var caller = CurrentUser.From(http);
        var result = await whistles.RaiseAsync(caller, request, string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey, ct);
        if (result is CommandResult<string>.Success raised)
        {
            Activity.Current?.SetTag(WhistleTelemetry.WhistleIdTag, raised.Value);
        }

        return result switch
        {
            CommandResult<string>.Success s when await queries.GetAsync(caller, s.Value, ct) is { } whistle => TypedResults.Created($"/api/whistles/{whistle.Id}", whistle),
            CommandResult<string>.Invalid i => TypedResults.ValidationProblem(i.Errors),
            CommandResult<string>.Forbidden f => TypedResults.Problem(title: "Forbidden", detail: f.Detail, statusCode: StatusCodes.Status403Forbidden),
            CommandResult<string>.Conflict c => TypedResults.Problem(title: "Conflict", detail: c.Detail, statusCode: StatusCodes.Status409Conflict),
            CommandResult<string>.TooLarge l => CommandResults.TooLargeProblem(l.Code, l.Detail),
            _ => CommandResults.NotFoundProblem(),
        };
    }

    private static async Task<Results<Ok<PageDto<WhistleDto>>, ValidationProblem>> List(
        HttpContext http,
        WhistleQueries queries,
        CancellationToken ct,
        string? status = "open",
        int page = 1,
        int pageSize = 20)
    {
        var errors = Paging(status, page, pageSize);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(await queries.ListAsync(CurrentUser.From(http), status ?? "open", page, pageSize, ct));
    }

    public static Dictionary<string, string[]> Paging(string? status, int page, int pageSize)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not (null or "open" or "closed" or "all")) errors["status"] = ["The status must be open, closed or all."];
        if (page < 1) errors["page"] = ["The page starts at 1."];
        if (pageSize is < 1 or > WhistleQueries.MaxPageSize) errors["pageSize"] = [$"The page size must be between 1 and {WhistleQueries.MaxPageSize}."];
        return errors;
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    private static async Task<Results<Ok<WhistleDto>, ProblemHttpResult>> Get(string id, HttpContext http, WhistleQueries queries, CancellationToken ct)
    {
        var whistle = await queries.GetAsync(CurrentUser.From(http), id, ct);
        return whistle is null ? CommandResults.NotFoundProblem() : TypedResults.Ok(whistle);
    }
}
