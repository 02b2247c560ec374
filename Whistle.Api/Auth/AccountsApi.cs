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

/// <summary>Supervisors create and disable accounts (the first supervisor: <c>create-user</c>, see the README).</summary>
public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").RequireAuthorization().WithTags("Accounts")
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
        return app;
    }

    private static ProblemHttpResult? SupervisorOnly(Caller user) => user.Role == Roles.Supervisor
        ? null
        : TypedResults.Problem(title: "Forbidden", detail: "Only supervisors manage accounts.", statusCode: StatusCodes.Status403Forbidden);

    private static AccountDto Dto(AccountRow a, CountyCatalogHolder county, TimeProvider time) =>
        new(a.UserName, a.DisplayName, a.Role, a.OrgId, county.Catalog.OrgName(a.Role, a.OrgId), a.Disabled, a.LockedUntil > time.GetUtcNow(), a.IsDemo, a.CreatedAt, a.CreatedBy, a.HasSecondFactor);

    private static async Task<Results<Ok<IReadOnlyList<AccountDto>>, ProblemHttpResult>> List(HttpContext http, Accounts accounts, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        if (SupervisorOnly(CurrentUser.From(http)) is { } forbidden) return forbidden;
        IReadOnlyList<AccountDto> list = (await accounts.ListAsync(ct)).Select(a => Dto(a, county, time)).ToList();
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Created<AccountDto>, ValidationProblem, ProblemHttpResult>> Create(
        CreateAccountRequest request, HttpContext http, Accounts accounts, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (SupervisorOnly(user) is { } forbidden) return forbidden;
        var errors = accounts.Validate(county.Catalog, request.UserName, request.DisplayName, request.Role, request.OrgId, request.Password);
        if (errors.Count == 0 && await accounts.FindAsync(request.UserName!, ct) is not null)
        {
            return TypedResults.Problem(title: "Conflict", detail: "That user name is taken.", statusCode: StatusCodes.Status409Conflict);
        }

        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        await accounts.CreateAsync(user.Audit, request.UserName!, request.DisplayName!, request.Role!, request.OrgId!, request.Password!, ct);
        var created = (await accounts.FindAsync(request.UserName!, ct))!;
        return TypedResults.Created($"/api/users/{created.UserName}", Dto(created, county, time));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SetDisabled(string userName, bool disabled, HttpContext http, Accounts accounts, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (SupervisorOnly(user) is { } forbidden) return forbidden;
        if (await accounts.FindAsync(userName, ct) is null) return CommandResults.NotFoundProblem();
        if (disabled && userName == user.UserName)
        {
            return TypedResults.Problem(title: "Conflict", detail: "A supervisor cannot disable their own account.", statusCode: StatusCodes.Status409Conflict);
        }

        await accounts.SetDisabledAsync(user.Audit, userName, disabled, ct);
        await EndSessionsAsync(http, userName);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetPassword(string userName, SetPasswordRequest request, HttpContext http, Accounts accounts, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (SupervisorOnly(user) is { } forbidden) return forbidden;
        if (await accounts.FindAsync(userName, ct) is null) return CommandResults.NotFoundProblem();
        var errors = new Dictionary<string, string[]>();
        accounts.ValidatePassword(errors, request.Password, userName);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        await accounts.SetPasswordAsync(user.Audit, userName, request.Password!, ct);
        await EndSessionsAsync(http, userName);
        return TypedResults.NoContent();
    }

    /// <summary>A supervisor removes an account's second factor (a lost phone); it enrols again at its next sign-in if its role requires one.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> DisableSecondFactor(string userName, HttpContext http, Accounts accounts, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (SupervisorOnly(user) is { } forbidden) return forbidden;
        if (await accounts.FindAsync(userName, ct) is null) return CommandResults.NotFoundProblem();
        await accounts.DisableSecondFactorAsync(user.Audit, userName, ct);
        await EndSessionsAsync(http, userName);
        return TypedResults.NoContent();
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
