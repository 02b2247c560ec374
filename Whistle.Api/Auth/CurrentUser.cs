using System.Security.Claims;
using Whistle.Core.Domain;

namespace Whistle.Api.Auth;

/// <summary>
/// The caller as its token describes it: who, in which role, for which organisation (a <see cref="Caller"/>, what every
/// command of Whistle.Core takes), and the names of the token's claims.
/// </summary>
public static class CurrentUser
{
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

    /// <summary>The claims a request's principal keeps once its token is validated (everything Whistle reads).</summary>
    private static readonly string[] Kept = [UserNameClaim, DisplayNameClaim, RoleClaim, OrgClaim, OrgNameClaim, StampClaim, RestrictClaim];

    /// <summary>
    /// The principal of a validated token with Whistle's claims only, in one identity. The handler's principal holds
    /// the token itself (its text, header and payload, parsed), every claim twice and the registered ones (iss, aud,
    /// exp, nbf, iat); a hub connection keeps its principal as long as it stays open, so each idle branch connection
    /// carried about 6 KB of them. The token's lifetime lives on in the authentication properties (SignalR closes the
    /// connection at its expiry); nothing in Whistle reads the token again.
    /// </summary>
    public static ClaimsPrincipal Compact(ClaimsPrincipal validated, string authenticationType)
    {
        var claims = new List<Claim>(Kept.Length);
        foreach (var type in Kept)
        {
            if (validated.FindFirst(type) is { } claim) claims.Add(new Claim(type, claim.Value));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, UserNameClaim, RoleClaim));
    }

    /// <summary>The caller of this request, with the address it came from (for the audit trail).</summary>
    public static Caller From(HttpContext http) =>
        From(http.User) with { RemoteAddress = http.Connection.RemoteIpAddress?.ToString() };

    public static Caller From(ClaimsPrincipal principal) =>
        TryFrom(principal) ?? throw new InvalidOperationException("The caller's token lacks the Whistle claims.");

    public static Caller? TryFrom(ClaimsPrincipal principal)
    {
        var userName = principal.FindFirstValue(UserNameClaim);
        var role = principal.FindFirstValue(RoleClaim);
        var org = principal.FindFirstValue(OrgClaim);
        if (userName is null || role is null || org is null || !Roles.All.Contains(role))
        {
            return null;
        }

        return new Caller(userName, principal.FindFirstValue(DisplayNameClaim) ?? userName, role, org);
    }
}
