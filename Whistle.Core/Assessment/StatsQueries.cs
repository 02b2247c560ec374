using Dapper;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Heads;
using Whistle.Core.Storage;

namespace Whistle.Core.Assessment;

/// <summary>
/// The read side of the assessment: the duties dispatched and the meetings held in a period, as the assessor takes them,
/// and the figures computed from them. The assessment API (<c>StatsApi</c>) and the branch heads' assessment forms
/// (<see cref="AssessmentFormStore"/>, which pre-fills each form) both take their figures from here, so a form's
/// evidence is the API's answer for that township and period.
/// </summary>
public sealed class StatsQueries(WhistleDatabase database)
{
    private const string AssignmentsInRangeSql = """
        SELECT a.agency_code AS AgencyCode, a.branch_id AS BranchId, w.township_id AS TownshipId, a.status,
               a.dispatched_at AS DispatchedAt, a.report_by AS ReportBy, a.resolve_by AS ResolveBy,
               a.reported_at AS ReportedAt, a.resolved_at AS ResolvedAt, a.rating, a.escalation_count AS EscalationCount,
               a.reassigned_at AS ReassignedAt, w.level AS Level, w.relation_id AS RelationId
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
        public string Level { get; init; } = WhistleLevel.Township;
        public string? RelationId { get; init; }
    }

    public async Task<IReadOnlyList<AssessedAssignment>> AssignmentsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<Row>(AssignmentsInRangeSql, new { From = from, To = to }), ct))
            .Select(r => new AssessedAssignment(r.AgencyCode, r.BranchId, r.TownshipId, r.Status, r.DispatchedAt, r.ReportBy, r.ResolveBy, r.ReportedAt, r.ResolvedAt, r.Rating, r.EscalationCount, r.ReassignedAt, r.Level, r.RelationId))
            .ToList();

    public async Task<IReadOnlyList<AssessedSummons>> SummonsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<SummonsRow>(SummonsInRangeSql, new { From = from, To = to }), ct))
            .Select(s => new AssessedSummons(s.AgencyCode, s.BranchId, s.Status, s.RespondedAt, s.ConfirmBy, s.Attendance))
            .ToList();

    private const string UnsatisfiedSql = """
        SELECT a.whistle_id AS WhistleId, w.title AS WhistleTitle, a.id AS AssignmentId, a.rating_comment AS Comment, a.dispatched_at AS DispatchedAt
        FROM assignments a JOIN whistles w ON w.id = a.whistle_id
        WHERE a.branch_id = @BranchId AND w.level = 'township' AND a.rating = 'unsatisfied' AND a.dispatched_at >= @From AND a.dispatched_at < @To AND w.status <> 'cancelled'
        ORDER BY a.dispatched_at, a.id;
        """;

    /// <summary>
    /// The figures of the branches stationed in a township (ranked among themselves), of a county institution and its
    /// own branches (<paramref name="agencyCode"/>, issue 13), or of every agency and branch of the county for a
    /// supervisor (both null), as of <paramref name="asOf"/>: the one computation of the assessment API and of an
    /// assessment form's evidence.
    /// </summary>
    /// <remarks>
    /// Only the township level's duties count here (a work request routed to a linked branch is the city's, issue 17):
    /// <see cref="LevelFiguresAsync"/> counts those.
    /// </remarks>
    public async Task<(IReadOnlyList<UnitFigures> Agencies, IReadOnlyList<UnitFigures> Branches, IReadOnlyList<AssessedAssignment> Rows)> FiguresAsync(
        CountyCatalog catalog, string? townshipId, DateTimeOffset from, DateTimeOffset to, DateTimeOffset asOf, CancellationToken ct, string? agencyCode = null) =>
        TownshipFigures(catalog, await AssignmentsAsync(from, to, ct), await SummonsAsync(from, to, ct), townshipId, agencyCode, asOf);

    /// <summary>
    /// The assessment API's figures of a period from one read of its duties: the township level's (when
    /// <paramref name="township"/>, for <paramref name="townshipId"/> or <paramref name="agencyCode"/> as in
    /// <see cref="FiguresAsync"/>) and the city level's as <paramref name="city"/> sees them (when given: the same rates,
    /// times, score and ranking, <see cref="CityAssessor"/>); the duties counted, both levels' together.
    /// </summary>
    public async Task<LevelFigures> LevelFiguresAsync(
        CountyCatalog catalog, bool township, string? townshipId, string? agencyCode, CityScope? city, DateTimeOffset from, DateTimeOffset to, DateTimeOffset asOf, CancellationToken ct)
    {
        if (!township && city is null) return LevelFigures.None;
        var all = await AssignmentsAsync(from, to, ct);
        IReadOnlyList<UnitFigures> agencies = [], branches = [];
        IReadOnlyList<AssessedAssignment> rows = [];
        if (township)
        {
            (agencies, branches, rows) = TownshipFigures(catalog, all, await SummonsAsync(from, to, ct), townshipId, agencyCode, asOf);
        }

        var figures = CityFigures.None;
        if (city is not null)
        {
            var cityRows = all.Where(city.Covers).ToList();
            figures = CityAssessor.Figures(catalog, city, cityRows, catalog.Weights, asOf);
            rows = [.. rows, .. cityRows];
        }

        return new LevelFigures(agencies, branches, figures, rows);
    }

    private static (IReadOnlyList<UnitFigures> Agencies, IReadOnlyList<UnitFigures> Branches, IReadOnlyList<AssessedAssignment> Rows) TownshipFigures(
        CountyCatalog catalog, IReadOnlyList<AssessedAssignment> all, IReadOnlyList<AssessedSummons> summons, string? townshipId, string? agencyCode, DateTimeOffset asOf)
    {
        var rows = all.Where(r => r.Level == WhistleLevel.Township).ToList();
        var weights = catalog.Weights;
        if (townshipId is not null)
        {
            var own = catalog.Definition.Branches.Where(b => b.TownshipId == townshipId).Select(b => b.Id).ToHashSet();
            var ownRows = rows.Where(r => r.BranchId is not null && own.Contains(r.BranchId)).ToList();
            return ([], Assessor.Branches(catalog, ownRows, weights, asOf, townshipId, summons), ownRows);
        }

        if (agencyCode is not null)
        {
            // A county institution sees itself and its own branches (issue 13): the duties routed to it or to them.
            var ownRows = rows.Where(r => r.AgencyCode == agencyCode).ToList();
            var ownSummons = summons.Where(s => s.AgencyCode == agencyCode).ToList();
            return (Assessor.Agencies(catalog, ownRows, weights, asOf, ownSummons, agencyCode), Assessor.Branches(catalog, ownRows, weights, asOf, null, ownSummons, agencyCode), ownRows);
        }

        return (Assessor.Agencies(catalog, rows, weights, asOf, summons), Assessor.Branches(catalog, rows, weights, asOf, null, summons), rows);
    }

    /// <summary>
    /// The figures of some relations over a period (each relation's work requests, whoever asked): for a view of the
    /// relations such as the establishment office's.
    /// </summary>
    public async Task<IReadOnlyList<UnitFigures>> RelationFiguresAsync(CountyCatalog catalog, IEnumerable<string> relationIds, DateTimeOffset from, DateTimeOffset to, DateTimeOffset asOf, CancellationToken ct) =>
        CityAssessor.Relations(catalog, relationIds, await AssignmentsAsync(from, to, ct), catalog.Weights, asOf);

    /// <summary>The branches of one township as the township's assessment shows them (see <see cref="FiguresAsync"/>).</summary>
    public async Task<IReadOnlyList<UnitFigures>> TownshipBranchesAsync(CountyCatalog catalog, string townshipId, DateTimeOffset from, DateTimeOffset to, DateTimeOffset asOf, CancellationToken ct) =>
        (await FiguresAsync(catalog, townshipId, from, to, asOf, ct)).Branches;

    /// <summary>A branch's unsatisfied ratings of a period (by dispatch, as the figures count), with the comment and the whistle.</summary>
    public async Task<IReadOnlyList<UnsatisfiedRating>> UnsatisfiedAsync(string branchId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<UnsatisfiedRating>(UnsatisfiedSql, new { BranchId = branchId, From = from, To = to }), ct)).ToList();
}

/// <summary>The figures of one or both levels (<see cref="StatsQueries.LevelFiguresAsync"/>) and the duties they count.</summary>
public sealed record LevelFigures(IReadOnlyList<UnitFigures> Agencies, IReadOnlyList<UnitFigures> Branches, CityFigures City, IReadOnlyList<AssessedAssignment> Rows)
{
    public static readonly LevelFigures None = new([], [], CityFigures.None, []);
}
