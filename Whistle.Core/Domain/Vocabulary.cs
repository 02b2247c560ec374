namespace Whistle.Core.Domain;

/// <summary>The words of PRODUCT.md §3 as they travel in JSON and in the database.</summary>
public static class Urgency
{
    public const string Routine = "routine";
    public const string Urgent = "urgent";
    public const string Emergency = "emergency";
    public static readonly IReadOnlyList<string> All = [Routine, Urgent, Emergency];
    public static bool IsValid(string? value) => value is not null && All.Contains(value);

    /// <summary>Higher is more urgent; used to sort inboxes.</summary>
    public static int Rank(string value) => value switch { Emergency => 2, Urgent => 1, _ => 0 };
}

public static class WhistleStatus
{
    public const string Raised = "raised";
    public const string Dispatched = "dispatched";
    public const string InProgress = "in-progress";
    public const string Resolved = "resolved";
    public const string Closed = "closed";
    public const string Cancelled = "cancelled";
    public static readonly IReadOnlyList<string> Open = [Raised, Dispatched, InProgress, Resolved];
    public static readonly IReadOnlyList<string> Finished = [Closed, Cancelled];
}

public static class AssignmentStatus
{
    public const string Dispatched = "dispatched";
    public const string Reported = "reported";
    public const string Resolved = "resolved";

    /// <summary>退回: the unit itself said the matter is not its duty.</summary>
    public const string Declined = "declined";

    /// <summary>
    /// 改派: a supervisor moved the open duty to another unit. Not the unit's decline: the assessment judges the duty as
    /// it stood when it was moved (<c>reassigned_at</c>), and the successor names it (<c>previous_assignment_id</c>).
    /// </summary>
    public const string Reassigned = "reassigned";

    public static readonly IReadOnlyList<string> Open = [Dispatched, Reported];
    public static readonly IReadOnlyList<string> Finished = [Resolved, Declined, Reassigned];

    /// <summary>Whether the duty still belongs to its unit (open or resolved), as opposed to declined or moved away.</summary>
    public static bool IsCurrent(string status) => status is not (Declined or Reassigned);
}

public static class AssignmentRole
{
    public const string Lead = "lead";
    public const string Co = "co";
    /// <summary>An agency the township summoned itself when raising the whistle (召集权).</summary>
    public const string Summoned = "summoned";
}

public static class Rating
{
    public const string Satisfied = "satisfied";
    public const string BasicallySatisfied = "basically-satisfied";
    public const string Unsatisfied = "unsatisfied";
    public static readonly IReadOnlyList<string> All = [Satisfied, BasicallySatisfied, Unsatisfied];
    public static bool IsValid(string? value) => value is not null && All.Contains(value);
}

/// <summary>
/// An account has exactly one role. The business roles work on whistles; the three administrators (三员分立,
/// 等保 2.0) keep the system and see no whistle: the system administrator the whistle list, the county's settings
/// and the notice channels; the security administrator the accounts; the audit administrator reads the audit trail.
/// </summary>
public static class Roles
{
    public const string Township = "township";
    public const string Branch = "branch";
    public const string Agency = "agency";
    /// <summary>督查: the board, overdue duties, reassignment, the assessment, meetings county-wide, data exports.</summary>
    public const string Supervisor = "supervisor";
    /// <summary>系统管理员.</summary>
    public const string SysAdmin = "sysadmin";
    /// <summary>安全管理员.</summary>
    public const string SecAdmin = "secadmin";
    /// <summary>审计管理员.</summary>
    public const string AuditAdmin = "auditadmin";
    public static readonly IReadOnlyList<string> Business = [Township, Branch, Agency, Supervisor];
    public static readonly IReadOnlyList<string> Administrators = [SysAdmin, SecAdmin, AuditAdmin];
    public static readonly IReadOnlyList<string> All = [Township, Branch, Agency, Supervisor, SysAdmin, SecAdmin, AuditAdmin];

    public static bool IsAdministrator(string? role) => role is SysAdmin or SecAdmin or AuditAdmin;

    /// <summary>Roles whose organisation is the county itself.</summary>
    public static bool IsCountyWide(string? role) => role is Supervisor or SysAdmin or SecAdmin or AuditAdmin;
}
