using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Core.Domain;
using Whistle.Core.Whistles;

namespace Whistle.Api.Whistles;

/// <summary>
/// Work requests (工作事项, issue 17): a department raises one on an item of a relation's list. It is a whistle of the
/// city level: read, confirmed and rated under <c>/api/whistles</c>, reported, resolved and declined under
/// <c>/api/assignments</c>, pushed on the hub — the same endpoints, owner and dispatch as a township's whistle.
/// </summary>
public static class WorkRequestsApi
{
    public static IEndpointRouteBuilder MapWorkRequestsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/work-requests").RequireAuthorization(RolePolicies.Department).WithTags("Whistles").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithWhistleScope();
        api.MapPost("/", Raise).RequireRateLimiting(WhistlesApi.RaiseRateLimit).WithName("RaiseWorkRequest").ProducesCommand()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("A department raises a work request on an item of the list of a relation it has with the institution.");
        return app;
    }

    private static async Task<Results<Created<WhistleDto>, Ok<WhistleDto>, ValidationProblem, ProblemHttpResult>> Raise(
        RaiseWorkRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        HttpContext http,
        WhistleStore whistles,
        WhistleQueries queries,
        CancellationToken ct)
    {
        var caller = CurrentUser.From(http);
        var result = await whistles.RaiseWorkRequestAsync(caller, request, string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey, ct);
        return await WhistlesApi.RaisedAsync(result, caller, queries, ct);
    }
}
