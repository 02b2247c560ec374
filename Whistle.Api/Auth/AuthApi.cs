using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Whistle.Core.County;
using Whistle.Core.Hosting;
using Whistle.Core.Options;

namespace Whistle.Api.Auth;

public sealed record TokenRequest(string? UserName, string? Password);

public sealed record UserDto(string UserName, string DisplayName, string Role, string OrgId, string OrgName);

public sealed record TokenResponse(string AccessToken, DateTimeOffset ExpiresAt, UserDto User);

public static class AuthApi
{
    public const string LoginRateLimit = "login";

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/token", IssueToken).AllowAnonymous().RequireRateLimiting(LoginRateLimit)
            .WithTags("Authentication").WithName("IssueToken")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        app.MapGet("/api/demo/users", DemoUsers).AllowAnonymous()
            .WithTags("Authentication").WithName("ListDemoUsers")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> IssueToken(
        TokenRequest request,
        HttpContext http,
        Accounts accounts,
        SignInThrottle throttle,
        CountyCatalogHolder county,
        SigningKey signingKey,
        IOptions<AuthOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.UserName) || request.UserName.Length > 100) errors["userName"] = ["The user name is required (at most 100 characters)."];
        if (string.IsNullOrEmpty(request.Password) || request.Password.Length > 256) errors["password"] = ["The password is required (at most 256 characters)."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var userName = request.UserName!.Trim();
        if (!throttle.TryAcquire(userName))
        {
            return TypedResults.Problem(title: "Too many sign-in attempts", detail: "Too many attempts for this account; wait a minute.", statusCode: StatusCodes.Status429TooManyRequests);
        }

        var (outcome, user) = await accounts.SignInAsync(userName, request.Password!, http.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (outcome == SignInOutcome.LockedOut)
        {
            return TypedResults.Problem(title: "Sign-in failed", detail: "The account is locked after repeated failed sign-ins; try again later or ask a supervisor.", statusCode: StatusCodes.Status401Unauthorized);
        }

        if (outcome != SignInOutcome.Succeeded || user is null)
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
        if (!whistle.Value.Demo.IsEnabled(database.Value, bus.Value, whistle.Value.Production))
        {
            return TypedResults.NotFound();
        }

        IReadOnlyList<UserDto> users = CountyStore.DemoUsers(county.Catalog.Definition)
            .Select(u => new UserDto(u.UserName, u.DisplayName, u.Role, u.OrgId, u.OrgName))
            .ToList();
        return TypedResults.Ok(users);
    }
}
