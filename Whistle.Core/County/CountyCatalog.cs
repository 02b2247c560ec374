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

    /// <summary>Each township's boundary (GeoJSON geometry text), where the county file gives one.</summary>
    public IReadOnlyDictionary<string, string> Boundaries => _boundaries ??= CountyBoundaries.Geometries(Definition.Boundaries);

    private IReadOnlyDictionary<string, string>? _boundaries;

    public CountyInfo County => Definition.County;

    public TownshipInfo? FindTownship(string id) => _townships.GetValueOrDefault(id);

    public AgencyInfo? FindAgency(string code) => _agencies.GetValueOrDefault(code);

    public BranchInfo? FindBranch(string id) => _branches.GetValueOrDefault(id);

    public BranchInfo? FindBranch(string agencyCode, string townshipId) =>
        _branchByPlace.GetValueOrDefault((agencyCode, townshipId));

    /// <summary>A matter of the whistle list, retired ones included (past whistles still name them).</summary>
    public MatterInfo? FindMatter(string code) => _matters.GetValueOrDefault(code);

    /// <summary>A matter a new whistle may be raised on.</summary>
    public MatterInfo? FindActiveMatter(string code) => FindMatter(code) is { Active: true } m ? m : null;

    public EscalationSettings Escalation => Definition.EscalationOrDefault;

    public AssessmentWeights Weights => Definition.AssessmentOrDefault.WeightsOrDefault;

    public bool AgencyHasBranches(string agencyCode) => Definition.Branches.Any(b => b.AgencyCode == agencyCode);

    /// <summary>The display name of an organisation of any role (township, branch, agency, county).</summary>
    public string? OrgName(string role, string orgId) => role switch
    {
        Roles.Township => FindTownship(orgId)?.Name,
        Roles.Branch => FindBranch(orgId)?.Name,
        Roles.Agency => FindAgency(orgId)?.Name,
        _ when Roles.IsCountyWide(role) => orgId == County.Id ? County.Name : null,
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
            problems.AddRange(ValidateMatter(m, agencies));
        }

        var escalation = d.EscalationOrDefault;
        if (escalation.ReminderShare is < 0 or >= 1) problems.Add("escalation.reminderShare must be at least 0 and below 1 (0: no reminder).");
        if (escalation.RepeatEveryMinutes < 1) problems.Add("escalation.repeatEveryMinutes must be at least 1.");
        var w = d.AssessmentOrDefault.WeightsOrDefault;
        if (w.Response < 0 || w.Resolution < 0 || w.Satisfaction < 0 || Math.Abs(w.Response + w.Resolution + w.Satisfaction - 1) > 0.001)
        {
            problems.Add("assessment.weights must be non-negative and sum to 1.");
        }

        problems.AddRange(CountyBoundaries.Validate(d.Boundaries, townships));
        foreach (var u in d.Users ?? [])
        {
            if (!Roles.All.Contains(u.Role)) problems.Add($"User '{u.UserName}' has unknown role '{u.Role}'.");
        }

        return problems;
    }

    /// <summary>The rules of one matter of the whistle list: one lead, known agencies, sound limits.</summary>
    public static IEnumerable<string> ValidateMatter(MatterInfo m, IReadOnlySet<string> agencies)
    {
        if (m.Agencies.Count(a => a.Role == AssignmentRole.Lead) != 1) yield return $"Matter '{m.Code}' must have exactly one lead agency.";
        if (m.Agencies.GroupBy(a => a.AgencyCode).Any(g => g.Count() > 1)) yield return $"Matter '{m.Code}' names an agency twice.";
        foreach (var a in m.Agencies)
        {
            if (!agencies.Contains(a.AgencyCode)) yield return $"Matter '{m.Code}' names unknown agency '{a.AgencyCode}'.";
            if (a.Role is not (AssignmentRole.Lead or AssignmentRole.Co)) yield return $"Matter '{m.Code}' gives agency '{a.AgencyCode}' the unknown role '{a.Role}'.";
        }

        if (m.Limits is null)
        {
            yield return $"Matter '{m.Code}' has no limits.";
            yield break;
        }

        foreach (var urgency in Urgency.All)
        {
            var limit = m.LimitsFor(urgency);
            if (limit is null || limit.ReportWithinMinutes <= 0 || limit.ResolveWithinMinutes < limit.ReportWithinMinutes)
            {
                yield return $"Matter '{m.Code}' has invalid {urgency} limits (report within > 0 minutes, resolve within ≥ report within).";
            }
        }
    }
}
