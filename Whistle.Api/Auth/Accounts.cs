using Whistle.Core.Problems;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Whistle.Core.Accounts;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Storage;

namespace Whistle.Api.Auth;

/// <summary>The result of checking a user name and password: the account when they are right and it may sign in.</summary>
public sealed record PasswordCheck(bool Succeeded, AccountRow? Account);

/// <summary>
/// Accounts as the Api works them: sign-in (the password hash is computed outside any write transaction, then a short
/// write records the outcome), lockout per account and client address under a wider per-account ceiling, passwords and
/// their rules, the security stamp that every token carries, and the second factor's secret (protected at rest) and
/// codes. Every read and write of the tables is <see cref="AccountStore"/>'s.
/// </summary>
public sealed class Accounts
{
    private readonly AccountStore _store;
    private readonly IOptions<AuthOptions> _options;
    private readonly TimeProvider _time;
    private readonly IPasswordHasher<AccountRow> _hasher;
    private readonly IDataProtector _totpProtector;

    // Verified when the account does not exist, so that a wrong name costs as much as a wrong password.
    private readonly Lazy<string> _dummyHash;

    public Accounts(AccountStore store, IOptions<AuthOptions> options, TimeProvider time, IPasswordHasher<AccountRow> hasher, IDataProtectionProvider protection)
    {
        _store = store;
        _options = options;
        _time = time;
        _hasher = hasher;
        _totpProtector = protection.CreateProtector("Whistle.Auth.TotpSecret.v1");
        _dummyHash = new(() => hasher.HashPassword(new AccountRow(), "not-a-password-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8))));
    }

    public const string UnknownAddress = AccountStore.UnknownAddress;

    private AuthOptions Settings => _options.Value;

    private LockoutSettings Lockout =>
        new(Settings.LockoutThreshold, Settings.LockoutDuration, Settings.AccountLockoutThreshold, Settings.AccountLockoutWindow);

    public static string NewStamp() => AccountStore.NewStamp();

    /// <summary>
    /// Checks a user name and password. Every failure — unknown name, wrong password, locked for this address or for
    /// everyone, disabled — is the same <c>Succeeded = false</c>, after the same hash work; the reason goes to the audit
    /// trail only. With a second factor the sign-in is not complete: <see cref="RecordSignInAsync"/> follows the code.
    /// </summary>
    public async Task<PasswordCheck> CheckPasswordAsync(string userName, string password, string? remoteAddress, CancellationToken ct)
    {
        var address = remoteAddress ?? UnknownAddress;
        var (account, failures) = await _store.FindWithFailuresAsync(userName, address, ct);

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
    /// A failed attempt (password or second-factor code): counted for this account from this address and for the
    /// account from everywhere, locking it as <see cref="AuthOptions"/> says (<see cref="AccountStore.RecordFailureAsync"/>).
    /// </summary>
    public Task RecordFailureAsync(string userName, string address, string reason, CancellationToken ct) =>
        _store.RecordFailureAsync(userName, address, reason, Lockout, ct);

    /// <summary>A completed sign-in: this address's failures are forgotten; the account has a stamp. Returns the account as it is now.</summary>
    public Task<AccountRow> RecordSignInAsync(AccountRow account, string? remoteAddress, CancellationToken ct) =>
        _store.RecordSignInAsync(account, remoteAddress ?? UnknownAddress, ct);

    /// <summary>
    /// The second step of a sign-in with a second factor: the code of the account's authenticator, each code once.
    /// A wrong code is a failed sign-in like a wrong password (same counters, same answer).
    /// </summary>
    public async Task<AccountRow?> CheckSecondFactorAsync(string userName, string stamp, string? code, string? remoteAddress, CancellationToken ct)
    {
        var address = remoteAddress ?? UnknownAddress;
        var (account, failures) = await _store.FindWithFailuresAsync(userName, address, ct);
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
            if (step is { } s && await _store.UseSecondFactorStepAsync(userName, s, ct))
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

    public Task<IReadOnlyList<AccountRow>> ListAsync(CancellationToken ct) => _store.ListAsync(ct);

    /// <summary>The accounts locked now for at least one client address (the security administrator's list shows them locked).</summary>
    public Task<IReadOnlySet<string>> LockedAtSomeAddressAsync(CancellationToken ct) => _store.LockedAtSomeAddressAsync(ct);

    public Task<AccountRow?> FindAsync(string userName, CancellationToken ct) => _store.FindAsync(userName, ct);

    public FieldErrors Validate(CountyCatalog catalog, string? userName, string? displayName, string? role, string? orgId, string? password)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(userName) || userName.Length > 100 || !userName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            errors.Set("userName", Problem.UserNameFormat("A user name is 1–100 ASCII letters, digits, '.', '-' or '_'."));
        if (string.IsNullOrWhiteSpace(displayName) || displayName.Trim().Length > 200) errors.Set("displayName", Problem.Required("displayName", "The display name is required (at most 200 characters)."));
        else WhistleValidation.Text(errors, "displayName", displayName, 200, required: true); // control characters (issue 11)
        if (role is null || !Roles.All.Contains(role)) errors.Set("role", Problem.OneOf("role", Roles.All, $"The role is one of {string.Join(", ", Roles.All)}."));
        else if (orgId is null || catalog.OrgName(role, orgId) is null) errors.Set("orgId", Problem.Unknown("orgId", orgId, "No such organisation for that role."));
        ValidatePassword(errors, password, userName);
        return errors;
    }

    public void ValidatePassword(FieldErrors errors, string? password, string? userName, string field = "password")
    {
        if (PasswordPolicy.Check(password, userName, Settings.MinimumPasswordLength) is { } problem) errors.Set(field, problem);
    }

    public Task CreateAsync(AuditActor actor, string userName, string displayName, string role, string orgId, string password, CancellationToken ct) =>
        _store.CreateAsync(actor, userName, displayName.Trim(), role, orgId, _hasher.HashPassword(new AccountRow { UserName = userName }, password), ct);

    /// <summary>Disables or enables an account; either way its tokens and hub connections end (a new security stamp).</summary>
    public Task SetDisabledAsync(AuditActor actor, string userName, bool disabled, CancellationToken ct) =>
        _store.SetDisabledAsync(actor, userName, disabled, ct);

    /// <summary>
    /// Sets a password (<paramref name="action"/>: <c>password-set</c> by a supervisor, <c>password-changed</c> by its owner):
    /// a new stamp ends every token of the account; its locks are lifted. The hash is computed before the transaction.
    /// </summary>
    public Task SetPasswordAsync(AuditActor actor, string userName, string password, CancellationToken ct, string action = "password-set") =>
        _store.SetPasswordAsync(actor, userName, _hasher.HashPassword(new AccountRow { UserName = userName }, password), action, ct);

    /// <summary>Lifts every lock of an account (for everyone and per address), with its audit entry.</summary>
    public Task UnlockAsync(AuditActor actor, string userName, CancellationToken ct) => _store.UnlockAsync(actor, userName, ct);

    /// <summary>
    /// Moves a business account to another business role or organisation; a new stamp ends its tokens (which carry the
    /// old role). False when the account changed meanwhile.
    /// </summary>
    public Task<bool> SetRoleAsync(AuditActor actor, AccountRow account, string role, string orgId, CancellationToken ct) =>
        _store.SetRoleAsync(actor, account, role, orgId, ct);

    /// <summary>Whether <paramref name="password"/> is this account's current one (hash work outside any transaction).</summary>
    public bool IsPassword(AccountRow account, string? password) =>
        password is not null && _hasher.VerifyHashedPassword(account, account.PasswordHash, password) != PasswordVerificationResult.Failed;

    /// <summary>Starts enrolling a second factor: a new secret, kept protected until a code from it confirms it.</summary>
    public async Task<byte[]?> BeginSecondFactorAsync(string userName, CancellationToken ct)
    {
        var secret = Totp.NewSecret();
        var stored = _totpProtector.Protect(Base32.Encode(secret));
        return await _store.SetPendingSecondFactorAsync(userName, stored, ct) ? secret : null;
    }

    /// <summary>Confirms the pending secret with a code from it; then every sign-in asks for a code. Ends the account's other tokens.</summary>
    public async Task<bool> ConfirmSecondFactorAsync(AuditActor actor, AccountRow account, string? code, CancellationToken ct)
    {
        if (account.TotpPendingSecret is null || !TryUnprotectSecret(account.TotpPendingSecret, out var pending)) return false;
        if (Totp.Match(pending, code, _time.GetUtcNow(), 0) is not { } step) return false;
        return await _store.ConfirmSecondFactorAsync(actor, account, step, ct);
    }

    /// <summary>Removes an account's second factor (its owner, or a supervisor when the device is lost). Ends its tokens.</summary>
    public Task DisableSecondFactorAsync(AuditActor actor, string userName, CancellationToken ct) =>
        _store.DisableSecondFactorAsync(actor, userName, ct);

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
