using System.ComponentModel.DataAnnotations;

namespace Whistle.Api.Auth;

/// <summary><c>Whistle:Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Whistle:Auth";

    /// <summary>
    /// Base64 HMAC-SHA256 key (at least 32 bytes) shared by every Api instance. When empty in the embedded
    /// way, a random key is generated once and kept in the data folder.
    /// </summary>
    public string? SigningKey { get; set; }

    [Required]
    public string Issuer { get; set; } = "whistle";

    [Required]
    public string Audience { get; set; } = "whistle";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Sign-in attempts allowed per client address per minute, and per account name and address per minute (429 beyond).</summary>
    [Range(1, 10_000)]
    public int LoginAttemptsPerMinute { get; set; } = 30;

    /// <summary>
    /// Failed sign-ins in a row from one client address after which the account is locked for
    /// <see cref="LockoutDuration"/> for that address only (others still sign in).
    /// </summary>
    [Range(1, 1000)]
    public int LockoutThreshold { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Failed sign-ins of one account from all addresses together within <see cref="AccountLockoutWindow"/> after which
    /// the account is locked for everyone for <see cref="LockoutDuration"/> (slows a guesser with many addresses).
    /// </summary>
    [Range(1, 100_000)]
    public int AccountLockoutThreshold { get; set; } = 50;

    public TimeSpan AccountLockoutWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whistles one account may raise per minute (429 beyond).</summary>
    [Range(1, 10_000)]
    public int RaisesPerMinute { get; set; } = 30;

    /// <summary>How long an instance trusts that an account is still enabled before it looks again (0: every request).</summary>
    public TimeSpan AccountCheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The shortest password (any password set: by a supervisor, the command line, or its owner).</summary>
    [Range(8, 128)]
    public int MinimumPasswordLength { get; set; } = 10;

    /// <summary>How long a password lasts; then it signs in only to be changed (0: passwords do not expire).</summary>
    public TimeSpan PasswordMaxAge { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Inactivity after which the browser signs out (told to the UI in the token answer).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Roles (comma-separated) whose accounts must sign in with a second factor (TOTP); an account of such a role
    /// without one signs in only to enrol. Empty: nobody must (anyone may still enrol).
    /// </summary>
    public string RequireSecondFactorFor { get; set; } = "supervisor,sysadmin,secadmin,auditadmin";

    /// <summary>CatchUp calls one hub connection may make at once (the token bucket's size).</summary>
    [Range(1, 10_000)]
    public int CatchUpBurst { get; set; } = 20;

    /// <summary>CatchUp calls a hub connection gets back per minute (the bucket's refill).</summary>
    [Range(1, 100_000)]
    public int CatchUpsPerMinute { get; set; } = 60;

    public IReadOnlySet<string> SecondFactorRoles =>
        RequireSecondFactorFor.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
}
