using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Core.Accounts;
using Whistle.Api.Hosting;
using Whistle.Api.Push;
using Whistle.Api.Whistles;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;

namespace Whistle.Api.Auth;

public sealed record AccountDto(string UserName, string DisplayName, string Role, string OrgId, string? OrgName, bool Disabled, bool LockedOut, bool IsDemo, DateTimeOffset? CreatedAt, string? CreatedBy, bool SecondFactor);

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
        api.MapPost("/{userName}/disable", (string userName, HttpContext http, AccountUpkeep upkeep, CancellationToken ct) => SetDisabled(userName, true, http, upkeep, ct))
            .WithName("DisableAccount").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{userName}/enable", (string userName, HttpContext http, AccountUpkeep upkeep, CancellationToken ct) => SetDisabled(userName, false, http, upkeep, ct))
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
        CreateAccountRequest request, HttpContext http, AccountUpkeep upkeep, CountyCatalogHolder county, TimeProvider time, CancellationToken ct) =>
        await upkeep.CreateAsync(CurrentUser.From(http), request, ct) switch
        {
            CommandResult<AccountRow>.Success s => TypedResults.Created($"/api/users/{s.Value.UserName}", Dto(s.Value, county, time)),
            CommandResult<AccountRow>.Invalid i => ProblemResults.Validation(i.Errors),
            var problem => Problem(problem),
        };

    private static async Task<Results<NoContent, ProblemHttpResult>> SetDisabled(string userName, bool disabled, HttpContext http, AccountUpkeep upkeep, CancellationToken ct) =>
        await upkeep.SetDisabledAsync(CurrentUser.From(http), userName, disabled, ct) switch
        {
            CommandResult<string>.Success => await EndSessionsAsync(http, userName),
            var problem => Problem(problem),
        };

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetPassword(
        string userName, SetPasswordRequest request, HttpContext http, AccountUpkeep upkeep, CancellationToken ct) =>
        await upkeep.SetPasswordAsync(CurrentUser.From(http), userName, request, ct) switch
        {
            CommandResult<string>.Success => await EndSessionsAsync(http, userName),
            CommandResult<string>.Invalid i => ProblemResults.Validation(i.Errors),
            var problem => Problem(problem),
        };

    /// <summary>The security administrator removes an account's second factor (a lost phone); it enrols again at its next sign-in if its role requires one.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> DisableSecondFactor(string userName, HttpContext http, AccountUpkeep upkeep, CancellationToken ct) =>
        await upkeep.DisableSecondFactorAsync(CurrentUser.From(http), userName, ct) switch
        {
            CommandResult<string>.Success => await EndSessionsAsync(http, userName),
            var problem => Problem(problem),
        };

    /// <summary>Lifts an account's locks (for everyone and per address) before they run out.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> Unlock(string userName, HttpContext http, AccountUpkeep upkeep, CancellationToken ct) =>
        await upkeep.UnlockAsync(CurrentUser.From(http), userName, ct) switch
        {
            CommandResult<string>.Success => TypedResults.NoContent(),
            var problem => Problem(problem),
        };

    /// <summary>Gives a business account another business role or organisation; its tokens end: they carry the old role.</summary>
    private static async Task<Results<Ok<AccountDto>, ValidationProblem, ProblemHttpResult>> SetRole(
        string userName, SetRoleRequest request, HttpContext http, AccountUpkeep upkeep, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        switch (await upkeep.SetRoleAsync(CurrentUser.From(http), userName, request, ct))
        {
            case CommandResult<AccountRow>.Success s:
                await EndSessionsAsync(http, userName);
                return TypedResults.Ok(Dto(s.Value, county, time));
            case CommandResult<AccountRow>.Invalid i:
                return ProblemResults.Validation(i.Errors);
            case var problem:
                return Problem(problem);
        }
    }

    /// <summary>The problem of an account command: 404, 403, 409 (titled Conflict).</summary>
    private static ProblemHttpResult Problem<T>(CommandResult<T> result) => result switch
    {
        CommandResult<T>.NotFound => CommandResults.NotFoundProblem(),
        CommandResult<T>.Forbidden f => ProblemResults.Forbidden(f.Problem),
        CommandResult<T>.Conflict c => ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", c.Problem),
        _ => throw new InvalidOperationException($"{result.GetType().Name} is not a problem here."),
    };

    /// <summary>
    /// The account changed (new security stamp): this instance forgets what it knew and closes its hub connections now;
    /// other instances follow within Whistle:Auth:AccountCheckInterval.
    /// </summary>
    private static async Task<NoContent> EndSessionsAsync(HttpContext http, string userName)
    {
        http.RequestServices.GetRequiredService<ActiveAccounts>().Forget(userName);
        await http.RequestServices.GetRequiredService<HubSessions>().SweepAsync(userName, http.RequestAborted);
        return TypedResults.NoContent();
    }
}
