using Microsoft.AspNetCore.Authorization;
using Whistle.Core.Domain;

namespace Whistle.Api.Auth;

/// <summary>
/// Which roles may call an endpoint group (三员分立, issue 11): the business roles work on whistles; each
/// administrator has its own endpoints and no other. An endpoint names one of these policies; finer rules (which
/// whistle, which organisation) stay in the feature's commands and queries. A caller outside the policy gets 403.
/// </summary>
public static class RolePolicies
{
    /// <summary>Township, branch, agency, supervisor, and the city level's department, institution and establishment office: whistles and work requests, assignments, meetings, statistics, the hub.</summary>
    public const string Business = "business";

    /// <summary>
    /// A branch head's assessment forms and recommendations (issue 16), confidential: the township, the institution
    /// (agency) and the supervisors; a branch gets 403, another township or institution 404 (the heads rule).
    /// </summary>
    public const string Heads = "heads";

    /// <summary>The city level's organisation (GET /api/city, issue 17): departments, institutions, the establishment office, the supervisors.</summary>
    public const string City = "city";

    /// <summary>
    /// GET /api/city alone: the <see cref="City"/> roles, and a county branch or agency — which the endpoint answers only
    /// when it is linked to an institution (it answers that institution's work requests; any other 403).
    /// </summary>
    public const string CityReaders = "city-readers";

    /// <summary>
    /// An institution's submissions to its departments (请示报告, 选拔任用备案; issue 17): institutions submit, departments
    /// answer, the establishment office reads; every other role 403 (and a city role not concerned 404: the submissions rule).
    /// </summary>
    public const string Submissions = "submissions";
    /// <summary>The establishment office's view of every relation (GET /api/city/office, issue 17): the office and the supervisors.</summary>
    public const string EstablishmentOffice = "establishment-office";

    /// <summary>Raising a work request (POST /api/work-requests): department staff.</summary>
    public const string Department = "department";

    /// <summary>The county's supervisors (督查): reassignment, exports.</summary>
    public const string Supervisor = "supervisor";

    /// <summary>The organisation (GET /api/org): the business roles, and the system and security administrators who keep it and its accounts.</summary>
    public const string Organisation = "organisation";

    /// <summary>The whistle list (GET /api/whistle-list): the business roles and the system administrator who keeps it.</summary>
    public const string WhistleList = "whistle-list";

    /// <summary>系统管理员: the whistle list, the county's settings, notice channels.</summary>
    public const string SysAdmin = "sysadmin";

    /// <summary>安全管理员: accounts and roles.</summary>
    public const string SecAdmin = "secadmin";

    /// <summary>审计管理员: the audit trail (read, export, verify).</summary>
    public const string AuditAdmin = "auditadmin";

    public static void Add(AuthorizationOptions options)
    {
        // A policy names the roles; like the default policy, it refuses a restricted token (a password to change, a
        // second factor to enrol), which opens only the endpoints that lift the restriction.
        void Policy(string name, params string[] roles) => options.AddPolicy(name, p => p
            .RequireAuthenticatedUser()
            .RequireAssertion(c => !c.User.HasClaim(x => x.Type == CurrentUser.RestrictClaim))
            .RequireRole(roles));
        Policy(Business, [.. Roles.Business]);
        Policy(Heads, Roles.Township, Roles.Agency, Roles.Supervisor);
        Policy(Supervisor, Roles.Supervisor);
        Policy(City, Roles.Department, Roles.Institution, Roles.EstablishmentOffice, Roles.Supervisor);
        Policy(CityReaders, Roles.Department, Roles.Institution, Roles.EstablishmentOffice, Roles.Supervisor, Roles.Branch, Roles.Agency);
        Policy(Department, Roles.Department);
        Policy(Submissions, Roles.Department, Roles.Institution, Roles.EstablishmentOffice);
        Policy(EstablishmentOffice, Roles.EstablishmentOffice, Roles.Supervisor);
        Policy(Organisation, [.. Roles.Business, Roles.SysAdmin, Roles.SecAdmin]);
        Policy(WhistleList, [.. Roles.Business, Roles.SysAdmin]);
        Policy(SysAdmin, Roles.SysAdmin);
        Policy(SecAdmin, Roles.SecAdmin);
        Policy(AuditAdmin, Roles.AuditAdmin);
    }
}
