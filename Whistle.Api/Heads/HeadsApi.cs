using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Api.Whistles;
using Whistle.Core.Heads;

namespace Whistle.Api.Heads;

/// <summary>Branch heads (派驻机构负责人): who heads each branch and who deputises, with history; kept by the institution that stations the branch.</summary>
public static class HeadsApi
{
    public static IEndpointRouteBuilder MapHeadsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/heads").RequireAuthorization(RolePolicies.Business).WithTags("Branch heads").ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/", async (HttpContext http, HeadsQueries queries, CancellationToken ct) => TypedResults.Ok(await queries.HeadsAsync(CurrentUser.From(http), ct)))
            .WithName("ListBranchHeads");
        api.MapGet("/{branchId}/history", History).WithName("GetBranchHeadHistory").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{branchId}/{post}", (string branchId, string post, SetHeadRequest request, HttpContext http, HeadStore heads, HeadsQueries queries, CancellationToken ct) =>
            Execute(http, queries, branchId, caller => heads.SetAsync(caller, branchId, post, request, ct))).WithName("SetBranchHead").ProducesTransition();
        api.MapDelete("/{branchId}/{post}", (string branchId, string post, HttpContext http, HeadStore heads, HeadsQueries queries, CancellationToken ct) =>
            Execute(http, queries, branchId, caller => heads.VacateAsync(caller, branchId, post, ct))).WithName("VacateBranchHead").ProducesTransition();
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<HeadDto>>, ProblemHttpResult>> History(string branchId, HttpContext http, HeadsQueries queries, CancellationToken ct) =>
        await queries.HistoryAsync(CurrentUser.From(http), branchId, ct) is { } history ? TypedResults.Ok(history) : CommandResults.NotFoundProblem();

    /// <summary>A change of the record; on success, the branch's history as it now is.</summary>
    private static Task<Results<Ok<IReadOnlyList<HeadDto>>, ValidationProblem, ProblemHttpResult>> Execute(
        HttpContext http, HeadsQueries queries, string branchId, Func<Core.Domain.Caller, Task<Core.Domain.CommandResult<string>>> command)
    {
        var caller = CurrentUser.From(http);
        return command(caller).ThenRead(_ => queries.HistoryAsync(caller, branchId, http.RequestAborted));
    }
}
