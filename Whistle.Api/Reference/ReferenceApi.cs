using Whistle.Api.Auth;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;

namespace Whistle.Api.Reference;

public sealed record EscalationSettingsDto(double ReminderShare, int RepeatEveryMinutes);

public sealed record OrgSettingsDto(EscalationSettingsDto Escalation, AssessmentSettingsDto Assessment);

public sealed record AssessmentSettingsDto(AssessmentWeights Weights);

public sealed record OrgDto(
    CountyInfo County,
    IReadOnlyList<TownshipInfo> Townships,
    IReadOnlyList<AgencyDto> Agencies,
    IReadOnlyList<BranchInfo> Branches,
    OrgSettingsDto Settings);

/// <summary>The county's whistle list and organisation (PRODUCT.md §5, reference data).</summary>
public static class ReferenceApi
{
    public static IEndpointRouteBuilder MapReferenceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization().WithTags("Reference data").ProducesProblem(StatusCodes.Status401Unauthorized);
        api.MapGet("/whistle-list", (CountyCatalogHolder county, bool includeRetired = false) =>
            TypedResults.Ok(WhistleList(county.Catalog).Where(m => m.Active || includeRetired).ToList()))
            .WithName("GetWhistleList").ProducesProblem(StatusCodes.Status400BadRequest).RequireAuthorization(RolePolicies.WhistleList);
        api.MapGet("/org", (CountyCatalogHolder county) => TypedResults.Ok(Org(county.Catalog))).WithName("GetOrg").RequireAuthorization(RolePolicies.Organisation);
        return app;
    }

    public static IReadOnlyList<MatterDto> WhistleList(CountyCatalog catalog) =>
        catalog.Definition.Matters.Select(m => ToDto(catalog, m)).ToList();

    public static MatterDto ToDto(CountyCatalog catalog, MatterInfo m) => CountyViews.Matter(catalog, m);

    public static OrgDto Org(CountyCatalog catalog) => new(
        catalog.County,
        catalog.Definition.Townships,
        catalog.Definition.Agencies.Select(a => CountyViews.Agency(catalog, a)).ToList(),
        catalog.Definition.Branches,
        new OrgSettingsDto(
            new EscalationSettingsDto(catalog.Escalation.ReminderShare, catalog.Escalation.RepeatEveryMinutes),
            new AssessmentSettingsDto(catalog.Weights)));
}
