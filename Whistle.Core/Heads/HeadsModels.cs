using Whistle.Core.Assessment;
using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Core.Heads;

/// <summary>The posts of a branch's leadership the township assesses and has a say on.</summary>
public static class HeadPost
{
    public const string Head = "head";
    public const string Deputy = "deputy";
    public static readonly IReadOnlyList<string> All = [Head, Deputy];
}

/// <summary>The kinds of assessment period (实绩考核): the year, and optionally its quarters.</summary>
public static class PeriodKind
{
    public const string Annual = "annual";
    public const string Quarter = "quarter";
}

public static class FormStatus
{
    /// <summary>Issued, waiting for the township's grade and opinion.</summary>
    public const string Pending = "pending";

    /// <summary>Graded and final; a correction is a new version.</summary>
    public const string Submitted = "submitted";
}

/// <summary>Two directions of 任免建议: the institution asks the township's opinion; the township recommends on its own.</summary>
public static class RecommendationKind
{
    /// <summary>征求意见: the institution plans to appoint, move or remove a head and asks the township first.</summary>
    public const string Consultation = "consultation";

    /// <summary>任免建议: the township recommends on its own initiative; the institution must answer.</summary>
    public const string Recommendation = "recommendation";

    public static readonly IReadOnlyList<string> All = [Consultation, Recommendation];

    public static readonly IReadOnlyList<string> ConsultationActions = ["appoint", "move", "remove"];

    public static readonly IReadOnlyList<string> RecommendationActions = ["commend", "keep", "talk", "adjust", "remove"];

    public static readonly IReadOnlyList<string> ConsultationAnswers = ["agree", "disagree"];

    public static readonly IReadOnlyList<string> RecommendationAnswers = ["accepted", "partly", "not-accepted"];
}

public static class RecommendationStatus
{
    /// <summary>Waiting for the other side's answer.</summary>
    public const string Open = "open";

    public const string Answered = "answered";

    /// <summary>A consultation the institution decided (with the township's answer, or after its limit without one).</summary>
    public const string Decided = "decided";
}

/// <summary>One grade of the county's scale (优秀 / 称职 / 基本称职 / 不称职 by default).</summary>
public sealed record GradeInfo(string Code, string Name, string NameEn);

/// <summary>
/// The county file's <c>heads</c>: the periods (annual, and quarters when <see cref="Quarterly"/>), the grades, the
/// weight of the township's grade in the head's annual assessment, and the time limits of each side (days), with the
/// escalation repeat (hours) once a limit has passed. The reminder falls at the county's <c>escalation.reminderShare</c>.
/// </summary>
public sealed record HeadsSettings(
    bool Quarterly = false,
    IReadOnlyList<GradeInfo>? Grades = null,
    double Weight = 0.3,
    int FormDueDays = 15,
    int OpinionDays = 10,
    int AnswerDays = 15,
    int RepeatEveryHours = 24)
{
    public static readonly IReadOnlyList<GradeInfo> DefaultGrades =
    [
        new("excellent", "优秀", "Excellent"),
        new("competent", "称职", "Competent"),
        new("basically-competent", "基本称职", "Basically competent"),
        new("incompetent", "不称职", "Incompetent"),
    ];

    public IReadOnlyList<GradeInfo> GradesOrDefault => Grades is { Count: > 0 } g ? g : DefaultGrades;

    /// <summary>What is wrong with these settings, each naming its field of the county file.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Weight is < 0 or > 1 || double.IsNaN(Weight)) problems.Add("heads.weight must be between 0 and 1.");
        if (FormDueDays is < 1 or > 366) problems.Add("heads.formDueDays must be between 1 and 366.");
        if (OpinionDays is < 1 or > 366) problems.Add("heads.opinionDays must be between 1 and 366.");
        if (AnswerDays is < 1 or > 366) problems.Add("heads.answerDays must be between 1 and 366.");
        if (RepeatEveryHours is < 1 or > 24 * 30) problems.Add("heads.repeatEveryHours must be between 1 and 720.");
        var codes = GradesOrDefault.Select(g => g.Code).ToList();
        if (codes.Distinct(StringComparer.Ordinal).Count() != codes.Count || codes.Any(string.IsNullOrWhiteSpace) || GradesOrDefault.Any(g => string.IsNullOrWhiteSpace(g.Name)))
            problems.Add("heads.grades need a unique code and a name each.");
        return problems;
    }

    /// <summary>The escalation chain of a heads duty: the county's reminder share, then every <see cref="RepeatEveryHours"/> after the limit.</summary>
    public EscalationSettings Chain(EscalationSettings county) => new(county.ReminderShare, RepeatEveryHours * 60);
}

/// <summary>A head in the county file (<c>branchHeads</c>): the seed of the record; upkeep through the API is kept over restarts.</summary>
public sealed record BranchHeadInfo(string BranchId, string Post, string Name, string Title, DateTimeOffset Since);

/// <summary>One holder of a post, current (<see cref="HeldUntil"/> null) or past.</summary>
public sealed record HeadRow
{
    public string Id { get; init; } = "";
    public string BranchId { get; init; } = "";
    public string Post { get; init; } = "";
    public string Name { get; init; } = "";
    public string Title { get; init; } = "";
    public DateTimeOffset HeldFrom { get; init; }
    public DateTimeOffset? HeldUntil { get; init; }
    public string AppointedBy { get; init; } = "";
    public string? EndedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

public sealed record SetHeadRequest(string? Name, string? Title, DateTimeOffset? Since);

/// <summary>An assessment period, [StartsAt, EndsAt) in UTC, cut in Asia/Shanghai.</summary>
public sealed record PeriodRow
{
    public string Id { get; init; } = "";
    public string Kind { get; init; } = "";
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public DateTimeOffset ClosedAt { get; init; }
    public DateTimeOffset DueAt { get; init; }
    public double Weight { get; init; }
}

/// <summary>One unsatisfied rating of the period, with the township's comment and the whistle behind it.</summary>
public sealed record UnsatisfiedRating(string WhistleId, string WhistleTitle, string AssignmentId, string? Comment, DateTimeOffset DispatchedAt);

/// <summary>
/// What a form is pre-filled with: the branch's figures for the period exactly as the assessment API computes them for
/// the township (<see cref="StatsQueries.TownshipBranchesAsync"/>: rank among the township's branches), how many peers
/// were ranked, and the unsatisfied ratings with their comments and whistles.
/// </summary>
public sealed record FormEvidence(DateTimeOffset From, DateTimeOffset To, DateTimeOffset AsOf, AssessmentWeights Weights, UnitFigures Figures, int Peers, IReadOnlyList<UnsatisfiedRating> Unsatisfied);

public sealed record FormRow : IDutyChained
{
    public string Id { get; init; } = "";
    public string PeriodId { get; init; } = "";
    public int FormVersion { get; init; }
    public string? PreviousFormId { get; init; }
    public string TownshipId { get; init; } = "";
    public string BranchId { get; init; } = "";
    public string AgencyCode { get; init; } = "";
    public string? HeadId { get; init; }
    public string? HeadName { get; init; }
    public string? HeadTitle { get; init; }
    public string Status { get; init; } = "";
    public string EvidenceJson { get; init; } = "";
    public DateTimeOffset IssuedAt { get; init; }
    public DateTimeOffset DueAt { get; init; }
    public string? Grade { get; init; }
    public string? Opinion { get; init; }
    public string? CorrectionReason { get; init; }
    public DateTimeOffset? SubmittedAt { get; init; }
    public string? SubmittedBy { get; init; }
    public string? SubmittedByName { get; init; }
    public DateTimeOffset? NextStepAt { get; init; }
    public string? NextStepKind { get; init; }
    public int? NextStepLevel { get; init; }
    public int ReminderCount { get; init; }
    public int EscalationCount { get; init; }
    public int RowVersion { get; init; }

    public DutyChainState ChainState => new(Id, Status == FormStatus.Pending, IssuedAt, DueAt, NextStepAt, NextStepKind, NextStepLevel, RowVersion);
}

public sealed record SubmitFormRequest(string? Grade, string? Opinion);

public sealed record CorrectFormRequest(string? Grade, string? Opinion, string? Reason);

/// <summary>An item of evidence a recommendation points at: a whistle or an assessment form the township can see.</summary>
public sealed record EvidenceLink(string? Kind, string? Id);

public sealed record OpenRecommendationRequest(string? Kind, string? BranchId, string? Action, string? CandidateName, string? Reasons, IReadOnlyList<EvidenceLink>? Evidence);

public sealed record AnswerRecommendationRequest(string? Answer, string? Reasons, string? ActionTaken);

public sealed record DecideRecommendationRequest(string? Decision);

public sealed record RecommendationRow : IDutyChained
{
    public string Id { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Action { get; init; } = "";
    public string TownshipId { get; init; } = "";
    public string BranchId { get; init; } = "";
    public string AgencyCode { get; init; } = "";
    public string? HeadId { get; init; }
    public string? HeadName { get; init; }
    public string? CandidateName { get; init; }
    public string Reasons { get; init; } = "";
    public string EvidenceJson { get; init; } = "[]";
    public string Status { get; init; } = "";
    public DateTimeOffset OpenedAt { get; init; }
    public string OpenedBy { get; init; } = "";
    public string OpenedByName { get; init; } = "";
    public DateTimeOffset DueAt { get; init; }
    public string? Answer { get; init; }
    public string? AnswerReasons { get; init; }
    public string? AnswerAction { get; init; }
    public DateTimeOffset? AnsweredAt { get; init; }
    public string? AnsweredBy { get; init; }
    public string? AnsweredByName { get; init; }
    public string? Decision { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }
    public string? DecidedBy { get; init; }
    public string? DecidedByName { get; init; }
    public bool? DecidedWithoutAnswer { get; init; }
    public DateTimeOffset? NextStepAt { get; init; }
    public string? NextStepKind { get; init; }
    public int? NextStepLevel { get; init; }
    public int ReminderCount { get; init; }
    public int EscalationCount { get; init; }
    public int RowVersion { get; init; }

    public DutyChainState ChainState => new(Id, Status == RecommendationStatus.Open, OpenedAt, DueAt, NextStepAt, NextStepKind, NextStepLevel, RowVersion);

    /// <summary>Whose move it is: the township answers a consultation, the institution a recommendation.</summary>
    public string AnsweringRole => Kind == RecommendationKind.Consultation ? Domain.Roles.Township : Domain.Roles.Agency;
}

