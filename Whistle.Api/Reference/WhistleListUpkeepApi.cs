using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Core.County;

namespace Whistle.Api.Reference;

/// <summary>
/// Whistle list upkeep (the system administrator, 系统管理员): matters, agencies' names and limits change through the API, each
/// change on the audit trail (<see cref="WhistleListUpkeep"/>).
/// </summary>
public static class WhistleListUpkeepApi
{
    public static IEndpointRouteBuilder MapWhistleListUpkeepApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(RolePolicies.SysAdmin).WithTags("Whistle list upkeep")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPut("/whistle-list/{code}", SaveMatter).WithName("SaveMatter").ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapDelete("/whistle-list/{code}", RetireMatter).WithName("RetireMatter").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/org/agencies/{code}", RenameAgency).WithName("RenameAgency")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    private static Task<Results<Ok<MatterDto>, ValidationProblem, ProblemHttpResult>> SaveMatter(
        string code, SaveMatterRequest request, HttpContext http, WhistleListUpkeep upkeep, CancellationToken ct) =>
        upkeep.SaveMatterAsync(CurrentUser.From(http), code, request, ct).ToHttp();

    private static async Task<Results<NoContent, ProblemHttpResult>> RetireMatter(string code, HttpContext http, WhistleListUpkeep upkeep, CancellationToken ct) =>
        await upkeep.RetireMatterAsync(CurrentUser.From(http), code, ct) is Core.Domain.CommandResult<string>.Success ? TypedResults.NoContent() : CommandResults.NotFoundProblem();

    private static Task<Results<Ok<AgencyDto>, ValidationProblem, ProblemHttpResult>> RenameAgency(
        string code, RenameAgencyRequest request, HttpContext http, WhistleListUpkeep upkeep, CancellationToken ct) =>
        upkeep.RenameAgencyAsync(CurrentUser.From(http), code, request, ct).ToHttp();
}
