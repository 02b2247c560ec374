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
    /// <summary>行业主管部门 staff (issue 17): raises work requests along its relations; organisation: the department's id.</summary>
    public const string Department = "department";
    /// <summary>事业单位 duty officer (issue 17): the institution's inbox; organisation: the institution's id, or one of its internal offices'.</summary>
    public const string Institution = "institution";
    /// <summary>编办 (issue 17): reads every relation of the city and whether its mechanism is in place; follows up.</summary>
    public const string EstablishmentOffice = "establishment-office";
    /// <summary>系统管理员.</summary>
    public const string SysAdmin = "sysadmin";
    /// <summary>安全管理员.</summary>
    public const string SecAdmin = "secadmin";
    /// <summary>审计管理员.</summary>
    public const string AuditAdmin = "auditadmin";
    /// <summary>The business roles: the township level's and the city level's (one engine serves both).</summary>
    public static readonly IReadOnlyList<string> Business = [Township, Branch, Agency, Supervisor, Department, Institution, EstablishmentOffice];
    /// <summary>The city level's roles (issue 17).</summary>
    public static readonly IReadOnlyList<string> City = [Department, Institution, EstablishmentOffice];
    public static readonly IReadOnlyList<string> Administrators = [SysAdmin, SecAdmin, AuditAdmin];
    public static readonly IReadOnlyList<string> All = [Township, Branch, Agency, Supervisor, Department, Institution, EstablishmentOffice, SysAdmin, SecAdmin, AuditAdmin];

    public static bool IsAdministrator(string? role) => role is SysAdmin or SecAdmin or AuditAdmin;

    /// <summary>Roles whose organisation is the county itself.</summary>
    public static bool IsCountyWide(string? role) => role is Supervisor or SysAdmin or SecAdmin or AuditAdmin;
}

/// <summary>
/// The level a whistle belongs to (issue 17): a township's whistle to the branches stationed in it, or a city
/// department's work request (工作事项) to an institution along a relation. One engine serves both.
/// </summary>
public static class WhistleLevel
{
    public const string Township = "township";
    public const string City = "city";
}

/// <summary>The three kinds of relation between departments and institutions (the article's 一对一、一对多服务、多对一指导).</summary>
public static class RelationKind
{
    /// <summary>一对一 归口管理: one department manages one institution.</summary>
    public const string OneToOne = "one-to-one";
    /// <summary>一对多服务: one institution serves several departments.</summary>
    public const string OneToManyService = "one-to-many-service";
    /// <summary>多对一指导: several departments guide one institution, each in its field.</summary>
    public const string ManyToOneGuidance = "many-to-one-guidance";
    public static readonly IReadOnlyList<string> All = [OneToOne, OneToManyService, ManyToOneGuidance];
}

/// <summary>
/// The records of a relation's mechanism (工作运行机制) besides its list of work items: which the establishment office
/// expects of each kind of relation, and whether each is recorded (<see cref="Expected"/>).
/// </summary>
public static class MechanismKind
{
    /// <summary>工作事项清单 (the relation's work items; recorded when the list has an item).</summary>
    public const string WorkItems = "work-items";
    /// <summary>监督检查考核办法.</summary>
    public const string Supervision = "supervision";
    /// <summary>重要事项议事规则.</summary>
    public const string DecisionRule = "decision-rule";
    /// <summary>相关会议制度 (联席会议 / 定期会商).</summary>
    public const string Meetings = "meetings";
    /// <summary>公文流转制度.</summary>
    public const string DocumentFlow = "document-flow";
    /// <summary>项目资金申报制度.</summary>
    public const string Funding = "funding";
    /// <summary>请示报告制度 (一对一).</summary>
    public const string RequestReport = "request-report";
    /// <summary>具体管理方式 (一对一).</summary>
    public const string Management = "management";
    /// <summary>联合行文要求 (一对一).</summary>
    public const string JointDocuments = "joint-documents";
    /// <summary>内设机构及分支机构负责同志选拔任用备案制度 (一对一).</summary>
    public const string AppointmentFiling = "appointment-filing";

    public static readonly IReadOnlyList<string> All =
        [WorkItems, Supervision, DecisionRule, Meetings, DocumentFlow, Funding, RequestReport, Management, JointDocuments, AppointmentFiling];

    /// <summary>What a relation of this kind must record to have its mechanism in place (the article, part 二).</summary>
    public static IReadOnlyList<string> Expected(string relationKind) => relationKind switch
    {
        RelationKind.OneToOne => [RequestReport, Management, JointDocuments, AppointmentFiling],
        _ => [WorkItems, Supervision, DecisionRule, Meetings, DocumentFlow],
    };
}

/// <summary>An institution's units: its internal offices (内设机构) and its branches (分支机构, a stationed one linked to its <c>branches</c> row).</summary>
public static class InstitutionUnitKind
{
    public const string Office = "office";
    public const string Branch = "branch";
}

/// <summary>A department's part in a relation: the leading department (牵头) or another of the relation's departments.</summary>
public static class RelationRole
{
    public const string Lead = "lead";
    public const string Member = "member";
}
