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
    /// <summary>Township, branch, agency, supervisor: whistles, assignments, meetings, statistics, the hub.</summary>
    public const string Business = "business";

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
        options.AddPolicy(Business, p => p.RequireRole(Roles.Business));
        options.AddPolicy(Supervisor, p => p.RequireRole(Roles.Supervisor));
        options.AddPolicy(Organisation, p => p.RequireRole([.. Roles.Business, Roles.SysAdmin, Roles.SecAdmin]));
        options.AddPolicy(WhistleList, p => p.RequireRole([.. Roles.Business, Roles.SysAdmin]));
        options.AddPolicy(SysAdmin, p => p.RequireRole(Roles.SysAdmin));
        options.AddPolicy(SecAdmin, p => p.RequireRole(Roles.SecAdmin));
        options.AddPolicy(AuditAdmin, p => p.RequireRole(Roles.AuditAdmin));
    }
}
