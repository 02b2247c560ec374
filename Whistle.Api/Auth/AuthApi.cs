using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Whistle.Core.County;
using Whistle.Core.Hosting;
using Whistle.Core.Options;
using Whistle.Core.Storage;

namespace Whistle.Api.Auth;

public sealed record TokenRequest(string? UserName, string? Password);

public sealed record UserDto(string UserName, string DisplayName, string Role, string OrgId, string OrgName);

public sealed record TokenResponse(string AccessToken, DateTimeOffset ExpiresAt, UserDto User);

public static class AuthApi
{
    public const string LoginRateLimit = "login";

    private const string SelectUserSql = """
        SELECT user_name AS UserName, display_name AS DisplayName, role, org_id AS OrgId, password_hash AS PasswordHash
        FROM users WHERE user_name = @UserName;
        """;

    private sealed record UserRow(string UserName, string DisplayName, string Role, string OrgId, string PasswordHash);

    private static readonly PasswordHasher<UserRow> Hasher = new();

    // Verified when the account does not exist, so that a wrong name costs as long as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(null!, "not-a-password");

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/token", IssueToken).AllowAnonymous().RequireRateLimiting(LoginRateLimit);
        app.MapGet("/api/demo/users", DemoUsers).AllowAnonymous();
        return app;
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> IssueToken(
        TokenRequest request,
        WhistleDatabase database,
        CountyCatalogHolder county,
        SigningKey signingKey,
        IOptions<AuthOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.UserName)) errors["userName"] = ["The user name is required."];
        if (string.IsNullOrEmpty(request.Password)) errors["password"] = ["The password is required."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var user = await database.ReadAsync(
            c => c.QuerySingleOrDefaultAsync<UserRow>(SelectUserSql, new { UserName = request.UserName!.Trim() }),
            cancellationToken);
        var verified = Hasher.VerifyHashedPassword(user!, user?.PasswordHash ?? DummyHash, request.Password!);
        if (user is null || verified == PasswordVerificationResult.Failed)
        {
            return TypedResults.Problem(title: "Sign-in failed", detail: "The user name or password is wrong.", statusCode: StatusCodes.Status401Unauthorized);
        }

        var settings = options.Value;
        var orgName = county.Catalog.OrgName(user.Role, user.OrgId) ?? user.OrgId;
        var expires = time.GetUtcNow() + settings.TokenLifetime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            IssuedAt = time.GetUtcNow().UtcDateTime,
            NotBefore = time.GetUtcNow().UtcDateTime,
            Expires = expires.UtcDateTime,
            Subject = new ClaimsIdentity(
            [
                new Claim(CurrentUser.UserNameClaim, user.UserName),
                new Claim(CurrentUser.DisplayNameClaim, user.DisplayName),
                new Claim(CurrentUser.RoleClaim, user.Role),
                new Claim(CurrentUser.OrgClaim, user.OrgId),
                new Claim(CurrentUser.OrgNameClaim, orgName),
            ]),
            SigningCredentials = new SigningCredentials(signingKey.Key, SecurityAlgorithms.HmacSha256),
        });
        return TypedResults.Ok(new TokenResponse(token, expires, new UserDto(user.UserName, user.DisplayName, user.Role, user.OrgId, orgName)));
    }

    private static Results<Ok<IReadOnlyList<UserDto>>, NotFound> DemoUsers(
        CountyCatalogHolder county,
        IOptions<WhistleOptions> whistle,
        IOptions<DatabaseOptions> database,
        IOptions<BusOptions> bus)
    {
        if (!whistle.Value.Demo.IsEnabled(database.Value, bus.Value))
        {
            return TypedResults.NotFound();
        }

        IReadOnlyList<UserDto> users = CountyStore.DemoUsers(county.Catalog.Definition)
            .Select(u => new UserDto(u.UserName, u.DisplayName, u.Role, u.OrgId, u.OrgName))
            .ToList();
        return TypedResults.Ok(users);
    }
}
