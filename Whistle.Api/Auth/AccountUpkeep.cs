using Whistle.Core.Problems;
using Whistle.Core.Accounts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;

namespace Whistle.Api.Auth;

public sealed record CreateAccountRequest(string? UserName, string? DisplayName, string? Role, string? OrgId, string? Password);

public sealed record SetPasswordRequest(string? Password);

public sealed record SetRoleRequest(string? Role, string? OrgId);

/// <summary>
/// The security administrator's (安全管理员) rules for keeping accounts (三员分立, issue 11): business accounts only (an
/// administrator's account is created and reset from the command line on the server); never the caller's own account's
/// password, second factor or role (those are changed under <c>/api/auth</c>), nor its disabling. Each command answers
/// the account as it now is, or why not; the writes are <see cref="AccountStore"/>'s, through <see cref="Accounts"/>.
/// </summary>
public sealed class AccountUpkeep(Accounts accounts, CountyCatalogHolder county)
{
    public async Task<CommandResult<AccountRow>> CreateAsync(Caller caller, CreateAccountRequest request, CancellationToken ct)
    {
        var errors = accounts.Validate(county.Catalog, request.UserName, request.DisplayName, request.Role, request.OrgId, request.Password);
        BusinessRoleOnly(request.Role, errors);
        if (errors.Count == 0 && await accounts.FindAsync(request.UserName!, ct) is not null)
        {
            return new CommandResult<AccountRow>.Conflict(Problem.UserNameTaken());
        }

        if (errors.Count > 0) return new CommandResult<AccountRow>.Invalid(errors);
        await accounts.CreateAsync(caller.Audit, request.UserName!, request.DisplayName!, request.Role!, request.OrgId!, request.Password!, ct);
        return new CommandResult<AccountRow>.Success((await accounts.FindAsync(request.UserName!, ct))!);
    }

    public async Task<CommandResult<string>> SetDisabledAsync(Caller caller, string userName, bool disabled, CancellationToken ct)
    {
        if (await accounts.FindAsync(userName, ct) is null) return new CommandResult<string>.NotFound();
        if (userName == caller.UserName) return new CommandResult<string>.Conflict(Problem.OwnAccount());
        await accounts.SetDisabledAsync(caller.Audit, userName, disabled, ct);
        return new CommandResult<string>.Success(userName);
    }

    public async Task<CommandResult<string>> SetPasswordAsync(Caller caller, string userName, SetPasswordRequest request, CancellationToken ct)
    {
        if (await accounts.FindAsync(userName, ct) is not { } target) return new CommandResult<string>.NotFound();
        if (KeptElsewhere(caller, target) is { } kept) return kept;
        var errors = new FieldErrors();
        accounts.ValidatePassword(errors, request.Password, userName);
        if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
        await accounts.SetPasswordAsync(caller.Audit, userName, request.Password!, ct);
        return new CommandResult<string>.Success(userName);
    }

    /// <summary>Removes an account's second factor (a lost phone); it enrols again at its next sign-in if its role requires one.</summary>
    public async Task<CommandResult<string>> DisableSecondFactorAsync(Caller caller, string userName, CancellationToken ct)
    {
        if (await accounts.FindAsync(userName, ct) is not { } target) return new CommandResult<string>.NotFound();
        if (KeptElsewhere(caller, target) is { } kept) return kept;
        await accounts.DisableSecondFactorAsync(caller.Audit, userName, ct);
        return new CommandResult<string>.Success(userName);
    }

    /// <summary>Lifts an account's locks (for everyone and per address) before they run out.</summary>
    public async Task<CommandResult<string>> UnlockAsync(Caller caller, string userName, CancellationToken ct)
    {
        if (await accounts.FindAsync(userName, ct) is null) return new CommandResult<string>.NotFound();
        await accounts.UnlockAsync(caller.Audit, userName, ct);
        return new CommandResult<string>.Success(userName);
    }

    /// <summary>
    /// Gives a business account another business role or organisation (one role, one organisation: the body names one of
    /// each). Never to or from an administrator's role, never the caller's own. Its tokens end: they carry the old role.
    /// </summary>
    public async Task<CommandResult<AccountRow>> SetRoleAsync(Caller caller, string userName, SetRoleRequest request, CancellationToken ct)
    {
        if (await accounts.FindAsync(userName, ct) is not { } target) return new CommandResult<AccountRow>.NotFound();
        if (KeptElsewhere(caller, target) is { } kept) return new CommandResult<AccountRow>.Forbidden(kept.Problem);
        var errors = BusinessRoleOnly(request.Role);
        if (errors.Count == 0)
        {
            if (request.Role is null || !Roles.Business.Contains(request.Role)) errors.Set("role", Problem.OneOf("role", Roles.Business, $"The role is one of {string.Join(", ", Roles.Business)}."));
            else if (request.OrgId is null || county.Catalog.OrgName(request.Role, request.OrgId) is null) errors.Set("orgId", Problem.Unknown("orgId", request.OrgId, "No such organisation for that role."));
        }

        if (errors.Count > 0) return new CommandResult<AccountRow>.Invalid(errors);
        if (!await accounts.SetRoleAsync(caller.Audit, target, request.Role!, request.OrgId!, ct))
        {
            return new CommandResult<AccountRow>.Conflict(Problem.AccountChanged());
        }

        return new CommandResult<AccountRow>.Success((await accounts.FindAsync(userName, ct))!);
    }

    /// <summary>
    /// Changes that take over an account (its password, its second factor, its role) are refused for an administrator's
    /// account and for the caller's own: those are kept from the command line, or by the account itself
    /// (<c>/api/auth/password</c>, <c>/api/auth/second-factor</c>).
    /// </summary>
    private static CommandResult<string>.Forbidden? KeptElsewhere(Caller caller, AccountRow target) =>
        Roles.IsAdministrator(target.Role)
            ? new(Problem.AdministratorAccount())
            : target.UserName == caller.UserName
                ? new(Problem.OwnAccountElsewhere())
                : null;

    private static FieldErrors BusinessRoleOnly(string? role, FieldErrors? errors = null)
    {
        errors ??= new FieldErrors();
        if (Roles.IsAdministrator(role))
        {
            errors.Set("role", Problem.AdministratorRole("An administrator's account (sysadmin, secadmin, auditadmin) is created from the command line on the server: create-user."));
        }

        return errors;
    }
}
