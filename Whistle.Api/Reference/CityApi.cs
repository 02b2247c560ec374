using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;

namespace Whistle.Api.Reference;

/// <summary>
/// The city level's organisation (issue 17): departments, institutions with their offices and branches, the relations
/// with their lists of work items and whether their mechanism is in place — as much as the caller may read
/// (<see cref="CityViews"/>).
/// </summary>
public static class CityApi
{
    public static IEndpointRouteBuilder MapCityApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/city").RequireAuthorization(RolePolicies.City).WithTags("City level").ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        // The organisation on its own group: a county branch or agency linked to an institution reads it too (the names
        // of the work requests it answers); an unlinked one gets the 403 every other county unit gets.
        app.MapGroup("/api/city").RequireAuthorization(RolePolicies.CityReaders).WithTags("City level").ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .MapGet("/", Results<Ok<CityDto>, ProblemHttpResult, ForbidHttpResult> (HttpContext http, CountyCatalogHolder county) =>
            {
                var caller = CurrentUser.From(http);
                if (caller.Role is Roles.Branch or Roles.Agency && CityViews.LinkedInstitution(county.Catalog, caller) is null) return TypedResults.Forbid();
                return CityViews.For(county.Catalog, caller) is { } city ? TypedResults.Ok(city) : Whistle.Api.Whistles.CommandResults.NotFoundProblem();
            })
            .WithName("GetCity").WithSummary("The city's organisation and the relations the caller may read.");
        api.MapGet("/relations/{id}", Results<Ok<RelationDto>, ProblemHttpResult> (string id, HttpContext http, CountyCatalogHolder county) =>
            county.Catalog.FindRelation(id) is { } r && CityViews.CanSee(county.Catalog, CurrentUser.From(http), r)
                ? TypedResults.Ok(CityViews.Relation(county.Catalog, r))
                : Whistle.Api.Whistles.CommandResults.NotFoundProblem())
            .WithName("GetCityRelation").WithSummary("One relation: its departments, list of work items and mechanism.");
        return app;
    }
}
