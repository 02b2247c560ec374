using System.Collections.Frozen;
using Whistle.Core.Domain;

namespace Whistle.Core.County;

/// <summary>An immutable, indexed view of one county's organisation and whistle list.</summary>
public sealed class CountyCatalog
{
    private readonly FrozenDictionary<string, TownshipInfo> _townships;
    private readonly FrozenDictionary<string, AgencyInfo> _agencies;
    private readonly FrozenDictionary<string, BranchInfo> _branches;
    private readonly FrozenDictionary<(string Agency, string Township), BranchInfo> _branchByPlace;
    private readonly FrozenDictionary<string, MatterInfo> _matters;

    public CountyCatalog(CountyDefinition definition)
    {
        Definition = definition;
        _townships = definition.Townships.ToFrozenDictionary(t => t.Id, StringComparer.Ordinal);
        _agencies = definition.Agencies.ToFrozenDictionary(a => a.Code, StringComparer.Ordinal);
        _branches = definition.Branches.ToFrozenDictionary(b => b.Id, StringComparer.Ordinal);
        // Where an agency stations two offices in one township, the first listed takes new duties.
        _branchByPlace = definition.Branches
            .GroupBy(b => (b.AgencyCode, b.TownshipId))
            .ToFrozenDictionary(g => g.Key, g => g.First());
        _matters = definition.Matters.ToFrozenDictionary(m => m.Code, StringComparer.Ordinal);
    }

    public CountyDefinition Definition { get; }

    public CountyInfo County => Definition.County;

    public TownshipInfo? FindTownship(string id) => _townships.GetValueOrDefault(id);

    public AgencyInfo? FindAgency(string code) => _agencies.GetValueOrDefault(code);

    public BranchInfo? FindBranch(string id) => _branches.GetValueOrDefault(id);

    public BranchInfo? FindBranch(string agencyCode, string townshipId) =>
        _branchByPlace.GetValueOrDefault((agencyCode, townshipId));

    public MatterInfo? FindMatter(string code) => _matters.GetValueOrDefault(code);

    public bool AgencyHasBranches(string agencyCode) => Definition.Branches.Any(b => b.AgencyCode == agencyCode);

    /// <summary>The display name of an organisation of any role (township, branch, agency, county).</summary>
    public string? OrgName(string role, string orgId) => role switch
    {
        Roles.Township => FindTownship(orgId)?.Name,
        Roles.Branch => FindBranch(orgId)?.Name,
        Roles.Agency => FindAgency(orgId)?.Name,
        Roles.Supervisor => orgId == County.Id ? County.Name : null,
        _ => null,
    };

    /// <summary>Checks the references inside a county file; returns every problem found.</summary>
    public static IReadOnlyList<string> Validate(CountyDefinition d)
    {
        var problems = new List<string>();
        void Duplicates<T>(IEnumerable<T> items, Func<T, string> key, string what)
        {
            foreach (var g in items.GroupBy(key).Where(g => g.Count() > 1))
            {
                problems.Add($"Duplicate {what} '{g.Key}'.");
            }
        }

        Duplicates(d.Townships, t => t.Id, "township");
        Duplicates(d.Agencies, a => a.Code, "agency");
        Duplicates(d.Branches, b => b.Id, "branch");
        Duplicates(d.Matters, m => m.Code, "matter");
        var townships = d.Townships.Select(t => t.Id).ToHashSet();
        var agencies = d.Agencies.Select(a => a.Code).ToHashSet();
        foreach (var b in d.Branches)
        {
            if (!agencies.Contains(b.AgencyCode)) problems.Add($"Branch '{b.Id}' names unknown agency '{b.AgencyCode}'.");
            if (!townships.Contains(b.TownshipId)) problems.Add($"Branch '{b.Id}' names unknown township '{b.TownshipId}'.");
        }

        foreach (var m in d.Matters)
        {
            if (m.Agencies.Count(a => a.Role == AssignmentRole.Lead) != 1) problems.Add($"Matter '{m.Code}' must have exactly one lead agency.");
            foreach (var a in m.Agencies)
            {
                if (!agencies.Contains(a.AgencyCode)) problems.Add($"Matter '{m.Code}' names unknown agency '{a.AgencyCode}'.");
                if (a.Role is not (AssignmentRole.Lead or AssignmentRole.Co)) problems.Add($"Matter '{m.Code}' gives agency '{a.AgencyCode}' the unknown role '{a.Role}'.");
            }

            foreach (var urgency in Urgency.All)
            {
                var limit = m.LimitsFor(urgency);
                if (limit is null || limit.ReportWithinMinutes <= 0 || limit.ResolveWithinMinutes < limit.ReportWithinMinutes)
                {
                    problems.Add($"Matter '{m.Code}' has invalid {urgency} limits.");
                }
            }
        }

        foreach (var u in d.Users ?? [])
        {
            if (!Roles.All.Contains(u.Role)) problems.Add($"User '{u.UserName}' has unknown role '{u.Role}'.");
        }

        return problems;
    }
}
