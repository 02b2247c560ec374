using Whistle.Core.Domain;

namespace Whistle.Core.City;

/// <summary>What an institution submits to a department (issue 17): 请示, 报告, 选拔任用备案.</summary>
public static class SubmissionKind
{
    /// <summary>请示: asks for instructions; answered with a 批复 (approved / disapproved, with its text).</summary>
    public const string Request = "request";

    /// <summary>报告: reports; answered 阅知 (noted), optionally with a remark.</summary>
    public const string Report = "report";

    /// <summary>选拔任用备案: files the appointment of a head of an internal office or branch with the managing department.</summary>
    public const string Filing = "filing";

    public static readonly IReadOnlyList<string> All = [Request, Report, Filing];

    /// <summary>The answers a department gives to each kind.</summary>
    public static IReadOnlyList<string> Answers(string kind) => kind switch
    {
        Request => [SubmissionAnswer.Approved, SubmissionAnswer.Disapproved],
        Report => [SubmissionAnswer.Noted],
        _ => [SubmissionAnswer.Acknowledged, SubmissionAnswer.Objected],
    };

    /// <summary>Whether an answer must carry its text: a 批复 always, an objection its reasons.</summary>
    public static bool TextRequired(string answer) => answer is SubmissionAnswer.Approved or SubmissionAnswer.Disapproved or SubmissionAnswer.Objected;
}

public static class SubmissionAnswer
{
    /// <summary>批复: 同意.</summary>
    public const string Approved = "approved";

    /// <summary>批复: 不同意.</summary>
    public const string Disapproved = "disapproved";

    /// <summary>阅知.</summary>
    public const string Noted = "noted";

    /// <summary>备案确认.</summary>
    public const string Acknowledged = "acknowledged";

    /// <summary>提出异议 (with reasons).</summary>
    public const string Objected = "objected";
}

public static class SubmissionStatus
{
    public const string Open = "open";
    public const string Answered = "answered";
}

/// <summary>
/// <c>Whistle:Submissions</c>: the days a department has to answer when the relation's mechanism record
/// (<c>request-report</c>, <c>appointment-filing</c>) sets none, and how often an overdue answer is escalated again.
/// The reminder falls at the county's <c>escalation.reminderShare</c> of the limit.
/// </summary>
public sealed class SubmissionOptions
{
    public const string Section = "Whistle:Submissions";

    /// <summary>Days to answer a 请示 or a 报告.</summary>
    public int AnswerDays { get; set; } = 10;

    /// <summary>Days to acknowledge or object to a 选拔任用备案.</summary>
    public int FilingDays { get; set; } = 15;

    /// <summary>Hours between escalations (督办) once the limit has passed.</summary>
    public int RepeatEveryHours { get; set; } = 24;
}

public sealed record SubmitRequest(
    string? Kind,
    string? RelationId,
    string? DepartmentId,
    string? Title,
    string? Body,
    string? HeadUnitId,
    string? HeadName,
    string? HeadTitle,
    string? RecommendationId,
    IReadOnlyList<string>? AttachmentIds = null);

public sealed record AnswerSubmissionRequest(string? Answer, string? Text);

public sealed record SubmissionRow : IDutyChained
{
    public string Id { get; init; } = "";
    public string Kind { get; init; } = "";
    public string RelationId { get; init; } = "";
    public string InstitutionId { get; init; } = "";
    public string? UnitId { get; init; }
    public string DepartmentId { get; init; } = "";
    public string? Field { get; init; }
    public string Title { get; init; } = "";
    public string Body { get; init; } = "";
    public string? HeadUnitId { get; init; }
    public string? HeadName { get; init; }
    public string? HeadTitle { get; init; }
    public string? RecommendationId { get; init; }
    public bool? WithoutOpinion { get; init; }
    public string Status { get; init; } = "";
    public DateTimeOffset OpenedAt { get; init; }
    public string OpenedBy { get; init; } = "";
    public string OpenedByName { get; init; } = "";
    public DateTimeOffset DueAt { get; init; }
    public string? Answer { get; init; }
    public string? AnswerText { get; init; }
    public DateTimeOffset? AnsweredAt { get; init; }
    public string? AnsweredBy { get; init; }
    public string? AnsweredByName { get; init; }
    public DateTimeOffset? NextStepAt { get; init; }
    public string? NextStepKind { get; init; }
    public int? NextStepLevel { get; init; }
    public int ReminderCount { get; init; }
    public int EscalationCount { get; init; }
    public int RowVersion { get; init; }

    public DutyChainState ChainState => new(Id, Status == SubmissionStatus.Open, OpenedAt, DueAt, NextStepAt, NextStepKind, NextStepLevel, RowVersion);
}

