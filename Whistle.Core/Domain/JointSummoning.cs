using Whistle.Core.County;
using Whistle.Core.Meetings;
using Whistle.Core.Problems;

namespace Whistle.Core.Domain;

/// <summary>A joint meeting's decision: the relation it becomes a work request on and the unit that acts on it.</summary>
public sealed record JointDecision(string RelationId, SummonedUnit Unit);

/// <summary>
/// Who a joint meeting (联席会议 / 定期会商, issue 17) may summon and decide for — the city level's form of
/// <see cref="Summoning"/>: a department summons the institutions of its relations, an institution the departments it
/// serves (of its relations); a decision is a work request along one of those relations between the convener and a
/// summoned participant, to the institution or an office of it. Pure: unit-tested.
/// </summary>
public static class JointSummoning
{
    public static bool MaySummon(CountyCatalog catalog, string convenerKind, string convenerId, string participantId) => convenerKind switch
    {
        ConvenerKind.Department => catalog.RelationsOfDepartment(convenerId).Any(r => r.InstitutionId == participantId),
        ConvenerKind.Institution => catalog.RelationsOfInstitution(convenerId).Any(r => r.Departments.Any(d => d.DepartmentId == participantId)),
        _ => false,
    };

    public static (JointDecision? Decision, ProblemText? Problem) Decide(
        CountyCatalog catalog, MeetingRow meeting, IEnumerable<SummonsRow> summons, string? relationId, string? unitId)
    {
        if (string.IsNullOrWhiteSpace(relationId)) return (null, Problem.Required("relationId", "A joint meeting's decision names the relation it is a work request on."));
        var participants = summons.Select(s => s.AgencyCode).ToHashSet(StringComparer.Ordinal);
        var relation = catalog.FindRelation(relationId);
        var onMeeting = relation is not null && meeting.ConvenerKind switch
        {
            ConvenerKind.Department => relation.Departments.Any(d => d.DepartmentId == meeting.TownshipId) && participants.Contains(relation.InstitutionId),
            ConvenerKind.Institution => relation.InstitutionId == meeting.TownshipId && relation.Departments.Any(d => participants.Contains(d.DepartmentId)),
            _ => false,
        };
        if (!onMeeting) return (null, Problem.NotOnYourRelations(relationId));
        if (unitId is not null && (catalog.FindUnit(unitId) is not { } found || found.Institution.Id != relation!.InstitutionId))
        {
            return (null, Problem.Unknown("unitId", unitId!, $"'{unitId}' is not an office or branch of the relation's institution."));
        }

        return (new JointDecision(relation!.Id, new SummonedUnit(relation.InstitutionId, unitId)), null);
    }
}
