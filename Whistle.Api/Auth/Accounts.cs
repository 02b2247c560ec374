using Whistle.Core.Problems;
using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
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

/// <summary>The result of checking a user name and password: the account when they are right and it may sign in.</summary>
public sealed record PasswordCheck(bool Succeeded, AccountRow? Account);

/// <summary>
/// Accounts: sign-in (the password hash is computed outside any write transaction, then a short write records the
/// outcome), lockout per account and client address under a wider per-account ceiling, passwords, the security stamp
/// that every token carries, and the second factor's secret (protected at rest).
/// </summary>
public sealed class Accounts
{
    private readonly WhistleDatabase _database;
    private readonly IOptions<AuthOptions> _options;
    private readonly TimeProvider _time;
    private readonly IPasswordHasher<AccountRow> _hasher;
    private readonly IDataProtector _totpProtector;

    // Verified when the account does not exist, so that a wrong name costs as much as a wrong password.
    private readonly Lazy<string> _dummyHash;

    public Accounts(WhistleDatabase database, IOptions<AuthOptions> options, TimeProvider time, IPasswordHasher<AccountRow> hasher, IDataProtectionProvider protection)
    {
        _database = database;
        _options = options;
        _time = time;
        _hasher = hasher;
        _totpProtector = protection.CreateProtector("Whistle.Auth.TotpSecret.v1");
        _dummyHash = new(() => hasher.HashPassword(new AccountRow(), "not-a-password-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8))));
    }

    public const string UnknownAddress = "unknown";

    private const string Columns = """
        user_name AS UserName, display_name AS DisplayName, role, org_id AS OrgId, password_hash AS PasswordHash, is_demo AS IsDemo,
        disabled, failed_sign_ins AS FailedSignIns, failures_since AS FailuresSince, locked_until AS LockedUntil, created_at AS CreatedAt,
        created_by AS CreatedBy, security_stamp AS SecurityStamp, password_changed_at AS PasswordChangedAt, totp_secret AS TotpSecret,
        totp_pending_secret AS TotpPendingSecret, totp_last_step AS TotpLastStep
        """;

    private const string SelectAccountSql = $"SELECT {Columns} FROM users WHERE user_name = @UserName;";

    private const string SelectAccountForUpdateSqlServer = $"SELECT {Columns} FROM users WITH (UPDLOCK, HOLDLOCK) WHERE user_name = @UserName;";

    private const string ListAccountsSql = $"SELECT {Columns} FROM users ORDER BY role, org_id, user_name;";

    private const string SelectAddressSql = """
        SELECT failures, last_failure_at AS LastFailureAt, locked_until AS LockedUntil FROM sign_in_failures
        WHERE user_name = @UserName AND remote_address = @Address;
        """;

    private const string SelectAddressForUpdateSqlServer = """
        SELECT failures, last_failure_at AS LastFailureAt, locked_until AS LockedUntil FROM sign_in_failures WITH (UPDLOCK, HOLDLOCK)
        WHERE user_name = @UserName AND remote_address = @Address;
        """;

    private const string UpsertAddressSqlite = """
        INSERT INTO sign_in_failures (user_name, remote_address, failures, last_failure_at, locked_until)
        VALUES (@UserName, @Address, @Failures, @At, @LockedUntil)
        ON CONFLICT (user_name, remote_address) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until;
        """;

    private const string UpsertAddressSqlServer = """
        UPDATE sign_in_failures SET failures = @Failures, last_failure_at = @At, locked_until = @LockedUntil WHERE user_name = @UserName AND remote_address = @Address;
        IF @@ROWCOUNT = 0
            INSERT INTO sign_in_failures (user_name, remote_address, failures, last_failure_at, locked_until) VALUES (@UserName, @Address, @Failures, @At, @LockedUntil);
        """;

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

    private AuthOptions Settings => _options.Value;

    public static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    /// <summary>
    /// Checks a user name and password. Every failure — unknown name, wrong password, locked for this address or for
    /// everyone, disabled — is the same <c>Succeeded = false</c>, after the same hash work; the reason goes to the audit
    /// trail only. With a second factor the sign-in is not complete: <see cref="RecordSignInAsync"/> follows the code.
    /// </summary>
    public async Task<PasswordCheck> CheckPasswordAsync(string userName, string password, string? remoteAddress, CancellationToken ct)
    {
        var address = remoteAddress ?? UnknownAddress;
        var (account, failures) = await _database.ReadAsync(
            async c =>
            {
                var a = await c.QuerySingleOrDefaultAsync<AccountRow>(SelectAccountSql, new { UserName = userName });
                var f = a is null ? null : await c.QuerySingleOrDefaultAsync<AddressFailures>(SelectAddressSql, new { UserName = userName, Address = address });
                return (a, f);
            },
            ct);

        // The expensive part, outside any transaction: on SQLite a write transaction holds the only writer lock.
        var verified = _hasher.VerifyHashedPassword(account ?? new AccountRow(), account?.PasswordHash ?? _dummyHash.Value, password) != PasswordVerificationResult.Failed;
        var now = _time.GetUtcNow();
        var refusal = Refusal(account, failures, now) ?? (verified ? null : "wrong password");
        if (refusal is not null)
        {
            await RecordFailureAsync(userName, address, refusal, ct);
            return new PasswordCheck(false, null);
        }

        return new PasswordCheck(true, account);
    }

    /// <summary>Why this account may not sign in from this address now, whatever the password; null when it may.</summary>
    private static string? Refusal(AccountRow? account, AddressFailures? failures, DateTimeOffset now) =>
        account is null ? "unknown account"
        : account.Disabled ? "disabled"
        : account.LockedUntil > now ? "locked for every address"
        : failures?.LockedUntil > now ? "locked for this address"
        : null;

    /// <summary>
    /// A failed attempt (password or second-factor code): counted for this account from this address (which locks
    /// the account for this address after <see cref="AuthOptions.LockoutThreshold"/> in a row) and for the account
    /// from everywhere (which locks it for everyone after <see cref="AuthOptions.AccountLockoutThreshold"/> within
    /// <see cref="AuthOptions.AccountLockoutWindow"/>). One short write, with its audit entry.
    /// </summary>
    public Task RecordFailureAsync(string userName, string address, string reason, CancellationToken ct) =>
        _database.WriteAsync(
            async unit =>
            {
                var now = _time.GetUtcNow();
                var settings = Settings;
                var c = unit.Connection;
                var account = await c.QuerySingleOrDefaultAsync<AccountRow>(_database.Sql(SelectAccountSql, SelectAccountForUpdateSqlServer), new { UserName = userName }, unit.Transaction);
                var action = "sign-in-failed";
                if (account is not null)
                {
                    var row = await c.QuerySingleOrDefaultAsync<AddressFailures>(
                        _database.Sql(SelectAddressSql, SelectAddressForUpdateSqlServer), new { UserName = userName, Address = address }, unit.Transaction);
                    var restart = row is null || row.LockedUntil is { } ended && ended <= now;
                    var failures = restart ? 1 : row!.Failures + 1;
                    var addressLock = restart ? null : row!.LockedUntil;
                    if (addressLock is null && failures >= settings.LockoutThreshold)
                    {
                        addressLock = now + settings.LockoutDuration;
                        action = "locked-out";
                    }

                    await c.ExecuteAsync(
                        _database.Sql(UpsertAddressSqlite, UpsertAddressSqlServer),
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
    public Task<AccountRow> RecordSignInAsync(AccountRow account, string? remoteAddress, CancellationToken ct) =>
        _database.WriteAsync(
            async unit =>
            {
                var address = remoteAddress ?? UnknownAddress;
                var c = unit.Connection;
                await c.ExecuteAsync(ForgetAddressSql, new { account.UserName, Address = address }, unit.Transaction);
                await c.ExecuteAsync(EnsureStampSql, new { account.UserName, Stamp = NewStamp() }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, new AuditActor(account.UserName, account.DisplayName, address), "account", account.UserName, "signed-in", null, null, _time.GetUtcNow());
                var now = await c.QuerySingleAsync<AccountRow>(SelectAccountSql, new { account.UserName }, unit.Transaction);
                unit.Complete();
                return now;
            },
            ct);

    /// <summary>
    /// The second step of a sign-in with a second factor: the code of the account's authenticator, each code once.
    /// A wrong code is a failed sign-in like a wrong password (same counters, same answer).
    /// </summary>
    public async Task<AccountRow?> CheckSecondFactorAsync(string userName, string stamp, string? code, string? remoteAddress, CancellationToken ct)
    {
        var address = remoteAddress ?? UnknownAddress;
        var (account, failures) = await _database.ReadAsync(
            async c =>
            {
                var a = await c.QuerySingleOrDefaultAsync<AccountRow>(SelectAccountSql, new { UserName = userName });
                var f = a is null ? null : await c.QuerySingleOrDefaultAsync<AddressFailures>(SelectAddressSql, new { UserName = userName, Address = address });
                return (a, f);
            },
            ct);
        var now = _time.GetUtcNow();
        var refusal = Refusal(account, failures, now)
            ?? (account!.SecurityStamp != stamp ? "session changed" : account.TotpSecret is null ? "no second factor" : null);
        var secret = Array.Empty<byte>();
        if (refusal is null && !TryUnprotectSecret(account!.TotpSecret!, out secret))
        {
            // The key ring that protected it is gone: the code cannot be checked; `disable-second-factor` lets it enrol again.
            refusal = "second-factor secret unreadable (Data Protection key ring)";
        }

        if (refusal is null)
        {
            var step = Totp.Match(secret, code, now, account!.TotpLastStep);
            if (step is { } s && await _database.WriteAsync(
                    async unit =>
                    {
                        var taken = await unit.Connection.ExecuteAsync(UseTotpStepSql, new { UserName = userName, Step = s }, unit.Transaction) == 1;
                        unit.Complete();
                        return taken;
                    },
                    ct))
            {
                return account;
            }

            refusal = "wrong second-factor code";
        }

        await RecordFailureAsync(userName, address, refusal, ct);
        return null;
    }

    public bool PasswordExpired(AccountRow account)
    {
        var maxAge = Settings.PasswordMaxAge;
        if (maxAge <= TimeSpan.Zero || account.IsDemo) return false;
        return (account.PasswordChangedAt ?? account.CreatedAt) is not { } changed || changed + maxAge <= _time.GetUtcNow();
    }

    /// <summary>Whether this account must sign in with a second factor (demo accounts never: demo mode is refused in production).</summary>
    public bool RequiresSecondFactor(AccountRow account) => !account.IsDemo && Settings.SecondFactorRoles.Contains(account.Role);

    public Task<IReadOnlyList<AccountRow>> ListAsync(CancellationToken ct) =>
        _database.ReadAsync(async c => (IReadOnlyList<AccountRow>)(await c.QueryAsync<AccountRow>(ListAccountsSql)).ToList(), ct);

    /// <summary>The accounts locked now for at least one client address (the security administrator's list shows them locked).</summary>
    public Task<IReadOnlySet<string>> LockedAtSomeAddressAsync(CancellationToken ct) =>
        _database.ReadAsync(async c => (IReadOnlySet<string>)(await c.QueryAsync<string>(LockedAtSomeAddressSql, new { Now = _time.GetUtcNow() })).ToHashSet(StringComparer.Ordinal), ct);

    public Task<AccountRow?> FindAsync(string userName, CancellationToken ct) =>
        _database.ReadAsync(c => c.QuerySingleOrDefaultAsync<AccountRow>(SelectAccountSql, new { UserName = userName }), ct);

    public FieldErrors Validate(CountyCatalog catalog, string? userName, string? displayName, string? role, string? orgId, string? password)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(userName) || userName.Length > 100 || !userName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            errors.Set("userName", Problems.UserNameFormat("A user name is 1–100 ASCII letters, digits, '.', '-' or '_'."));
        if (string.IsNullOrWhiteSpace(displayName) || displayName.Trim().Length > 200) errors.Set("displayName", Problems.Required("displayName", "The display name is required (at most 200 characters)."));
        else Whistles.WhistleValidation.Text(errors, "displayName", displayName, 200, required: true); // control characters (issue 11)
        if (role is null || !Roles.All.Contains(role)) errors.Set("role", Problems.OneOf("role", Roles.All, $"The role is one of {string.Join(", ", Roles.All)}."));
        else if (orgId is null || catalog.OrgName(role, orgId) is null) errors.Set("orgId", Problems.Unknown("orgId", orgId, "No such organisation for that role."));
        ValidatePassword(errors, password, userName);
        return errors;
    }

    public void ValidatePassword(FieldErrors errors, string? password, string? userName, string field = "password")
    {
        if (PasswordPolicy.Check(password, userName, Settings.MinimumPasswordLength) is { } problem) errors.Set(field, problem);
    }

    public async Task CreateAsync(AuditActor actor, string userName, string displayName, string role, string orgId, string password, CancellationToken ct)
    {
        var hash = _hasher.HashPassword(new AccountRow { UserName = userName }, password);
        await _database.WriteAsync(
            async unit =>
            {
                var now = _time.GetUtcNow();
                await unit.Connection.ExecuteAsync(
                    InsertAccountSql,
                    new { UserName = userName, DisplayName = displayName.Trim(), Role = role, OrgId = orgId, PasswordHash = hash, CreatedAt = now, CreatedBy = actor.UserName, Stamp = NewStamp() },
                    unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, "created", null, new { DisplayName = displayName.Trim(), Role = role, OrgId = orgId }, now);
                unit.Complete();
                return 0;
            },
            ct);
    }

    /// <summary>Disables or enables an account; either way its tokens and hub connections end (a new security stamp).</summary>
    public async Task SetDisabledAsync(AuditActor actor, string userName, bool disabled, CancellationToken ct) =>
        await _database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(SetDisabledSql, new { UserName = userName, Disabled = disabled, Stamp = NewStamp() }, unit.Transaction);
                await unit.Connection.ExecuteAsync(ForgetAllAddressesSql, new { UserName = userName }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, disabled ? "disabled" : "enabled", new { Disabled = !disabled }, new { Disabled = disabled }, _time.GetUtcNow());
                unit.Complete();
                return 0;
            },
            ct);

    /// <summary>
    /// Sets a password (<paramref name="action"/>: <c>password-set</c> by a supervisor, <c>password-changed</c> by its owner):
    /// a new stamp ends every token of the account; its locks are lifted. The hash is computed before the transaction.
    /// </summary>
    public async Task SetPasswordAsync(AuditActor actor, string userName, string password, CancellationToken ct, string action = "password-set")
    {
        var hash = _hasher.HashPassword(new AccountRow { UserName = userName }, password);
        await _database.WriteAsync(
            async unit =>
            {
                var now = _time.GetUtcNow();
                await unit.Connection.ExecuteAsync(SetPasswordSql, new { UserName = userName, PasswordHash = hash, At = now, Stamp = NewStamp() }, unit.Transaction);
                await unit.Connection.ExecuteAsync(ForgetAllAddressesSql, new { UserName = userName }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, action, null, null, now);
                unit.Complete();
                return 0;
            },
            ct);
    }

    /// <summary>Lifts every lock of an account (for everyone and per address), with its audit entry.</summary>
    public async Task UnlockAsync(AuditActor actor, string userName, CancellationToken ct) =>
        await _database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(UnlockSql, new { UserName = userName }, unit.Transaction);
                await unit.Connection.ExecuteAsync(ForgetAllAddressesSql, new { UserName = userName }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, "unlocked", null, null, _time.GetUtcNow());
                unit.Complete();
                return 0;
            },
            ct);

    /// <summary>
    /// Moves a business account to another business role or organisation; a new stamp ends its tokens (which carry the
    /// old role). False when the account changed meanwhile.
    /// </summary>
    public async Task<bool> SetRoleAsync(AuditActor actor, AccountRow account, string role, string orgId, CancellationToken ct) =>
        await _database.WriteAsync(
            async unit =>
            {
                var n = await unit.Connection.ExecuteAsync(
                    SetRoleSql, new { account.UserName, Role = role, OrgId = orgId, Stamp = NewStamp(), OldRole = account.Role, OldOrgId = account.OrgId }, unit.Transaction);
                if (n == 1)
                {
                    await AuditTrail.WriteAsync(unit, actor, "account", account.UserName, "role-changed", new { account.Role, account.OrgId }, new { Role = role, OrgId = orgId }, _time.GetUtcNow());
                    unit.Complete();
                }

                return n == 1;
            },
            ct);

    /// <summary>Whether <paramref name="password"/> is this account's current one (hash work outside any transaction).</summary>
    public bool IsPassword(AccountRow account, string? password) =>
        password is not null && _hasher.VerifyHashedPassword(account, account.PasswordHash, password) != PasswordVerificationResult.Failed;

    /// <summary>Starts enrolling a second factor: a new secret, kept protected until a code from it confirms it.</summary>
    public async Task<byte[]?> BeginSecondFactorAsync(string userName, CancellationToken ct)
    {
        var secret = Totp.NewSecret();
        var stored = _totpProtector.Protect(Base32.Encode(secret));
        var written = await _database.WriteAsync(
            async unit =>
            {
                var n = await unit.Connection.ExecuteAsync(SetPendingTotpSql, new { UserName = userName, Secret = stored }, unit.Transaction);
                unit.Complete();
                return n;
            },
            ct);
        return written == 1 ? secret : null;
    }

    /// <summary>Confirms the pending secret with a code from it; then every sign-in asks for a code. Ends the account's other tokens.</summary>
    public async Task<bool> ConfirmSecondFactorAsync(AuditActor actor, AccountRow account, string? code, CancellationToken ct)
    {
        if (account.TotpPendingSecret is null || !TryUnprotectSecret(account.TotpPendingSecret, out var pending)) return false;
        if (Totp.Match(pending, code, _time.GetUtcNow(), 0) is not { } step) return false;
        return await _database.WriteAsync(
            async unit =>
            {
                var n = await unit.Connection.ExecuteAsync(ConfirmTotpSql, new { account.UserName, Pending = account.TotpPendingSecret, Step = step, Stamp = NewStamp() }, unit.Transaction);
                if (n == 1) await AuditTrail.WriteAsync(unit, actor, "account", account.UserName, "second-factor-enrolled", null, new { Method = "totp" }, _time.GetUtcNow());
                unit.Complete();
                return n == 1;
            },
            ct);
    }

    /// <summary>Removes an account's second factor (its owner, or a supervisor when the device is lost). Ends its tokens.</summary>
    public async Task DisableSecondFactorAsync(AuditActor actor, string userName, CancellationToken ct) =>
        await _database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(DisableTotpSql, new { UserName = userName, Stamp = NewStamp() }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, actor, "account", userName, "second-factor-disabled", null, null, _time.GetUtcNow());
                unit.Complete();
                return 0;
            },
            ct);

    private byte[] UnprotectSecret(string stored) => Base32.Decode(_totpProtector.Unprotect(stored));

    private bool TryUnprotectSecret(string stored, out byte[] secret)
    {
        try
        {
            secret = UnprotectSecret(stored);
            return true;
        }
        catch (CryptographicException)
        {
            secret = [];
            return false;
        }
    }
}
