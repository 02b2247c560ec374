using Whistle.Core.Problems;
using Whistle.Api.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Whistle.Core.Accounts;
using Whistle.Api.Push;
using Whistle.Core.County;
using Whistle.Core.Hosting;
using Whistle.Core.Options;

namespace Whistle.Api.Auth;

public sealed record TokenRequest(string? UserName, string? Password);

public sealed record SecondFactorSignInRequest(string? Challenge, string? Code);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public sealed record SecondFactorCodeRequest(string? Code);

public sealed record SecondFactorPasswordRequest(string? Password);

public sealed record SecondFactorStatus(bool Enabled, bool Required, bool Pending);

public sealed record SecondFactorEnrolment(string Secret, string OtpauthUri);

public static class AuthApi
{
    public const string LoginRateLimit = "login";

    /// <summary>The policy of the endpoints a restricted token may call (change the password, enrol a second factor).</summary>
    public const string AnySession = "any-session";

    /// <summary>The one answer to every failed sign-in, whatever the reason (the reason is in the audit trail only).</summary>
    public const string SignInFailedDetail = "The user name, password or code is wrong, or the account cannot sign in now.";

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var anonymous = app.MapGroup("/api/auth").AllowAnonymous().RequireRateLimiting(LoginRateLimit).WithTags("Authentication")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        anonymous.MapPost("/token", IssueToken).WithName("IssueToken");
        anonymous.MapPost("/token/second-factor", SecondFactorSignIn).WithName("IssueTokenWithSecondFactor");

        var session = app.MapGroup("/api/auth").RequireAuthorization(AnySession).WithTags("Authentication")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        session.MapPost("/password", ChangePassword).WithName("ChangeOwnPassword");
        session.MapGet("/second-factor", SecondFactorState).WithName("GetSecondFactor");
        session.MapPost("/second-factor/enrol", EnrolSecondFactor).WithName("EnrolSecondFactor");
        session.MapPost("/second-factor/confirm", ConfirmSecondFactor).WithName("ConfirmSecondFactor");
        app.MapPost("/api/auth/second-factor/disable", DisableSecondFactor).RequireAuthorization().WithTags("Authentication").WithName("DisableOwnSecondFactor")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        app.MapGet("/api/demo/users", DemoUsers).AllowAnonymous()
            .WithTags("Authentication").WithName("ListDemoUsers")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static ProblemHttpResult SignInFailed() =>
        ProblemResults.Problem(StatusCodes.Status401Unauthorized, "Sign-in failed", Problem.SignInFailed());

    private static ProblemHttpResult TooManyAttempts() =>
        ProblemResults.Problem(StatusCodes.Status429TooManyRequests, "Too many sign-in attempts", Problem.TooManySignIns());

    private static string? Address(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> IssueToken(
        TokenRequest request, HttpContext http, Accounts accounts, SignInThrottle throttle, SessionTokens tokens, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(request.UserName) || request.UserName.Length > 100) errors.Set("userName", Problem.Required("userName", "The user name is required (at most 100 characters)."));
        if (string.IsNullOrEmpty(request.Password) || request.Password.Length > 256) errors.Set("password", Problem.Required("password", "The password is required (at most 256 characters)."));
        if (errors.Count > 0) return ProblemResults.Validation(errors);

        var userName = request.UserName!.Trim();
        if (!throttle.TryAcquire(userName, Address(http))) return TooManyAttempts();

        var check = await accounts.CheckPasswordAsync(userName, request.Password!, Address(http), cancellationToken);
        if (!check.Succeeded || check.Account is null) return SignInFailed();
        if (check.Account.HasSecondFactor) return TypedResults.Ok(tokens.Challenge(check.Account));
        return TypedResults.Ok(tokens.Issue(await accounts.RecordSignInAsync(check.Account, Address(http), cancellationToken)));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> SecondFactorSignIn(
        SecondFactorSignInRequest request, HttpContext http, Accounts accounts, SignInThrottle throttle, SessionTokens tokens, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Challenge) || string.IsNullOrEmpty(request.Code) || request.Code.Length > 16)
        {
            return ProblemResults.Validation(FieldErrors.Of("code", Problem.TotpCodeFormat("The challenge and the 6-digit code are required.")));
        }

        if (tokens.ReadChallenge(request.Challenge) is not { } challenge) return SignInFailed();
        var (userName, stamp) = challenge;
        if (!throttle.TryAcquire(userName, Address(http))) return TooManyAttempts();
        var account = await accounts.CheckSecondFactorAsync(userName, stamp, request.Code, Address(http), cancellationToken);
        if (account is null) return SignInFailed();
        return TypedResults.Ok(tokens.Issue(await accounts.RecordSignInAsync(account, Address(http), cancellationToken)));
    }

    /// <summary>Ends this account's sessions elsewhere after a change: the cache forgets it and its hub connections here close now.</summary>
    private static async Task EndOtherSessionsAsync(HttpContext http, string userName)
    {
        http.RequestServices.GetRequiredService<ActiveAccounts>().Forget(userName);
        await http.RequestServices.GetRequiredService<HubSessions>().SweepAsync(userName, http.RequestAborted);
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> ChangePassword(
        ChangePasswordRequest request, HttpContext http, Accounts accounts, SessionTokens tokens, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        var errors = new FieldErrors();
        accounts.ValidatePassword(errors, request.NewPassword, user.UserName, "newPassword");
        if (errors.Count == 0 && request.NewPassword == request.CurrentPassword) errors.Set("newPassword", Problem.PasswordUnchanged());
        if (string.IsNullOrEmpty(request.CurrentPassword) || request.CurrentPassword.Length > PasswordPolicy.MaximumLength) errors.Set("currentPassword", Problem.Required("currentPassword", "The current password is required."));
        if (errors.Count > 0) return ProblemResults.Validation(errors);

        // The current password is checked like a sign-in (counted, locked alike): a stolen token does not guess it freely.
        var check = await accounts.CheckPasswordAsync(user.UserName, request.CurrentPassword!, Address(http), ct);
        if (!check.Succeeded) return ProblemResults.Validation(FieldErrors.Of("currentPassword", Problem.PasswordWrong("The current password is wrong (or the account cannot sign in now).")));

        await accounts.SetPasswordAsync(user.Audit, user.UserName, request.NewPassword!, ct, "password-changed");
        await EndOtherSessionsAsync(http, user.UserName);
        return TypedResults.Ok(tokens.Issue((await accounts.FindAsync(user.UserName, ct))!));
    }

    private static async Task<Results<Ok<SecondFactorStatus>, ProblemHttpResult>> SecondFactorState(HttpContext http, Accounts accounts, CancellationToken ct)
    {
        var account = await accounts.FindAsync(CurrentUser.From(http).UserName, ct);
        if (account is null) return SignInFailed();
        return TypedResults.Ok(new SecondFactorStatus(account.HasSecondFactor, accounts.RequiresSecondFactor(account), account.TotpPendingSecret is not null));
    }

    private static async Task<Results<Ok<SecondFactorEnrolment>, ProblemHttpResult>> EnrolSecondFactor(HttpContext http, Accounts accounts, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        var secret = await accounts.BeginSecondFactorAsync(user.UserName, ct);
        if (secret is null)
        {
            return ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", Problem.SecondFactorEnrolled());
        }

        return TypedResults.Ok(new SecondFactorEnrolment(Base32.Encode(secret), Totp.Uri("Whistle", user.UserName, secret)));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> ConfirmSecondFactor(
        SecondFactorCodeRequest request, HttpContext http, Accounts accounts, SessionTokens tokens, CancellationToken ct)
    {
        if (request.Code is not { Length: 6 } code || !code.All(char.IsAsciiDigit))
        {
            return ProblemResults.Validation(FieldErrors.Of("code", Problem.TotpCodeFormat("The code is the 6 digits the authenticator shows.")));
        }

        var user = CurrentUser.From(http);
        var account = await accounts.FindAsync(user.UserName, ct);
        if (account is null) return SignInFailed();
        if (account.HasSecondFactor || account.TotpPendingSecret is null)
        {
            return ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", Problem.SecondFactorNothingToConfirm());
        }

        if (!await accounts.ConfirmSecondFactorAsync(user.Audit, account, request.Code, ct))
        {
            return ProblemResults.Validation(FieldErrors.Of("code", Problem.TotpCodeWrong()));
        }

        await EndOtherSessionsAsync(http, user.UserName);
        return TypedResults.Ok(tokens.Issue((await accounts.FindAsync(user.UserName, ct))!));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> DisableSecondFactor(
        SecondFactorPasswordRequest request, HttpContext http, Accounts accounts, SessionTokens tokens, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        var account = await accounts.FindAsync(user.UserName, ct);
        if (account is null) return SignInFailed();
        if (!account.HasSecondFactor) return ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", Problem.SecondFactorNone());
        if (accounts.RequiresSecondFactor(account))
        {
            return ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", Problem.SecondFactorRequiredByRole());
        }

        if (string.IsNullOrEmpty(request.Password) || request.Password.Length > PasswordPolicy.MaximumLength
            || !(await accounts.CheckPasswordAsync(user.UserName, request.Password, Address(http), ct)).Succeeded)
        {
            return ProblemResults.Validation(FieldErrors.Of("password", Problem.PasswordWrong("The password is wrong (or the account cannot sign in now).")));
        }

        await accounts.DisableSecondFactorAsync(user.Audit, user.UserName, ct);
        await EndOtherSessionsAsync(http, user.UserName);
        return TypedResults.Ok(tokens.Issue((await accounts.FindAsync(user.UserName, ct))!));
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
