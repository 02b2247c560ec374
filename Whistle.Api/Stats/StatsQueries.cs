using Dapper;
using Whistle.Core.Assessment;
using Whistle.Core.Storage;

namespace Whistle.Api.Stats;

/// <summary>The read side of the assessment: the duties dispatched and the meetings held in a period, as the assessor takes them.</summary>
public sealed class StatsQueries(WhistleDatabase database)
{
    private const string AssignmentsInRangeSql = """
        SELECT a.agency_code AS AgencyCode, a.branch_id AS BranchId, w.township_id AS TownshipId, a.status,
               a.dispatched_at AS DispatchedAt, a.report_by AS ReportBy, a.resolve_by AS ResolveBy,
               a.reported_at AS ReportedAt, a.resolved_at AS ResolvedAt, a.rating, a.escalation_count AS EscalationCount,
               a.reassigned_at AS ReassignedAt
        FROM assignments a JOIN whistles w ON w.id = a.whistle_id
        WHERE a.dispatched_at >= @From AND a.dispatched_at < @To AND w.status <> 'cancelled';
        """;

    private const string SummonsInRangeSql = """
        SELECT s.agency_code AS AgencyCode, s.branch_id AS BranchId, s.status, s.responded_at AS RespondedAt, m.confirm_by AS ConfirmBy, s.attendance
        FROM meeting_summons s JOIN meetings m ON m.id = s.meeting_id
        WHERE m.starts_at >= @From AND m.starts_at < @To AND m.status <> 'cancelled';
        """;

    private sealed record SummonsRow
    {
        public string AgencyCode { get; init; } = "";
        public string? BranchId { get; init; }
        public string Status { get; init; } = "";
        public DateTimeOffset? RespondedAt { get; init; }
        public DateTimeOffset ConfirmBy { get; init; }
        public string? Attendance { get; init; }
    }

    private sealed record Row
    {
        public string AgencyCode { get; init; } = "";
        public string? BranchId { get; init; }
        public string TownshipId { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset DispatchedAt { get; init; }
        public DateTimeOffset ReportBy { get; init; }
        public DateTimeOffset ResolveBy { get; init; }
        public DateTimeOffset? ReportedAt { get; init; }
        public DateTimeOffset? ResolvedAt { get; init; }
        public string? Rating { get; init; }
        public int EscalationCount { get; init; }
        public DateTimeOffset? ReassignedAt { get; init; }
    }

    public async Task<IReadOnlyList<AssessedAssignment>> AssignmentsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<Row>(AssignmentsInRangeSql, new { From = from, To = to }), ct))
            .Select(r => new AssessedAssignment(r.AgencyCode, r.BranchId, r.TownshipId, r.Status, r.DispatchedAt, r.ReportBy, r.ResolveBy, r.ReportedAt, r.ResolvedAt, r.Rating, r.EscalationCount, r.ReassignedAt))
            .ToList();

    public async Task<IReadOnlyList<AssessedSummons>> SummonsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<SummonsRow>(SummonsInRangeSql, new { From = from, To = to }), ct))
            .Select(s => new AssessedSummons(s.AgencyCode, s.BranchId, s.Status, s.RespondedAt, s.ConfirmBy, s.Attendance))
            .ToList();
}
