using System.Security.Cryptography;
using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Core.Accounts;

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
    public DateTimeOffset? FailuresSince { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public string? CreatedBy { get; init; }
    public string SecurityStamp { get; init; } = "";
    public DateTimeOffset? PasswordChangedAt { get; init; }
    public string? TotpSecret { get; init; }
    public string? TotpPendingSecret { get; init; }
    public long TotpLastStep { get; init; }

    public bool HasSecondFactor => TotpSecret is not null;
}

/// <summary>Failed sign-ins of one account from one client address.</summary>
public sealed record AddressFailures
{
    public int Failures { get; init; }
    public DateTimeOffset LastFailureAt { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
}

/// <summary>When failed sign-ins lock an account: for one client address, and for every address (<c>Whistle:Auth</c>).</summary>
public sealed record LockoutSettings(int LockoutThreshold, TimeSpan LockoutDuration, int AccountLockoutThreshold, TimeSpan AccountLockoutWindow);

/// <summary>An account as the county file or the demo seeds it.</summary>
public sealed record SeededAccount(string UserName, string DisplayName, string Role, string OrgId, string PasswordHash);

/// <summary>
/// The one owner of the accounts: every write to <c>users</c> and <c>sign_in_failures</c> is here — sign-in outcomes
/// and lockout, accounts created, disabled, unlocked, moved, their passwords and second factors, and the accounts the
/// county file and the demo seed. Each change that a person makes is audited in its transaction, and each that ends an
/// account's sessions gives it a new security stamp. The Api's <c>Accounts</c> keeps what is not storage: hashing,
/// the second factor's codes and secrets, the password rules.
/// </summary>
public sealed class AccountStore(WhistleDatabase database, TimeProvider time)
{
    public const string UnknownAddress = "unknown";

    private const string Columns = """
        user_name AS UserName, display_name AS DisplayName, role, org_id AS OrgId, password_hash AS PasswordHash, is_demo AS IsDemo,
        disabled, failed_sign_ins AS FailedSignIns, failures_since AS FailuresSince, locked_until AS LockedUntil, created_at AS CreatedAt,
        created_by AS CreatedBy, security_stamp AS SecurityStamp, password_changed_at AS PasswordChangedAt, totp_secret AS TotpSecret,
        totp_pending_secret AS TotpPendingSecret, totp_last_step AS TotpLastStep
        """;

    private const string SelectAccountSql = $"SELECT {Columns} FROM users WHERE user_name = @UserName;";

    private static string SelectAccountForUpdateSql(SqlDialect dialect) => dialect.SelectForUpdate(Columns, "users", "user_name = @UserName", evenIfAbsent: true) + ";";

    private const string ListAccountsSql = $"SELECT {Columns} FROM users ORDER BY role, org_id, user_name;";

    private const string SelectAddressSql = """
        SELECT failures, last_failure_at AS LastFailureAt, locked_until AS LockedUntil FROM sign_in_failures
        WHERE user_name = @UserName AND remote_address = @Address;
        """;

    private static string SelectAddressForUpdateSql(SqlDialect dialect) =>
        dialect.SelectForUpdate(
            "failures, last_failure_at AS LastFailureAt, locked_until AS LockedUntil",
            "sign_in_failures",
            "user_name = @UserName AND remote_address = @Address",
            evenIfAbsent: true) + ";";

    private static string UpsertAddressSql(SqlDialect dialect) =>
        dialect.Upsert(
            "sign_in_failures",
            "user_name, remote_address, failures, last_failure_at, locked_until",
            "@UserName, @Address, @Failures, @At, @LockedUntil",
            "user_name, remote_address",
            "failures = @Failures, last_failure_at = @At, locked_until = @LockedUntil") + ";";

    // Rows of this account whose last failure is older than the account-wide window and that lock nothing any more.
    private const string ForgetOldAddressesSql = """
        DELETE FROM sign_in_failures WHERE user_name = @UserName AND last_failure_at < @Before AND (locked_until IS NULL OR locked_until < @Now);
        """;

    private const string ForgetAddressSql = "DELETE FROM sign_in_failures WHERE user_name = @UserName AND remote_address = @Address;";

    private const string ForgetAllAddressesSql = "DELETE FROM sign_in_failures WHERE user_name = @UserName;";

    private const string AccountFailureSql = """
        UPDATE users SET failed_sign_ins = @Failures, failures_since = @Since, locked_until = @LockedUntil WHERE user_name = @UserName;
        """;

    // A token always carries a stamp: an account that has none yet (seeded) gets one at its first sign-in.
    private const string EnsureStampSql = "UPDATE users SET security_stamp = @Stamp WHERE user_name = @UserName AND security_stamp = '';";

    private const string InsertAccountSql = """
        INSERT INTO users (user_name, display_name, role, org_id, password_hash, is_demo, disabled, failed_sign_ins, created_at, created_by, security_stamp, password_changed_at)
        VALUES (@UserName, @DisplayName, @Role, @OrgId, @PasswordHash, 0, 0, 0, @CreatedAt, @CreatedBy, @Stamp, @CreatedAt);
        """;

    private const string SetDisabledSql = """
        UPDATE users SET disabled = @Disabled, failed_sign_ins = 0, failures_since = NULL, locked_until = NULL, security_stamp = @Stamp WHERE user_name = @UserName;
        """;

    private const string SetPasswordSql = """
        UPDATE users SET password_hash = @PasswordHash, password_changed_at = @At, failed_sign_ins = 0, failures_since = NULL, locked_until = NULL, security_stamp = @Stamp
        WHERE user_name = @UserName;
        """;

    private const string LockedAtSomeAddressSql = "SELECT DISTINCT user_name FROM sign_in_failures WHERE locked_until > @Now;";

    private const string UnlockSql = "UPDATE users SET failed_sign_ins = 0, failures_since = NULL, locked_until = NULL WHERE user_name = @UserName;";

    // Only between business roles, and only from the role the caller saw (administrators' roles are set once, when created).
    private const string SetRoleSql = """
        UPDATE users SET role = @Role, org_id = @OrgId, security_stamp = @Stamp WHERE user_name = @UserName AND role = @OldRole AND org_id = @OldOrgId;
        """;

    private const string SetPendingTotpSql = "UPDATE users SET totp_pending_secret = @Secret WHERE user_name = @UserName AND totp_secret IS NULL;";

    private const string ConfirmTotpSql = """
        UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = @Step, security_stamp = @Stamp
        WHERE user_name = @UserName AND totp_pending_secret = @Pending AND totp_secret IS NULL;
        """;

    private const string DisableTotpSql = """
        UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = 0, security_stamp = @Stamp WHERE user_name = @UserName;
        """;

    // Each code once: only a step later than the last one used is taken, also against a concurrent sign-in.
    private const string UseTotpStepSql = "UPDATE users SET totp_last_step = @Step WHERE user_name = @UserName AND totp_last_step < @Step AND totp_secret IS NOT NULL;";

    private const string UpsertSeededSql = """
        UPDATE users SET display_name = @DisplayName, role = @Role, org_id = @OrgId, password_hash = @PasswordHash, is_demo = @IsDemo WHERE user_name = @UserName;
        INSERT INTO users (user_name, display_name, role, org_id, password_hash, is_demo)
        SELECT @UserName, @DisplayName, @Role, @OrgId, @PasswordHash, @IsDemo WHERE NOT EXISTS (SELECT 1 FROM users WHERE user_name = @UserName);
        """;

    private const string InsertDemoSql = """
        INSERT INTO users (user_name, display_name, role, org_id, password_hash, is_demo)
        SELECT @UserName, @DisplayName, @Role, @OrgId, @PasswordHash, 1 WHERE NOT EXISTS (SELECT 1 FROM users WHERE user_name = @UserName);
        """;

    private const string DeleteDemoSql = "DELETE FROM users WHERE is_demo = 1;";

    /// <summary>A new security stamp: every token carries the stamp of its account, and ends when it changes.</summary>
    public static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    // ---- Reads ------------------------------------------------------------------------------------------------------

    public Task<AccountRow?> FindAsync(string userName, CancellationToken ct) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<AccountRow>(SelectAccountSql, new { UserName = userName }), ct);

    /// <summary>The account and its failures from this client address (null and null: no such account).</summary>
    public Task<(AccountRow? Account, AddressFailures? Failures)> FindWithFailuresAsync(string userName, string address, CancellationToken ct) =>
        database.ReadAsync(
            async c =>
            {
                var a = await c.QuerySingleOrDefaultAsync<AccountRow>(SelectAccountSql, new { UserName = userName });
                var f = a is null ? null : await c.QuerySingleOrDefaultAsync<AddressFailures>(SelectAddressSql, new { UserName = userName, Address = address });
                return (a, f);
            },
            ct);

    public Task<IReadOnlyList<AccountRow>> ListAsync(CancellationToken ct) =>
        database.ReadAsync(async c => (IReadOnlyList<AccountRow>)(await c.QueryAsync<AccountRow>(ListAccountsSql)).ToList(), ct);

    /// <summary>The accounts locked now for at least one client address.</summary>
    public Task<IReadOnlySet<string>> LockedAtSomeAddressAsync(CancellationToken ct) =>
        database.ReadAsync(async c => (IReadOnlySet<string>)(await c.QueryAsync<string>(LockedAtSomeAddressSql, new { Now = time.GetUtcNow() })).ToHashSet(StringComparer.Ordinal), ct);

    // ---- Signing in -------------------------------------------------------------------------------------------------

    /// <summary>
    /// A failed attempt (password or second-factor code): counted for this account from this address (which locks the
    /// account for this address after <see cref="LockoutSettings.LockoutThreshold"/> in a row) and for the account from
    /// everywhere (which locks it for everyone after <see cref="LockoutSettings.AccountLockoutThreshold"/> within
    /// <see cref="LockoutSettings.AccountLockoutWindow"/>), under the account's row lock. One short write, with its audit entry.
    /// </summary>
    public Task RecordFailureAsync(string userName, string address, string reason, LockoutSettings settings, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                var c = unit.Connection;
                var account = await c.QuerySingleOrDefaultAsync<AccountRow>(unit.Dialect.Sql(SelectAccountForUpdateSql), new { UserName = userName }, unit.Transaction);
                var action = "sign-in-failed";
                if (account is not null)
                {
                    var row = await c.QuerySingleOrDefaultAsync<AddressFailures>(
                        unit.Dialect.Sql(SelectAddressForUpdateSql), new { UserName = userName, Address = address }, unit.Transaction);
                    var restart = row is null || row.LockedUntil is { } ended && ended <= now;
                    var failures = restart ? 1 : row!.Failures + 1;
                    var addressLock = restart ? null : row!.LockedUntil;
                    if (addressLock is null && failures >= settings.LockoutThreshold)
                    {
                        addressLock = now + settings.LockoutDuration;
                        action = "locked-out";
                    }

                    await c.ExecuteAsync(
                        unit.Dialect.Sql(UpsertAddressSql),
                        new { UserName = userName, Address = address, Failures = failures, At = now, LockedUntil = addressLock },
                        unit.Transaction);

                    var windowOver = account.FailuresSince is not { } since || since <= now - settings.AccountLockoutWindow;
                    var accountFailures = windowOver ? 1 : account.FailedSignIns + 1;
                    var accountSince = windowOver ? now : account.FailuresSince;
                    var accountLock = account.LockedUntil > now ? account.LockedUntil : null;
                    if (accountLock is null && accountFailures >= settings.AccountLockoutThreshold)
                    {
                        accountLock = now + settings.LockoutDuration;
                        (accountFailures, accountSince) = (0, null);
                        action = "locked-out-everywhere";
                    }

                    await c.ExecuteAsync(AccountFailureSql, new { UserName = userName, Failures = accountFailures, Since = accountSince, LockedUntil = accountLock }, unit.Transaction);
                    await c.ExecuteAsync(ForgetOldAddressesSql, new { UserName = userName, Before = now - settings.AccountLockoutWindow, Now = now }, unit.Transaction);
                }

                var actor = new AuditActor(userName, account?.DisplayName ?? userName, address);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, action, null, new { Reason = reason }, now);
                unit.Complete();
                return 0;
            },
            ct);

    /// <summary>A completed sign-in: this address's failures are forgotten; the account has a stamp. Returns the account as it is now.</summary>
    public Task<AccountRow> RecordSignInAsync(AccountRow account, string address, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                var c = unit.Connection;
                await c.ExecuteAsync(ForgetAddressSql, new { account.UserName, Address = address }, unit.Transaction);
                await c.ExecuteAsync(EnsureStampSql, new { account.UserName, Stamp = NewStamp() }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, new AuditActor(account.UserName, account.DisplayName, address), "account", account.UserName, "signed-in", null, null, time.GetUtcNow());
                var now = await c.QuerySingleAsync<AccountRow>(SelectAccountSql, new { account.UserName }, unit.Transaction);
                unit.Complete();
                return now;
            },
            ct);

    /// <summary>Takes a second-factor code's time step once: false when this step (or a later one) was used already.</summary>
    public Task<bool> UseSecondFactorStepAsync(string userName, long step, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                var taken = await unit.Connection.ExecuteAsync(UseTotpStepSql, new { UserName = userName, Step = step }, unit.Transaction) == 1;
                unit.Complete();
                return taken;
            },
            ct);

    // ---- Upkeep of accounts -----------------------------------------------------------------------------------------

    /// <summary>Creates an account (its password hash computed by the caller, outside the transaction).</summary>
    public Task CreateAsync(AuditActor actor, string userName, string displayName, string role, string orgId, string passwordHash, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                await unit.Connection.ExecuteAsync(
                    InsertAccountSql,
                    new { UserName = userName, DisplayName = displayName, Role = role, OrgId = orgId, PasswordHash = passwordHash, CreatedAt = now, CreatedBy = actor.UserName, Stamp = NewStamp() },
                    unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, "created", null, new { DisplayName = displayName, Role = role, OrgId = orgId }, now);
                unit.Complete();
                return 0;
            },
            ct);

    /// <summary>Disables or enables an account; either way its tokens and hub connections end (a new security stamp).</summary>
    public Task SetDisabledAsync(AuditActor actor, string userName, bool disabled, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                // Booleans are bound as numbers: a 0/1 column on every database (bit, INTEGER, smallint).
                await unit.Connection.ExecuteAsync(SetDisabledSql, new { UserName = userName, Disabled = disabled ? 1 : 0, Stamp = NewStamp() }, unit.Transaction);
                await unit.Connection.ExecuteAsync(ForgetAllAddressesSql, new { UserName = userName }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, disabled ? "disabled" : "enabled", new { Disabled = !disabled }, new { Disabled = disabled }, time.GetUtcNow());
                unit.Complete();
                return 0;
            },
            ct);

    /// <summary>Sets a password hash (computed by the caller): a new stamp ends every token of the account; its locks are lifted.</summary>
    public Task SetPasswordAsync(AuditActor actor, string userName, string passwordHash, string action, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                await unit.Connection.ExecuteAsync(SetPasswordSql, new { UserName = userName, PasswordHash = passwordHash, At = now, Stamp = NewStamp() }, unit.Transaction);
                await unit.Connection.ExecuteAsync(ForgetAllAddressesSql, new { UserName = userName }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, action, null, null, now);
                unit.Complete();
                return 0;
            },
            ct);

    /// <summary>Lifts every lock of an account (for everyone and per address), with its audit entry.</summary>
    public Task UnlockAsync(AuditActor actor, string userName, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(UnlockSql, new { UserName = userName }, unit.Transaction);
                await unit.Connection.ExecuteAsync(ForgetAllAddressesSql, new { UserName = userName }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, "unlocked", null, null, time.GetUtcNow());
                unit.Complete();
                return 0;
            },
            ct);

    /// <summary>Moves an account to another role or organisation, from the one the caller saw; a new stamp ends its tokens. False when it changed meanwhile.</summary>
    public Task<bool> SetRoleAsync(AuditActor actor, AccountRow account, string role, string orgId, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                var n = await unit.Connection.ExecuteAsync(
                    SetRoleSql, new { account.UserName, Role = role, OrgId = orgId, Stamp = NewStamp(), OldRole = account.Role, OldOrgId = account.OrgId }, unit.Transaction);
                if (n == 1)
                {
                    await AuditTrail.WriteAsync(unit, actor, "account", account.UserName, "role-changed", new { account.Role, account.OrgId }, new { Role = role, OrgId = orgId }, time.GetUtcNow());
                    unit.Complete();
                }

                return n == 1;
            },
            ct);

    // ---- The second factor ------------------------------------------------------------------------------------------

    /// <summary>Keeps a new (protected) secret pending until a code from it confirms it; false when the account has a second factor already.</summary>
    public async Task<bool> SetPendingSecondFactorAsync(string userName, string protectedSecret, CancellationToken ct) =>
        await database.WriteAsync(
            async unit =>
            {
                var n = await unit.Connection.ExecuteAsync(SetPendingTotpSql, new { UserName = userName, Secret = protectedSecret }, unit.Transaction);
                unit.Complete();
                return n;
            },
            ct) == 1;

    /// <summary>The pending secret becomes the second factor (unless it changed meanwhile), from this code's step on; a new stamp.</summary>
    public Task<bool> ConfirmSecondFactorAsync(AuditActor actor, AccountRow account, long step, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                var n = await unit.Connection.ExecuteAsync(ConfirmTotpSql, new { account.UserName, Pending = account.TotpPendingSecret, Step = step, Stamp = NewStamp() }, unit.Transaction);
                if (n == 1) await AuditTrail.WriteAsync(unit, actor, "account", account.UserName, "second-factor-enrolled", null, new { Method = "totp" }, time.GetUtcNow());
                unit.Complete();
                return n == 1;
            },
            ct);

    /// <summary>Removes an account's second factor. Ends its tokens.</summary>
    public Task DisableSecondFactorAsync(AuditActor actor, string userName, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(DisableTotpSql, new { UserName = userName, Stamp = NewStamp() }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, "second-factor-disabled", null, null, time.GetUtcNow());
                unit.Complete();
                return 0;
            },
            ct);

    // ---- Accounts the county file and the demo seed (in the import's transaction) -----------------------------------

    /// <summary>The county file's accounts, written as the file says (the import runs only when the file changed).</summary>
    public static Task SeedAsync(UnitOfWork unit, IEnumerable<SeededAccount> accounts) =>
        unit.Connection.ExecuteAsync(UpsertSeededSql, accounts.Select(a => new { a.UserName, a.DisplayName, a.Role, a.OrgId, a.PasswordHash, IsDemo = 0 }), unit.Transaction);

    /// <summary>The demo accounts, each added unless it exists; or, when the demo is off, every demo account removed.</summary>
    public static Task SeedDemoAsync(UnitOfWork unit, IEnumerable<SeededAccount> accounts, bool enabled) =>
        enabled
            ? unit.Connection.ExecuteAsync(InsertDemoSql, accounts.Select(a => new { a.UserName, a.DisplayName, a.Role, a.OrgId, a.PasswordHash }), unit.Transaction)
            : unit.Connection.ExecuteAsync(DeleteDemoSql, transaction: unit.Transaction);
}
