using System.Security.Claims;
using Whistle.Contracts;
using Whistle.Core.Domain;

namespace Whistle.Api.Auth;

/// <summary>The caller as its token describes it: who, in which role, for which organisation.</summary>
public sealed record CurrentUser(string UserName, string DisplayName, string Role, string OrgId)
{
    /// <summary>Where the request came from, for the audit trail.</summary>
    public string? RemoteAddress { get; init; }

    public static CurrentUser From(HttpContext http) =>
        From(http.User) with { RemoteAddress = http.Connection.RemoteIpAddress?.ToString() };

    public const string UserNameClaim = "sub";
    public const string DisplayNameClaim = "name";
    public const string RoleClaim = "role";
    public const string OrgClaim = "org";
    public const string OrgNameClaim = "org_name";

    /// <summary>The account's security stamp when the token was issued: the token ends when the stamp changes.</summary>
    public const string StampClaim = "stamp";

    /// <summary>
    /// On a token that may do one thing only: <c>password</c> (the password has expired: change it) or
    /// <c>second-factor</c> (the role requires a second factor: enrol one). Such a token opens nothing else.
    /// </summary>
    public const string RestrictClaim = "restrict";

    public static CurrentUser From(ClaimsPrincipal principal) =>
        TryFrom(principal) ?? throw new InvalidOperationException("The caller's token lacks the Whistle claims.");

    public static CurrentUser? TryFrom(ClaimsPrincipal principal)
    {
        var userName = principal.FindFirstValue(UserNameClaim);
        var role = principal.FindFirstValue(RoleClaim);
        var org = principal.FindFirstValue(OrgClaim);
        if (userName is null || role is null || org is null || !Roles.All.Contains(role))
        {
            return null;
        }

        return new CurrentUser(userName, principal.FindFirstValue(DisplayNameClaim) ?? userName, role, org);
    }

    /// <summary>The one SignalR group this caller belongs to, derived from its claims only. Administrators belong to none.</summary>
    public string Group => Role switch
    {
        Roles.Township => AudienceGroups.Township(OrgId),
        Roles.Branch => AudienceGroups.Branch(OrgId),
        Roles.Agency => AudienceGroups.Agency(OrgId),
        Roles.Supervisor => AudienceGroups.County,
        _ => throw new InvalidOperationException($"The role '{Role}' belongs to no audience group: administrators see no whistle."),
    };

    public EventActor Actor => new(UserName, DisplayName, OrgId);

    public Whistle.Core.Storage.AuditActor Audit => new(UserName, DisplayName, RemoteAddress);

    public Whistle.Core.Attachments.AttachmentUploader Uploader => new(UserName, DisplayName, OrgId, RemoteAddress);
}
