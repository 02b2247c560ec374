using Whistle.Api.Auth;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;

namespace Whistle.Api.Reference;

public sealed record MatterAgencyDto(string AgencyCode, string AgencyName, string AgencyNameEn, string Role);

public sealed record LimitDto(int ReportWithinMinutes, int ResolveWithinMinutes);

public sealed record MatterDto(
    string Code,
    string Name,
    string NameEn,
    string Category,
    string CategoryEn,
    IReadOnlyList<MatterAgencyDto> Agencies,
    IReadOnlyDictionary<string, LimitDto> Limits,
    bool Active);

public sealed record EscalationSettingsDto(double ReminderShare, int RepeatEveryMinutes);

public sealed record OrgSettingsDto(EscalationSettingsDto Escalation, AssessmentSettingsDto Assessment);

public sealed record AssessmentSettingsDto(AssessmentWeights Weights);

public sealed record AgencyDto(string Code, string Name, string NameEn, bool HasBranches);

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

    public static MatterDto ToDto(CountyCatalog catalog, MatterInfo m) => new(
        m.Code,
        m.Name,
        m.NameEn,
        m.Category,
        m.CategoryEn,
        m.Agencies.Select(a =>
        {
            var agency = catalog.FindAgency(a.AgencyCode)!;
            return new MatterAgencyDto(a.AgencyCode, agency.Name, agency.NameEn, a.Role);
        }).ToList(),
        Urgency.All.ToDictionary(u => u, u => new LimitDto(m.LimitsFor(u).ReportWithinMinutes, m.LimitsFor(u).ResolveWithinMinutes)),
        m.Active);

    public static OrgDto Org(CountyCatalog catalog) => new(
        catalog.County,
        catalog.Definition.Townships,
        catalog.Definition.Agencies.Select(a => new AgencyDto(a.Code, a.Name, a.NameEn, catalog.AgencyHasBranches(a.Code))).ToList(),
        catalog.Definition.Branches,
        new OrgSettingsDto(
            new EscalationSettingsDto(catalog.Escalation.ReminderShare, catalog.Escalation.RepeatEveryMinutes),
            new AssessmentSettingsDto(catalog.Weights)));
}
