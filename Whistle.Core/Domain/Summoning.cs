using Whistle.Core.County;
using Whistle.Core.Problems;

namespace Whistle.Core.Domain;

/// <summary>A unit that work is put on: an agency's branch, or the agency itself (no branch).</summary>
public sealed record SummonedUnit(string AgencyCode, string? BranchId);

/// <summary>Which field of the caller's request a refusal concerns.</summary>
public enum SummonsField
{
    Agency,
    Branch,
}

/// <summary>The unit chosen, or why the caller may not put work there (and which field says so).</summary>
public sealed record SummonsChoice(SummonedUnit? Unit, SummonsField Field, ProblemText? Problem)
{
    public bool Allowed => Unit is not null;

    public static SummonsChoice Refuse(SummonsField field, ProblemText problem) => new(null, field, problem);
}

/// <summary>
/// The one rule of who may put work on whom (召集): raising with further agencies, reassigning a duty, and a
/// meeting's summons and decisions all ask it. A township summons only the units stationed in it: its own
/// branches, or, where an agency has no branch there, the agency itself. A supervisor summons any unit of the
/// county. Nobody else summons.
/// </summary>
public static class Summoning
{
    /// <summary>
    /// The unit a caller (<paramref name="callerRole"/>, <paramref name="callerOrgId"/>) puts work on when it names
    /// <paramref name="agencyCode"/> and, optionally, <paramref name="branchId"/>, for work that belongs to
    /// <paramref name="townshipId"/> (null: county-wide, a supervisor's). Without a branch, the agency's branch
    /// stationed in that township is chosen, or the agency itself where it has none there. With
    /// <paramref name="agencyItself"/> the agency's own office (本部) is chosen even where it has a branch there: a
    /// supervisor may; a township may only where the agency has no branch in it (the one rule: the units stationed in it).
    /// </summary>
    public static SummonsChoice Choose(CountyCatalog catalog, string callerRole, string callerOrgId, string? townshipId, string? agencyCode, string? branchId, bool agencyItself = false)
    {
        if (string.IsNullOrWhiteSpace(agencyCode)) return SummonsChoice.Refuse(SummonsField.Agency, Problem.Required("agencyCode", "The agency is required."));
        if (catalog.FindAgency(agencyCode) is null) return SummonsChoice.Refuse(SummonsField.Agency, Problem.Unknown("agencyCode", agencyCode, $"Unknown agency '{agencyCode}'."));
        if (agencyItself && branchId is not null) return SummonsChoice.Refuse(SummonsField.Branch, Problem.BranchAndAgencyItself());
        BranchInfo? branch = null;
        if (branchId is not null)
        {
            branch = catalog.FindBranch(branchId);
            if (branch is null) return SummonsChoice.Refuse(SummonsField.Branch, Problem.Unknown("branchId", branchId, $"Unknown branch '{branchId}'."));
            if (branch.AgencyCode != agencyCode) return SummonsChoice.Refuse(SummonsField.Branch, Problem.BranchOfAnotherAgency());
        }

        switch (callerRole)
        {
            case Roles.Supervisor:
                break;
            case Roles.Township:
                if (townshipId is not null && townshipId != callerOrgId)
                {
                    return SummonsChoice.Refuse(SummonsField.Agency, Problem.TownshipStationedOnly());
                }

                townshipId = callerOrgId;
                if (branch is not null && branch.TownshipId != callerOrgId)
                {
                    return SummonsChoice.Refuse(SummonsField.Branch, Problem.UnitNotStationed(branch.Id));
                }

                if (agencyItself && catalog.FindBranch(agencyCode, callerOrgId) is { } stationed)
                {
                    return SummonsChoice.Refuse(SummonsField.Agency, Problem.AgencyHasBranchHere(agencyCode, stationed.Id));
                }

                break;
            default:
                return SummonsChoice.Refuse(SummonsField.Agency, Problem.SummonsRole());
        }

        var chosen = agencyItself ? null : branch?.Id ?? (townshipId is null ? null : catalog.FindBranch(agencyCode, townshipId)?.Id);
        return new SummonsChoice(new SummonedUnit(agencyCode, chosen), SummonsField.Agency, null);
    }

    /// <summary>Whether <paramref name="unit"/> is stationed in <paramref name="townshipId"/>: its branch there, or an agency without one there.</summary>
    public static bool IsStationedIn(CountyCatalog catalog, SummonedUnit unit, string townshipId) =>
        unit.BranchId is { } id
            ? catalog.FindBranch(id)?.TownshipId == townshipId
            : catalog.FindAgency(unit.AgencyCode) is not null && catalog.FindBranch(unit.AgencyCode, townshipId) is null;
}
