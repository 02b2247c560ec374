using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Core.Assessment;

/// <summary>One assignment as the assessment counts it.</summary>
public sealed record AssessedAssignment(
    string AgencyCode,
    string? BranchId,
    string TownshipId,
    string Status,
    DateTimeOffset DispatchedAt,
    DateTimeOffset ReportBy,
    DateTimeOffset ResolveBy,
    DateTimeOffset? ReportedAt,
    DateTimeOffset? ResolvedAt,
    string? Rating,
    int EscalationCount,
    DateTimeOffset? ReassignedAt = null,
    string Level = WhistleLevel.Township,
    string? RelationId = null);

/// <summary>One summons to a coordination meeting, as the assessment counts attendance.</summary>
public sealed record AssessedSummons(
    string AgencyCode,
    string? BranchId,
    string Status,
    DateTimeOffset? RespondedAt,
    DateTimeOffset ConfirmBy,
    string? Attendance);

/// <summary>The figures of one unit (an agency, or a branch) over a period.</summary>
public sealed record UnitFigures(
    string Kind,
    string UnitId,
    string UnitName,
    string UnitNameEn,
    string AgencyCode,
    string? TownshipId,
    int Assignments,
    int Reported,
    int ReportedWithinLimit,
    int ResponseDue,
    int Resolved,
    int ResolvedWithinLimit,
    int ResolutionDue,
    int Declined,
    int Reassigned,
    int Escalated,
    int Rated,
    int Satisfied,
    int BasicallySatisfied,
    int Unsatisfied,
    double? TimeToReportP50,
    double? TimeToReportP90,
    double? TimeToResolveP50,
    double? TimeToResolveP90,
    double? ResponseRate,
    double? ResolutionRate,
    double? SatisfactionRate,
    double? Score,
    int? Rank,
    int MeetingsSummoned = 0,
    int ConfirmedOnTime = 0,
    int ReportedIn = 0,
    int Late = 0,
    int Absent = 0,
    string Level = WhistleLevel.Township,
    string? DepartmentId = null,
    string? RelationId = null);

public sealed record HistogramBucket(int? UpToMinutes, int Count);

public sealed record TrendPoint(string Date, int Assignments, int ReportedWithinLimit, int ResponseDue, int Resolved, int ResolutionDue, double? ResponseRate, double? ResolutionRate);

/// <summary>
/// 实绩考核: the three rates (PRODUCT.md §3), percentiles and a weighted score with a ranking.
/// A rate counts only the duties that are due (PRODUCT.md §3: whose limit has passed, or that are finished), as of
/// the moment of the assessment (<c>asOf</c>); a duty that is still inside its limit is neither a success nor a
/// failure yet. Definitions (also in docs/API.md):
/// <list type="bullet">
/// <item>declined duties (退回, the branch's own word that the matter is not its duty) are left out of every rate;</item>
/// <item>a duty a supervisor moved to another unit (改派, status <c>reassigned</c>) is judged as it stood when it was
/// moved: its clock stops at <c>ReassignedAt</c>;</item>
/// <item>response rate = reported within limit ÷ response due, where response due = the duties reported (in time or
/// late) plus the unreported ones whose report-by has passed;</item>
/// <item>resolution rate = resolved ÷ resolution due, where resolution due = the duties resolved plus the unresolved
/// ones whose resolve-by has passed;</item>
/// <item>satisfaction rate = (satisfied + basically satisfied) ÷ rated;</item>
/// <item>percentiles are nearest-rank over the reported (resolved) assignments, in seconds from dispatch;</item>
/// <item>score = 100 × Σ weight × rate over the rates that exist, divided by the sum of their weights;</item>
/// <item>rank = competition ranking by score (1, 2, 2, 4), units without a score are not ranked.</item>
/// </list>
/// </summary>
public static class Assessor
{
    public const string AgencyKind = "agency";
    public const string BranchKind = "branch";

    private static readonly int[] HistogramEdges = [5, 10, 15, 30, 60, 120, 240, 480];

    public static IReadOnlyList<UnitFigures> Agencies(CountyCatalog catalog, IReadOnlyList<AssessedAssignment> rows, AssessmentWeights weights, DateTimeOffset asOf, IReadOnlyList<AssessedSummons>? summons = null, string? agencyCode = null) =>
        Rank(catalog.Definition.Agencies
            .Where(a => agencyCode is null || a.Code == agencyCode)
            .Select(a => WithAttendance(
                Figures(AgencyKind, a.Code, a.Name, a.NameEn, a.Code, null, rows.Where(r => r.AgencyCode == a.Code).ToList(), weights, asOf),
                (summons ?? []).Where(s => s.AgencyCode == a.Code)))
            .ToList());

    public static IReadOnlyList<UnitFigures> Branches(CountyCatalog catalog, IReadOnlyList<AssessedAssignment> rows, AssessmentWeights weights, DateTimeOffset asOf, string? townshipId = null, IReadOnlyList<AssessedSummons>? summons = null, string? agencyCode = null) =>
        Rank(catalog.Definition.Branches
            .Where(b => (townshipId is null || b.TownshipId == townshipId) && (agencyCode is null || b.AgencyCode == agencyCode))
            .Select(b => WithAttendance(
                Figures(BranchKind, b.Id, b.Name, b.NameEn, b.AgencyCode, b.TownshipId, rows.Where(r => r.BranchId == b.Id).ToList(), weights, asOf),
                (summons ?? []).Where(s => s.BranchId == b.Id)))
            .ToList());

    /// <summary>
    /// Attendance at coordination meetings: summoned; confirmed by the deadline; reported in (present or late);
    /// late; absent (recorded absent, or never recorded for a meeting that was held).
    /// </summary>
    public static UnitFigures WithAttendance(UnitFigures figures, IEnumerable<AssessedSummons> summons)
    {
        var list = summons.ToList();
        return figures with
        {
            MeetingsSummoned = list.Count,
            ConfirmedOnTime = list.Count(s => s.Status == "confirmed" && s.RespondedAt <= s.ConfirmBy),
            ReportedIn = list.Count(s => s.Attendance is "present" or "late"),
            Late = list.Count(s => s.Attendance == "late"),
            Absent = list.Count(s => s.Attendance == "absent"),
        };
    }

    /// <summary>What the three rates count of some duties, as of <paramref name="asOf"/> (see the class summary).</summary>
    public readonly record struct RateCounts(int ReportedWithinLimit, int ResponseDue, int Resolved, int ResolutionDue)
    {
        public double? ResponseRate => Rate(ReportedWithinLimit, ResponseDue);

        public double? ResolutionRate => Rate(Resolved, ResolutionDue);
    }

    public static RateCounts Count(IEnumerable<AssessedAssignment> rows, DateTimeOffset asOf)
    {
        int within = 0, responseDue = 0, resolved = 0, resolutionDue = 0;
        foreach (var r in rows)
        {
            if (r.Status == AssignmentStatus.Declined)
            {
                continue;
            }

            // A duty moved away by a supervisor is judged as it stood then; every other duty as it stands now.
            var clock = r.ReassignedAt is { } moved && moved < asOf ? moved : asOf;
            if (r.ReportedAt is { } reportedAt)
            {
                responseDue++;
                if (reportedAt <= r.ReportBy) within++;
            }
            else if (clock > r.ReportBy)
            {
                responseDue++;
            }

            if (r.ResolvedAt is not null)
            {
                resolutionDue++;
                resolved++;
            }
            else if (clock > r.ResolveBy)
            {
                resolutionDue++;
            }
        }

        return new RateCounts(within, responseDue, resolved, resolutionDue);
    }

    public static UnitFigures Figures(string kind, string id, string name, string nameEn, string agencyCode, string? townshipId, IReadOnlyList<AssessedAssignment> rows, AssessmentWeights weights, DateTimeOffset asOf)
    {
        var declined = rows.Count(r => r.Status == AssignmentStatus.Declined);
        var counts = Count(rows, asOf);
        var rated = rows.Where(r => r.Rating is not null).ToList();
        var satisfied = rated.Count(r => r.Rating == Rating.Satisfied);
        var basically = rated.Count(r => r.Rating == Rating.BasicallySatisfied);
        var toReport = rows.Where(r => r.ReportedAt is not null).Select(r => (r.ReportedAt!.Value - r.DispatchedAt).TotalSeconds).Order().ToList();
        var toResolve = rows.Where(r => r.ResolvedAt is not null).Select(r => (r.ResolvedAt!.Value - r.DispatchedAt).TotalSeconds).Order().ToList();
        var response = counts.ResponseRate;
        var resolution = counts.ResolutionRate;
        var satisfaction = Rate(satisfied + basically, rated.Count);
        return new UnitFigures(
            kind, id, name, nameEn, agencyCode, townshipId,
            rows.Count,
            rows.Count(r => r.ReportedAt is not null),
            counts.ReportedWithinLimit,
            counts.ResponseDue,
            rows.Count(r => r.ResolvedAt is not null),
            rows.Count(r => r.ResolvedAt is { } at && at <= r.ResolveBy),
            counts.ResolutionDue,
            declined,
            rows.Count(r => r.Status == AssignmentStatus.Reassigned),
            rows.Count(r => r.EscalationCount > 0),
            rated.Count,
            satisfied,
            basically,
            rated.Count(r => r.Rating == Rating.Unsatisfied),
            Percentile(toReport, 50),
            Percentile(toReport, 90),
            Percentile(toResolve, 50),
            Percentile(toResolve, 90),
            response,
            resolution,
            satisfaction,
            Score(response, resolution, satisfaction, weights),
            null);
    }

    private static double? Rate(int part, int whole) => whole == 0 ? null : (double)part / whole;

    /// <summary>Nearest-rank percentile of sorted values; null when there are none.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, int percent)
    {
        if (sorted.Count == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    public static double? Score(double? response, double? resolution, double? satisfaction, AssessmentWeights weights)
    {
        var parts = new[] { (response, weights.Response), (resolution, weights.Resolution), (satisfaction, weights.Satisfaction) }
            .Where(p => p.Item1 is not null && p.Item2 > 0)
            .ToList();
        var weight = parts.Sum(p => p.Item2);
        return weight <= 0 ? null : Math.Round(100 * parts.Sum(p => p.Item1!.Value * p.Item2) / weight, 2);
    }

    /// <summary>Competition ranking by score, best first; ties share a rank.</summary>
    public static IReadOnlyList<UnitFigures> Rank(IReadOnlyList<UnitFigures> units)
    {
        var scored = units.Where(u => u.Score is not null).OrderByDescending(u => u.Score).ToList();
        var ranks = new Dictionary<UnitFigures, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < scored.Count; i++)
        {
            ranks[scored[i]] = i > 0 && scored[i].Score == scored[i - 1].Score ? ranks[scored[i - 1]] : i + 1;
        }

        return units
            .Select(u => ranks.TryGetValue(u, out var rank) ? u with { Rank = rank } : u)
            .OrderBy(u => u.Rank ?? int.MaxValue)
            .ThenBy(u => u.UnitId, StringComparer.Ordinal)
            .ToList();
    }

    public static IReadOnlyList<HistogramBucket> TimeToReportHistogram(IEnumerable<AssessedAssignment> rows)
    {
        var minutes = rows.Where(r => r.ReportedAt is not null).Select(r => (r.ReportedAt!.Value - r.DispatchedAt).TotalMinutes).ToList();
        var buckets = new List<HistogramBucket>();
        var lower = double.NegativeInfinity;
        foreach (var edge in HistogramEdges)
        {
            buckets.Add(new HistogramBucket(edge, minutes.Count(m => m > lower && m <= edge)));
            lower = edge;
        }

        buckets.Add(new HistogramBucket(null, minutes.Count(m => m > lower)));
        return buckets;
    }

    public static IReadOnlyList<TrendPoint> Trend(IEnumerable<AssessedAssignment> rows, DateTimeOffset from, DateTimeOffset to, DateTimeOffset asOf)
    {
        var byDay = rows.ToLookup(r => ChinaTime.LocalDate(r.DispatchedAt));
        var points = new List<TrendPoint>();
        for (var day = ChinaTime.LocalDate(from); ChinaTime.StartOf(day) < to; day = day.AddDays(1))
        {
            var dayRows = byDay[day].ToList();
            var counts = Count(dayRows, asOf);
            points.Add(new TrendPoint(
                day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                dayRows.Count,
                counts.ReportedWithinLimit,
                counts.ResponseDue,
                counts.Resolved,
                counts.ResolutionDue,
                counts.ResponseRate,
                counts.ResolutionRate));
        }

        return points;
    }
}

/// <summary>Asia/Shanghai (UTC+8, no daylight saving): where the county's days, weeks and months begin.</summary>
public static class ChinaTime
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    public static DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Offset).DateTime);

    public static DateTimeOffset StartOf(DateOnly day) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), Offset).ToUniversalTime();

    /// <summary>The day, week (Monday first) or month containing <paramref name="day"/>, as UTC instants [from, to).</summary>
    public static (DateTimeOffset From, DateTimeOffset To) Period(string period, DateOnly day) => period switch
    {
        "day" => (StartOf(day), StartOf(day.AddDays(1))),
        "week" => (StartOf(day.AddDays(-(((int)day.DayOfWeek + 6) % 7))), StartOf(day.AddDays(7 - (((int)day.DayOfWeek + 6) % 7)))),
        "month" => (StartOf(new DateOnly(day.Year, day.Month, 1)), StartOf(new DateOnly(day.Year, day.Month, 1).AddMonths(1))),
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "The period is day, week or month."),
    };
}
