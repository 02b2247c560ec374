using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;

namespace Whistle.Api.Assignments;

/// <summary>PRODUCT.md §5, assignments: a branch's (or agency's) inbox and its three actions.</summary>
public static class AssignmentsApi
{
    public static IEndpointRouteBuilder MapAssignmentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/assignments").RequireAuthorization();
        api.MapGet("/", List);
        api.MapPost("/{id}/report", (string id, ReportRequest request, ClaimsPrincipal principal, WhistleCommands commands, CancellationToken ct) =>
            WhistlesApi.Execute(commands.ReportAsync(CurrentUser.From(principal), id, request, ct)));
        api.MapPost("/{id}/resolve", (string id, ResolveRequest request, ClaimsPrincipal principal, WhistleCommands commands, CancellationToken ct) =>
            WhistlesApi.Execute(commands.ResolveAsync(CurrentUser.From(principal), id, request, ct)));
        api.MapPost("/{id}/decline", (string id, DeclineRequest request, ClaimsPrincipal principal, WhistleCommands commands, CancellationToken ct) =>
            WhistlesApi.Execute(commands.DeclineAsync(CurrentUser.From(principal), id, request, ct)));
        api.MapPost("/{id}/reassign", (string id, ReassignRequest request, ClaimsPrincipal principal, ReassignmentCommands commands, CancellationToken ct) =>
            WhistlesApi.Execute(commands.ReassignAsync(CurrentUser.From(principal), id, request, ct)));
        return app;
    }

    private static async Task<Results<Ok<PageDto<InboxItemDto>>, ValidationProblem>> List(
        ClaimsPrincipal principal,
        WhistleQueries queries,
        CancellationToken ct,
        string? status = "open",
        int page = 1,
        int pageSize = 100)
    {
        var errors = WhistlesApi.Paging(status, page, pageSize);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(await queries.InboxAsync(CurrentUser.From(principal), status ?? "open", page, pageSize, ct));
    }
}
