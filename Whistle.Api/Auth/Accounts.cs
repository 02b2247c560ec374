using Dapper;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Storage;

namespace Whistle.Api.Auth;

public sealed record AccountRow
{
    public string UserName { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public string Role { get; init; } = "";
    public string OrgId { get; init; } = "";
    public string PasswordHash { get; init; } = "";
    public bool IsDemo { get; init; }
    public bool Disabled { get; init; }
    public int FailedSignIns { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public string? CreatedBy { get; init; }
}

public enum SignInOutcome
{
    Succeeded,
    Failed,
    LockedOut,
}

/// <summary>Accounts: sign-in with lockout after failed attempts, and what supervisors do with accounts.</summary>
public sealed class Accounts(WhistleDatabase database, IOptions<AuthOptions> options, TimeProvider time)
{
    private static readonly PasswordHasher<AccountRow> Hasher = new();

    // Verified when the account does not exist, so that a wrong name costs as long as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(null!, "not-a-password");

    private const string Columns = """
        user_name AS UserName, display_name AS DisplayName, role, org_id AS OrgId, password_hash AS PasswordHash, is_demo AS IsDemo,
        disabled, failed_sign_ins AS FailedSignIns, locked_until AS LockedUntil, created_at AS CreatedAt, created_by AS CreatedBy
        """;

    private const string SelectAccountSql = $"SELECT {Columns} FROM users WHERE user_name = @UserName;";

    private const string ListAccountsSql = $"SELECT {Columns} FROM users ORDER BY role, org_id, user_name;";

    private const string FailedSignInSql = """
        UPDATE users SET failed_sign_ins = failed_sign_ins + 1,
            locked_until = CASE WHEN failed_sign_ins + 1 >= @Threshold THEN @LockedUntil ELSE locked_until END
        WHERE user_name = @UserName;
        """;

    private const string SucceededSignInSql = "UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE user_name = @UserName;";

    private const string InsertAccountSql = """
        INSERT INTO users (user_name, display_name, role, org_id, password_hash, is_demo, disabled, failed_sign_ins, created_at, created_by)
        VALUES (@UserName, @DisplayName, @Role, @OrgId, @PasswordHash, 0, 0, 0, @CreatedAt, @CreatedBy);
        """;

    private const string SetDisabledSql = "UPDATE users SET disabled = @Disabled, failed_sign_ins = 0, locked_until = NULL WHERE user_name = @UserName;";

    private const string SetPasswordSql = "UPDATE users SET password_hash = @PasswordHash, failed_sign_ins = 0, locked_until = NULL WHERE user_name = @UserName;";

    public async Task<(SignInOutcome Outcome, AccountRow? Account)> SignInAsync(string userName, string password, string? remoteAddress, CancellationToken ct)
    {
        var settings = options.Value;
        return await database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                var account = await unit.Connection.QuerySingleOrDefaultAsync<AccountRow>(SelectAccountSql, new { UserName = userName }, unit.Transaction);
                var verified = Hasher.VerifyHashedPassword(account!, account?.PasswordHash ?? DummyHash, password) != PasswordVerificationResult.Failed;
                var actor = new AuditActor(userName, account?.DisplayName ?? userName, remoteAddress);
                if (account is null)
                {
                    await AuditTrail.WriteAsync(unit, actor, "account", userName, "sign-in-failed", null, new { Reason = "unknown account" }, now);
                    unit.Complete();
                    return (SignInOutcome.Failed, (AccountRow?)null);
                }

                if (account.LockedUntil is { } until && until > now)
                {
                    await AuditTrail.WriteAsync(unit, actor, "account", userName, "sign-in-refused", null, new { Reason = "locked", LockedUntil = until }, now);
                    unit.Complete();
                    return (SignInOutcome.LockedOut, account);
                }

                if (!verified || account.Disabled)
                {
                    await unit.Connection.ExecuteAsync(
                        FailedSignInSql, new { UserName = userName, Threshold = settings.LockoutThreshold, LockedUntil = now + settings.LockoutDuration }, unit.Transaction);
                    var lockedNow = account.FailedSignIns + 1 >= settings.LockoutThreshold;
                    await AuditTrail.WriteAsync(unit, actor, "account", userName, lockedNow ? "locked-out" : "sign-in-failed", null, new { Reason = account.Disabled ? "disabled" : "wrong password" }, now);
                    unit.Complete();
                    return (SignInOutcome.Failed, account);
                }

                await unit.Connection.ExecuteAsync(SucceededSignInSql, new { UserName = userName }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, "signed-in", null, null, now);
                unit.Complete();
                return (SignInOutcome.Succeeded, account);
            },
            ct);
    }

    public Task<IReadOnlyList<AccountRow>> ListAsync(CancellationToken ct) =>
        database.ReadAsync(async c => (IReadOnlyList<AccountRow>)(await c.QueryAsync<AccountRow>(ListAccountsSql)).ToList(), ct);

    public Task<AccountRow?> FindAsync(string userName, CancellationToken ct) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<AccountRow>(SelectAccountSql, new { UserName = userName }), ct);

    public Dictionary<string, string[]> Validate(CountyCatalog catalog, string? userName, string? displayName, string? role, string? orgId, string? password)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(userName) || userName.Length > 100 || !userName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            errors["userName"] = ["A user name is 1–100 ASCII letters, digits, '.', '-' or '_'."];
        if (string.IsNullOrWhiteSpace(displayName) || displayName.Trim().Length > 200) errors["displayName"] = ["The display name is required (at most 200 characters)."];
        else Whistles.WhistleValidation.Text(errors, "displayName", displayName, 200, required: true); // control characters (issue 11)
        if (role is null || !Roles.All.Contains(role)) errors["role"] = [$"The role is one of {string.Join(", ", Roles.All)}."];
        else if (orgId is null || catalog.OrgName(role, orgId) is null) errors["orgId"] = ["No such organisation for that role."];
        ValidatePassword(errors, password);
        return errors;
    }

    public void ValidatePassword(Dictionary<string, string[]> errors, string? password)
    {
        var min = options.Value.MinimumPasswordLength;
        if (password is null || password.Length < min || password.Length > 256) errors["password"] = [$"A password has at least {min} characters."];
    }

    public async Task CreateAsync(AuditActor actor, string userName, string displayName, string role, string orgId, string password, CancellationToken ct) =>
        await database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                await unit.Connection.ExecuteAsync(
                    InsertAccountSql,
                    new { UserName = userName, DisplayName = displayName.Trim(), Role = role, OrgId = orgId, PasswordHash = Hasher.HashPassword(null!, password), CreatedAt = now, CreatedBy = actor.UserName },
                    unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, "created", null, new { DisplayName = displayName.Trim(), Role = role, OrgId = orgId }, now);
                unit.Complete();
                return 0;
            },
            ct);

    public async Task SetDisabledAsync(AuditActor actor, string userName, bool disabled, CancellationToken ct) =>
        await database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(SetDisabledSql, new { UserName = userName, Disabled = disabled }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, disabled ? "disabled" : "enabled", new { Disabled = !disabled }, new { Disabled = disabled }, time.GetUtcNow());
                unit.Complete();
                return 0;
            },
            ct);

    public async Task SetPasswordAsync(AuditActor actor, string userName, string password, CancellationToken ct) =>
        await database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(SetPasswordSql, new { UserName = userName, PasswordHash = Hasher.HashPassword(null!, password) }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, "password-set", null, null, time.GetUtcNow());
                unit.Complete();
                return 0;
            },
            ct);
}
