using Whistle.Contracts;
using Whistle.Core.Heads;
using Whistle.Core.Meetings;
using Whistle.Core.Whistles;

namespace Whistle.Core.Domain;

/// <summary>
/// Who sees what: the one rule, in each of the forms the code needs it, side by side (a unit test runs the SQL forms
/// on SQLite against the C# forms over a table of cases, and checks the push groups against both).
/// <list type="bullet">
/// <item>A duty (an assignment) concerns the county's supervisors, the township that raised its whistle, the branch it
/// is routed to, and its agency (which sees the duties of all its branches).</item>
/// <item>A whistle is seen by the supervisors, its township, and every unit one of its duties concerns.</item>
/// <item>An event is pushed to (and caught up by) the groups of the same: <c>county</c>, the township's, and the branch's
/// and agency's of each duty it is about (<see cref="Audience"/>); a caller reads the one group of its role (<see cref="GroupOf"/>).</item>
/// </list>
/// A caller that may not see a whistle is answered as if it did not exist (404), by reads and commands alike.
/// The SQL forms take the caller as <c>@Role</c> (<see cref="Caller.Role"/>) and <c>@Org</c> (<see cref="Caller.OrgId"/>).
/// </summary>
public static class Visibility
{
    // ---- A duty ------------------------------------------------------------------------------------------------

    /// <summary>The duty <c>a</c> (of the whistle <c>w</c>) concerns the caller: a row of its inbox.</summary>
    public const string AssignmentCondition = """
        (@Role = 'supervisor'
         OR (@Role = 'township' AND w.level = 'township' AND w.township_id = @Org)
         OR (@Role = 'branch' AND a.branch_id = @Org)
         OR (@Role = 'agency' AND w.level = 'township' AND a.agency_code = @Org)
         OR (@Role = 'department' AND w.level = 'city' AND w.township_id = @Org)
         OR (@Role = 'institution' AND w.level = 'city' AND (a.agency_code = @Org OR a.branch_id = @Org))
         OR (@Role = 'establishment-office' AND w.level = 'city'))
        """;

    /// <summary>The C# form of <see cref="AssignmentCondition"/>.</summary>
    public static bool Concerns(Caller caller, WhistleRow whistle, AssignmentRow assignment) => caller.Role switch
    {
        Roles.Supervisor => true,
        Roles.Township => !whistle.IsCity && whistle.TownshipId == caller.OrgId,
        Roles.Branch => assignment.BranchId == caller.OrgId,
        Roles.Agency => !whistle.IsCity && assignment.AgencyCode == caller.OrgId,
        Roles.Department => whistle.IsCity && whistle.TownshipId == caller.OrgId,
        Roles.Institution => whistle.IsCity && (assignment.AgencyCode == caller.OrgId || assignment.BranchId == caller.OrgId),
        Roles.EstablishmentOffice => whistle.IsCity,
        _ => false,
    };

    // ---- A whistle ---------------------------------------------------------------------------------------------

    /// <summary>The whistle <c>w</c> is the caller's to see.</summary>
    public const string WhistleCondition = """
        (@Role = 'supervisor'
         OR (@Role = 'township' AND w.level = 'township' AND w.township_id = @Org)
         OR (@Role = 'branch' AND EXISTS (SELECT 1 FROM assignments v WHERE v.whistle_id = w.id AND v.branch_id = @Org))
         OR (@Role = 'agency' AND w.level = 'township' AND EXISTS (SELECT 1 FROM assignments v WHERE v.whistle_id = w.id AND v.agency_code = @Org))
         OR (@Role = 'department' AND w.level = 'city' AND w.township_id = @Org)
         OR (@Role = 'institution' AND w.level = 'city' AND EXISTS (SELECT 1 FROM assignments v WHERE v.whistle_id = w.id AND (v.agency_code = @Org OR v.branch_id = @Org)))
         OR (@Role = 'establishment-office' AND w.level = 'city'))
        """;

    /// <summary>The C# form of <see cref="WhistleCondition"/>: the supervisors, its township, or a unit one of its duties concerns.</summary>
    public static bool CanSee(Caller caller, WhistleRow whistle, IEnumerable<AssignmentRow> assignments) => caller.Role switch
    {
        Roles.Supervisor => true,
        Roles.Township or Roles.Department => Concerns(caller, whistle, new AssignmentRow()),
        Roles.EstablishmentOffice => whistle.IsCity,
        Roles.Branch or Roles.Agency or Roles.Institution => assignments.Any(a => Concerns(caller, whistle, a)),
        _ => false,
    };

    /// <summary>Whether the caller is the whistle's requesting side: its township (a whistle), its department (a work request).</summary>
    public static bool IsRequester(Caller caller, WhistleRow whistle) =>
        whistle.TownshipId == caller.OrgId && caller.Role == (whistle.IsCity ? Roles.Department : Roles.Township);

    /// <summary>Whether the caller is the unit that acts on the duty: its branch, or its agency where it has none; at the city level the office (or linked branch), or the institution where the duty names none.</summary>
    public static bool IsResponder(Caller caller, WhistleRow whistle, AssignmentRow assignment) => caller.Role switch
    {
        Roles.Branch => assignment.BranchId == caller.OrgId,
        Roles.Agency => !whistle.IsCity && assignment.BranchId is null && assignment.AgencyCode == caller.OrgId,
        Roles.Institution => whistle.IsCity && (assignment.BranchId == caller.OrgId || (assignment.BranchId is null && assignment.AgencyCode == caller.OrgId)),
        _ => false,
    };

    // ---- A meeting ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The meeting <c>m</c> is the caller's to see: as a whistle, with its summons for its duties. A joint meeting of the
    /// city level (issue 17: convened by a department or an institution) is seen by its participants only: the convener
    /// and the departments or institutions it summons — not the supervisors, not the establishment office.
    /// </summary>
    public const string MeetingCondition = """
        ((@Role = 'supervisor' AND m.convener_kind = 'township')
         OR (@Role = 'township' AND m.convener_kind = 'township' AND m.township_id = @Org)
         OR (@Role = 'branch' AND EXISTS (SELECT 1 FROM meeting_summons s WHERE s.meeting_id = m.id AND s.participant_kind = 'unit' AND s.branch_id = @Org))
         OR (@Role = 'agency' AND EXISTS (SELECT 1 FROM meeting_summons s WHERE s.meeting_id = m.id AND s.participant_kind = 'unit' AND s.agency_code = @Org))
         OR (@Role = 'department' AND ((m.convener_kind = 'department' AND m.township_id = @Org)
             OR EXISTS (SELECT 1 FROM meeting_summons s WHERE s.meeting_id = m.id AND s.participant_kind = 'department' AND s.agency_code = @Org)))
         OR (@Role = 'institution' AND ((m.convener_kind = 'institution' AND m.township_id = @Org)
             OR EXISTS (SELECT 1 FROM meeting_summons s WHERE s.meeting_id = m.id AND s.participant_kind = 'institution' AND s.agency_code = @Org))))
        """;

    /// <summary>The C# form of <see cref="MeetingCondition"/>: the supervisors, its township, or a unit it summons (and its agency); a joint meeting's participants.</summary>
    public static bool CanSee(Caller caller, MeetingRow meeting, IEnumerable<SummonsRow> summons) => caller.Role switch
    {
        Roles.Supervisor => meeting.ConvenerKind == ConvenerKind.Township,
        Roles.Township => meeting.ConvenerKind == ConvenerKind.Township && meeting.TownshipId == caller.OrgId,
        Roles.Branch => summons.Any(s => s.ParticipantKind == ParticipantKind.Unit && s.BranchId == caller.OrgId),
        Roles.Agency => summons.Any(s => s.ParticipantKind == ParticipantKind.Unit && s.AgencyCode == caller.OrgId),
        Roles.Department => (meeting.ConvenerKind == ConvenerKind.Department && meeting.TownshipId == caller.OrgId)
            || summons.Any(s => s.ParticipantKind == ParticipantKind.Department && s.AgencyCode == caller.OrgId),
        Roles.Institution => (meeting.ConvenerKind == ConvenerKind.Institution && meeting.TownshipId == caller.OrgId)
            || summons.Any(s => s.ParticipantKind == ParticipantKind.Institution && s.AgencyCode == caller.OrgId),
        _ => false,
    };

    /// <summary>The push groups of a meeting's event: a township's as a whistle's; a joint meeting's, its convener's and its participants' only.</summary>
    public static IReadOnlyList<string> MeetingAudience(MeetingRow meeting, IEnumerable<SummonsRow> summons)
    {
        if (meeting.ConvenerKind == ConvenerKind.Township)
        {
            return Audience(meeting.TownshipId, summons.Select(s => (s.AgencyCode, s.BranchId)));
        }

        var groups = new List<string> { ParticipantGroup(meeting.ConvenerKind, meeting.TownshipId!) };
        groups.AddRange(summons.Select(s => ParticipantGroup(s.ParticipantKind, s.AgencyCode)));
        return groups.Distinct(StringComparer.Ordinal).ToList();
    }

    private static string ParticipantGroup(string kind, string id) =>
        kind == ConvenerKind.Department ? AudienceGroups.Department(id) : AudienceGroups.Institution(id);

    // ---- The establishment office's follow-ups (督促建立机制) -------------------------------------------------------

    /// <summary>
    /// A follow-up <c>f</c> is the caller's to see: the establishment office that raises them and the supervisors (city-wide
    /// read), the relation's lead department it is addressed to, the institution of the relation (its own account).
    /// </summary>
    public const string FollowUpCondition = """
        (@Role = 'supervisor' OR @Role = 'establishment-office'
         OR (@Role = 'department' AND f.department_id = @Org)
         OR (@Role = 'institution' AND f.institution_id = @Org))
        """;

    /// <summary>The C# form of <see cref="FollowUpCondition"/>.</summary>
    public static bool CanSeeFollowUp(Caller caller, string departmentId, string institutionId) => caller.Role switch
    {
        Roles.Supervisor or Roles.EstablishmentOffice => true,
        Roles.Department => departmentId == caller.OrgId,
        Roles.Institution => institutionId == caller.OrgId,
        _ => false,
    };

    /// <summary>The push groups of a follow-up's event: the county, the city (the office), the department, the institution.</summary>
    public static IReadOnlyList<string> FollowUpAudience(string departmentId, string institutionId) =>
        [AudienceGroups.County, AudienceGroups.City, AudienceGroups.Department(departmentId), AudienceGroups.Institution(institutionId)];

    // ---- A branch head's assessment forms and recommendations (confidential) ---------------------------------------

    /// <summary>
    /// An assessment form or recommendation about a branch head (its row aliased <c>h</c>) is the caller's to see: the
    /// supervisors, the township the branch is stationed in, the institution (agency) that stations it. Never a branch —
    /// not even the branch concerned — and never another township or institution.
    /// </summary>
    public const string HeadsCondition = """
        (@Role = 'supervisor'
         OR (@Role = 'township' AND h.township_id = @Org)
         OR (@Role = 'agency' AND h.agency_code = @Org))
        """;

    /// <summary>The C# form of <see cref="HeadsCondition"/>.</summary>
    public static bool CanSeeHeads(Caller caller, string townshipId, string agencyCode) => caller.Role switch
    {
        Roles.Supervisor => true,
        Roles.Township => townshipId == caller.OrgId,
        Roles.Agency => agencyCode == caller.OrgId,
        _ => false,
    };

    /// <summary>The push groups of a heads event: the county, the township, the institution — never a branch's group.</summary>
    public static IReadOnlyList<string> HeadsAudience(string townshipId, string agencyCode) =>
        [AudienceGroups.County, AudienceGroups.Township(townshipId), AudienceGroups.Agency(agencyCode)];

    // ---- An institution's submissions to its departments (请示报告, 选拔任用备案) -----------------------------------

    /// <summary>
    /// A submission (its row aliased <c>s</c>) is the caller's to see: the institution that submitted it (an office
    /// account only what its office submitted), the department it is addressed to, and the city's establishment office.
    /// No other department or institution, no township-level role, not the county's supervisors.
    /// </summary>
    public const string SubmissionCondition = """
        ((@Role = 'establishment-office')
         OR (@Role = 'department' AND s.department_id = @Org)
         OR (@Role = 'institution' AND (s.institution_id = @Org OR s.unit_id = @Org)))
        """;

    /// <summary>The C# form of <see cref="SubmissionCondition"/>.</summary>
    public static bool CanSeeSubmission(Caller caller, string institutionId, string? unitId, string departmentId) => caller.Role switch
    {
        Roles.EstablishmentOffice => true,
        Roles.Department => departmentId == caller.OrgId,
        Roles.Institution => institutionId == caller.OrgId || (unitId is not null && unitId == caller.OrgId),
        _ => false,
    };

    /// <summary>The push groups of a submission's event: the city, the department, the institution and the office that filed it.</summary>
    public static IReadOnlyList<string> SubmissionAudience(string institutionId, string? unitId, string departmentId) =>
        unitId is null
            ? [AudienceGroups.City, AudienceGroups.Department(departmentId), AudienceGroups.Institution(institutionId)]
            : [AudienceGroups.City, AudienceGroups.Department(departmentId), AudienceGroups.Institution(institutionId), AudienceGroups.Institution(unitId)];

    // ---- Events ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The push groups of an event about <paramref name="whistle"/> and the duties of these <paramref name="units"/>: a
    /// township's whistle as <see cref="Audience(string?, IEnumerable{ValueTuple{string, string?}})"/>; a work request's:
    /// the county (the supervisors), the city (the establishment office), the requesting department, and for each duty the
    /// institution and its office (or the linked branch, whose duty officer acts on it).
    /// </summary>
    public static IReadOnlyList<string> Audience(WhistleRow whistle, IEnumerable<(string AgencyCode, string? BranchId)> units)
    {
        if (!whistle.IsCity)
        {
            return Audience(whistle.TownshipId, units);
        }

        var groups = new List<string> { AudienceGroups.County, AudienceGroups.City, AudienceGroups.Department(whistle.TownshipId) };
        foreach (var (institutionId, unitId) in units)
        {
            groups.Add(AudienceGroups.Institution(institutionId));
            if (unitId is not null)
            {
                groups.Add(AudienceGroups.Institution(unitId));
                groups.Add(AudienceGroups.Branch(unitId));
            }
        }

        return groups.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The push groups of an event about a whistle of <paramref name="townshipId"/> and the duties of these
    /// <paramref name="units"/> (PRODUCT.md §5), stored with the event (<c>timeline_audience</c>) for catch-up.
    /// </summary>
    public static IReadOnlyList<string> Audience(string? townshipId, IEnumerable<(string AgencyCode, string? BranchId)> units)
    {
        var groups = new List<string> { AudienceGroups.County };
        if (townshipId is not null)
        {
            groups.Add(AudienceGroups.Township(townshipId));
        }

        foreach (var (agencyCode, branchId) in units)
        {
            groups.Add(AudienceGroups.Agency(agencyCode));
            if (branchId is not null)
            {
                groups.Add(AudienceGroups.Branch(branchId));
            }
        }

        return groups.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The one group a caller's connection joins and catches up from (<c>timeline_audience.group_name = @Group</c>).
    /// Administrators belong to none: they see no whistle.
    /// </summary>
    public static string GroupOf(Caller caller) => caller.Role switch
    {
        Roles.Township => AudienceGroups.Township(caller.OrgId),
        Roles.Branch => AudienceGroups.Branch(caller.OrgId),
        Roles.Agency => AudienceGroups.Agency(caller.OrgId),
        Roles.Supervisor => AudienceGroups.County,
        Roles.Department => AudienceGroups.Department(caller.OrgId),
        Roles.Institution => AudienceGroups.Institution(caller.OrgId),
        Roles.EstablishmentOffice => AudienceGroups.City,
        _ => throw new InvalidOperationException($"The role '{caller.Role}' belongs to no audience group: administrators see no whistle."),
    };
}
