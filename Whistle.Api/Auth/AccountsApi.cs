using Whistle.Core.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Hosting;
using Whistle.Api.Push;
using Whistle.Api.Whistles;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;

namespace Whistle.Api.Auth;

public sealed record AccountDto(string UserName, string DisplayName, string Role, string OrgId, string? OrgName, bool Disabled, bool LockedOut, bool IsDemo, DateTimeOffset? CreatedAt, string? CreatedBy, bool SecondFactor);

public sealed record CreateAccountRequest(string? UserName, string? DisplayName, string? Role, string? OrgId, string? Password);

public sealed record SetPasswordRequest(string? Password);

public sealed record SetRoleRequest(string? Role, string? OrgId);

/// <summary>
/// The security administrator (安全管理员) keeps the accounts (三员分立, issue 11): creates business accounts, sets their
/// role, password and second factor; disables, enables and unlocks any account but its own. An account has exactly one
/// role. The administrators' accounts — the system, security and audit administrators — are created and reset from the
/// command line on the server (<c>create-user</c>, <c>disable-second-factor</c>; see the README), never over the API, so
/// that no administrator can give itself or another account a second administrator's powers, nor take over one.
/// </summary>
public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").RequireAuthorization(RolePolicies.SecAdmin).WithTags("Accounts")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/", List).WithName("ListAccounts");
        api.MapPost("/", Create).WithName("CreateAccount")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapPost("/{userName}/disable", (string userName, HttpContext http, Accounts accounts, CancellationToken ct) => SetDisabled(userName, true, http, accounts, ct))
            .WithName("DisableAccount").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{userName}/enable", (string userName, HttpContext http, Accounts accounts, CancellationToken ct) => SetDisabled(userName, false, http, accounts, ct))
            .WithName("EnableAccount").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{userName}/password", SetPassword).WithName("SetAccountPassword")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapPost("/{userName}/second-factor/disable", DisableSecondFactor).WithName("DisableAccountSecondFactor")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{userName}/unlock", Unlock).WithName("UnlockAccount").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{userName}/role", SetRole).WithName("SetAccountRole")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    /// <summary>
    /// Changes that take over an account (its password, its second factor, its role) are refused for an administrator's
    /// account and for the caller's own: those are kept from the command line, or by the account itself
    /// (<c>/api/auth/password</c>, <c>/api/auth/second-factor</c>).
    /// </summary>
    private static ProblemHttpResult? KeptElsewhere(CurrentUser user, AccountRow target) =>
        Roles.IsAdministrator(target.Role)
            ? ProblemResults.Forbidden(Problems.AdministratorAccount())
            : target.UserName == user.UserName
                ? ProblemResults.Forbidden(Problems.OwnAccountElsewhere())
                : null;

    private static FieldErrors BusinessRoleOnly(string? role, FieldErrors? errors = null)
    {
        errors ??= new FieldErrors();
        if (Roles.IsAdministrator(role))
        {
            errors.Set("role", Problems.AdministratorRole("An administrator's account (sysadmin, secadmin, auditadmin) is created from the command line on the server: create-user."));
        }

        return errors;
    }

    /// <summary>An account as the list shows it; locked: for everyone, or (<paramref name="lockedSomewhere"/>) for some client address.</summary>
    private static AccountDto Dto(AccountRow a, CountyCatalogHolder county, TimeProvider time, bool lockedSomewhere = false) =>
        new(a.UserName, a.DisplayName, a.Role, a.OrgId, county.Catalog.OrgName(a.Role, a.OrgId), a.Disabled, lockedSomewhere || a.LockedUntil > time.GetUtcNow(), a.IsDemo, a.CreatedAt, a.CreatedBy, a.HasSecondFactor);

    private static async Task<Results<Ok<IReadOnlyList<AccountDto>>, ProblemHttpResult>> List(HttpContext http, Accounts accounts, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var locked = await accounts.LockedAtSomeAddressAsync(ct);
        IReadOnlyList<AccountDto> list = (await accounts.ListAsync(ct)).Select(a => Dto(a, county, time, locked.Contains(a.UserName))).ToList();
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Created<AccountDto>, ValidationProblem, ProblemHttpResult>> Create(
        CreateAccountRequest request, HttpContext http, Accounts accounts, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        var errors = accounts.Validate(county.Catalog, request.UserName, request.DisplayName, request.Role, request.OrgId, request.Password);
        BusinessRoleOnly(request.Role, errors);
        if (errors.Count == 0 && await accounts.FindAsync(request.UserName!, ct) is not null)
        {
            return ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", Problems.UserNameTaken());
        }

        if (errors.Count > 0) return ProblemResults.Validation(errors);
        await accounts.CreateAsync(user.Audit, request.UserName!, request.DisplayName!, request.Role!, request.OrgId!, request.Password!, ct);
        var created = (await accounts.FindAsync(request.UserName!, ct))!;
        return TypedResults.Created($"/api/users/{created.UserName}", Dto(created, county, time));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SetDisabled(string userName, bool disabled, HttpContext http, Accounts accounts, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (await accounts.FindAsync(userName, ct) is null) return CommandResults.NotFoundProblem();
        if (userName == user.UserName)
        {
            return ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", Problems.OwnAccount());
        }

        await accounts.SetDisabledAsync(user.Audit, userName, disabled, ct);
        await EndSessionsAsync(http, userName);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetPassword(string userName, SetPasswordRequest request, HttpContext http, Accounts accounts, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (await accounts.FindAsync(userName, ct) is not { } target) return CommandResults.NotFoundProblem();
        if (KeptElsewhere(user, target) is { } kept) return kept;
        var errors = new FieldErrors();
        accounts.ValidatePassword(errors, request.Password, userName);
        if (errors.Count > 0) return ProblemResults.Validation(errors);
        await accounts.SetPasswordAsync(user.Audit, userName, request.Password!, ct);
        await EndSessionsAsync(http, userName);
        return TypedResults.NoContent();
    }

    /// <summary>The security administrator removes an account's second factor (a lost phone); it enrols again at its next sign-in if its role requires one.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> DisableSecondFactor(string userName, HttpContext http, Accounts accounts, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (await accounts.FindAsync(userName, ct) is not { } target) return CommandResults.NotFoundProblem();
        if (KeptElsewhere(user, target) is { } kept) return kept;
        await accounts.DisableSecondFactorAsync(user.Audit, userName, ct);
        await EndSessionsAsync(http, userName);
        return TypedResults.NoContent();
    }

    /// <summary>Lifts an account's locks (for everyone and per address) before they run out.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> Unlock(string userName, HttpContext http, Accounts accounts, CancellationToken ct)
    {
        if (await accounts.FindAsync(userName, ct) is null) return CommandResults.NotFoundProblem();
        await accounts.UnlockAsync(CurrentUser.From(http).Audit, userName, ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Gives a business account another business role or organisation (one role, one organisation: the body names one of
    /// each). Never to or from an administrator's role, never the caller's own. Its tokens end: they carry the old role.
    /// </summary>
    private static async Task<Results<Ok<AccountDto>, ValidationProblem, ProblemHttpResult>> SetRole(
        string userName, SetRoleRequest request, HttpContext http, Accounts accounts, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (await accounts.FindAsync(userName, ct) is not { } target) return CommandResults.NotFoundProblem();
        if (KeptElsewhere(user, target) is { } kept) return kept;
        var errors = BusinessRoleOnly(request.Role);
        if (errors.Count == 0)
        {
            if (request.Role is null || !Roles.Business.Contains(request.Role)) errors.Set("role", Problems.OneOf("role", Roles.Business, $"The role is one of {string.Join(", ", Roles.Business)}."));
            else if (request.OrgId is null || county.Catalog.OrgName(request.Role, request.OrgId) is null) errors.Set("orgId", Problems.Unknown("orgId", request.OrgId, "No such organisation for that role."));
        }

        if (errors.Count > 0) return ProblemResults.Validation(errors);
        if (!await accounts.SetRoleAsync(user.Audit, target, request.Role!, request.OrgId!, ct))
        {
            return ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", Problems.AccountChanged());
        }

        await EndSessionsAsync(http, userName);
        return TypedResults.Ok(Dto((await accounts.FindAsync(userName, ct))!, county, time));
    }

    /// <summary>
    /// The account changed (new security stamp): this instance forgets what it knew and closes its hub connections now;
    /// other instances follow within Whistle:Auth:AccountCheckInterval.
    /// </summary>
    private static async Task EndSessionsAsync(HttpContext http, string userName)
    {
        http.RequestServices.GetRequiredService<ActiveAccounts>().Forget(userName);
        await http.RequestServices.GetRequiredService<HubSessions>().SweepAsync(userName, http.RequestAborted);
    }
}
