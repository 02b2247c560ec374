using Whistle.Core.Domain;

namespace Whistle.Core.County;

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

public sealed record AgencyDto(string Code, string Name, string NameEn, bool HasBranches);

/// <summary>The county's whistle list and agencies as the API shows them (and the audit trail records their changes).</summary>
public static class CountyViews
{
    public static MatterDto Matter(CountyCatalog catalog, MatterInfo m) => new(
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

    public static AgencyDto Agency(CountyCatalog catalog, AgencyInfo a) => new(a.Code, a.Name, a.NameEn, catalog.AgencyHasBranches(a.Code));
}
