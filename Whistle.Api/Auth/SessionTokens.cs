using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Whistle.Core.Accounts;
using Whistle.Core.Hosting;

namespace Whistle.Api.Auth;

public sealed record UserDto(string UserName, string DisplayName, string Role, string OrgId, string OrgName);

/// <summary>
/// The answer to a sign-in. With a token: <c>accessToken</c>, <c>expiresAt</c>, <c>user</c>, how long the browser may stay
/// idle, and whether the token is restricted to changing an expired password or to enrolling a second factor.
/// When a second-factor code is needed first: no token, <c>secondFactorRequired</c> and the <c>challenge</c> to send with the code.
/// </summary>
public sealed record TokenResponse(
    string? AccessToken,
    DateTimeOffset? ExpiresAt,
    UserDto? User,
    int IdleTimeoutSeconds,
    bool MustChangePassword,
    bool MustEnrolSecondFactor,
    bool SecondFactorRequired,
    string? Challenge,
    DateTimeOffset? ChallengeExpiresAt);

/// <summary>Issues access tokens (with the account's security stamp) and the short-lived challenge of a second-factor sign-in.</summary>
public sealed class SessionTokens(
    Accounts accounts, CountyCatalogHolder county, SigningKey signingKey, IOptions<AuthOptions> options, TimeProvider time, IDataProtectionProvider protection)
{
    public const string RestrictPassword = "password";
    public const string RestrictSecondFactor = "second-factor";

    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(5);

    private readonly IDataProtector _challenges = protection.CreateProtector("Whistle.Auth.SecondFactorChallenge.v1");

    private int IdleSeconds => (int)Math.Clamp(options.Value.IdleTimeout.TotalSeconds, 0, int.MaxValue);

    /// <summary>A token for <paramref name="account"/> as it is now (its stamp must be set).</summary>
    public TokenResponse Issue(AccountRow account)
    {
        var settings = options.Value;
        var orgName = county.Catalog.OrgName(account.Role, account.OrgId) ?? account.OrgId;
        var now = time.GetUtcNow();
        var expires = now + settings.TokenLifetime;
        var mustChange = accounts.PasswordExpired(account);
        var mustEnrol = !mustChange && accounts.RequiresSecondFactor(account) && !account.HasSecondFactor;
        var claims = new List<Claim>
        {
            new(CurrentUser.UserNameClaim, account.UserName),
            new(CurrentUser.DisplayNameClaim, account.DisplayName),
            new(CurrentUser.RoleClaim, account.Role),
            new(CurrentUser.OrgClaim, account.OrgId),
            new(CurrentUser.OrgNameClaim, orgName),
            new(CurrentUser.StampClaim, account.SecurityStamp),
        };
        if (mustChange) claims.Add(new(CurrentUser.RestrictClaim, RestrictPassword));
        else if (mustEnrol) claims.Add(new(CurrentUser.RestrictClaim, RestrictSecondFactor));
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Subject = new ClaimsIdentity(claims),
            SigningCredentials = new SigningCredentials(signingKey.Key, SecurityAlgorithms.HmacSha256),
        });
        return new TokenResponse(
            token, expires, new UserDto(account.UserName, account.DisplayName, account.Role, account.OrgId, orgName), IdleSeconds, mustChange, mustEnrol, false, null, null);
    }

    /// <summary>The answer after a right password when a code is needed: a protected challenge naming the account and its stamp.</summary>
    public TokenResponse Challenge(AccountRow account)
    {
        var expires = time.GetUtcNow() + ChallengeLifetime;
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var challenge = _challenges.Protect($"{account.UserName}\n{account.SecurityStamp}\n{expires.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\n{nonce}");
        return new TokenResponse(null, null, null, IdleSeconds, false, false, true, challenge, expires);
    }

    /// <summary>The account name and stamp of a challenge this deployment issued and that has not expired; null otherwise.</summary>
    public (string UserName, string Stamp)? ReadChallenge(string? challenge)
    {
        if (string.IsNullOrEmpty(challenge) || challenge.Length > 4096) return null;
        try
        {
            var parts = _challenges.Unprotect(challenge).Split('\n');
            if (parts.Length != 4 || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var ms)) return null;
            return DateTimeOffset.FromUnixTimeMilliseconds(ms) > time.GetUtcNow() ? (parts[0], parts[1]) : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
