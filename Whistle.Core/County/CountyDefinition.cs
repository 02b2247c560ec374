using System.Text.Json;
using Whistle.Core.Domain;

namespace Whistle.Core.County;

/// <summary>
/// The county file (<c>Whistle:County:File</c>): organisation and whistle list; <see cref="Boundaries"/>, the townships'
/// boundaries as a GeoJSON FeatureCollection (each feature's <c>properties.township</c> names a township; Polygon or
/// MultiPolygon in WGS 84 longitude/latitude), drawn on the supervisor's map without any map service (<see cref="CountyBoundaries"/>).
/// </summary>
public sealed record CountyDefinition(
    CountyInfo County,
    IReadOnlyList<TownshipInfo> Townships,
    IReadOnlyList<AgencyInfo> Agencies,
    IReadOnlyList<BranchInfo> Branches,
    IReadOnlyList<MatterInfo> Matters,
    IReadOnlyList<UserInfo>? Users = null,
    EscalationSettings? Escalation = null,
    AssessmentSettings? Assessment = null,
    JsonElement? Boundaries = null)
{
    public EscalationSettings EscalationOrDefault => Escalation ?? new EscalationSettings();

    public AssessmentSettings AssessmentOrDefault => Assessment ?? new AssessmentSettings();
}

/// <summary>
/// The escalation chain (催办 → 督办): a reminder when <see cref="ReminderShare"/> of a limit has passed,
/// then an escalation at the deadline, repeated every <see cref="RepeatEveryMinutes"/> until the branch acts.
/// </summary>
public sealed record EscalationSettings(double ReminderShare = 0.5, int RepeatEveryMinutes = 30);

/// <summary>The weights of the three rates in a unit's score (they sum to 1).</summary>
public sealed record AssessmentWeights(double Response = 0.4, double Resolution = 0.3, double Satisfaction = 0.3);

public sealed record AssessmentSettings(AssessmentWeights? Weights = null)
{
    public AssessmentWeights WeightsOrDefault => Weights ?? new AssessmentWeights();
}

public sealed record CountyInfo(string Id, string Name, string NameEn);

public sealed record TownshipInfo(string Id, string Name, string NameEn);

public sealed record AgencyInfo(string Code, string Name, string NameEn);

public sealed record BranchInfo(string Id, string AgencyCode, string TownshipId, string Name, string NameEn);

public sealed record MatterAgency(string AgencyCode, string Role);

public sealed record MatterLimit(int ReportWithinMinutes, int ResolveWithinMinutes);

public sealed record MatterLimits(MatterLimit Routine, MatterLimit Urgent, MatterLimit Emergency);

public sealed record MatterInfo(
    string Code,
    string Name,
    string NameEn,
    string Category,
    string CategoryEn,
    IReadOnlyList<MatterAgency> Agencies,
    MatterLimits Limits,
    bool Active = true)
{
    public MatterLimit LimitsFor(string urgency) => urgency switch
    {
        Urgency.Routine => Limits.Routine,
        Urgency.Urgent => Limits.Urgent,
        Urgency.Emergency => Limits.Emergency,
        _ => throw new ArgumentOutOfRangeException(nameof(urgency), urgency, "Unknown urgency."),
    };
}

/// <summary>A production account in the county file; the password is stored only as a hash.</summary>
public sealed record UserInfo(string UserName, string DisplayName, string Role, string OrgId, string PasswordHash);
