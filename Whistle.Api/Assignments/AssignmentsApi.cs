using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Api.Whistles;
using Whistle.Core.Whistles;

namespace Whistle.Api.Assignments;

/// <summary>PRODUCT.md §5, assignments: a branch's (or agency's) inbox and its three actions.</summary>
public static class AssignmentsApi
{
    public static IEndpointRouteBuilder MapAssignmentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/assignments").RequireAuthorization(RolePolicies.Business).WithTags("Assignments").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithAssignmentScope();
        api.MapGet("/", List).WithName("ListAssignments");
        api.MapPost("/{id}/report", (string id, ReportRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            WhistlesApi.Execute(http, queries, caller => whistles.ReportAsync(caller, id, request, ct))).WithName("ReportAssignment").ProducesTransition();
        api.MapPost("/{id}/resolve", (string id, ResolveRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            WhistlesApi.Execute(http, queries, caller => whistles.ResolveAsync(caller, id, request, ct))).WithName("ResolveAssignment").ProducesTransition();
        api.MapPost("/{id}/decline", (string id, DeclineRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            WhistlesApi.Execute(http, queries, caller => whistles.DeclineAsync(caller, id, request, ct))).WithName("DeclineAssignment").ProducesTransition();
        api.MapPost("/{id}/urge", (string id, UrgeRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            WhistlesApi.Execute(http, queries, caller => whistles.UrgeAsync(caller, id, request, ct))).WithName("UrgeAssignment").ProducesTransition();
        api.MapPost("/{id}/reassign", (string id, ReassignRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            WhistlesApi.Execute(http, queries, caller => whistles.ReassignAsync(caller, id, request, ct))).WithName("ReassignAssignment").ProducesTransition();
        return app;
    }

    private static async Task<Results<Ok<PageDto<InboxItemDto>>, ValidationProblem>> List(
        HttpContext http,
        WhistleQueries queries,
        CancellationToken ct,
        string? status = "open",
        int page = 1,
        int pageSize = 100)
    {
        var errors = WhistlesApi.Paging(status, page, pageSize);
        if (errors.Count > 0) return ProblemResults.Validation(errors);
        return TypedResults.Ok(await queries.InboxAsync(CurrentUser.From(http), status ?? "open", page, pageSize, ct));
    }
}
