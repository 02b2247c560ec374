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

    /// <summary>Sign-in attempts allowed per client address per minute, and per account name per minute (429 beyond).</summary>
    [Range(1, 10_000)]
    public int LoginAttemptsPerMinute { get; set; } = 30;

    /// <summary>Failed sign-ins in a row after which an account is locked for <see cref="LockoutDuration"/>.</summary>
    [Range(1, 1000)]
    public int LockoutThreshold { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Whistles one account may raise per minute (429 beyond).</summary>
    [Range(1, 10_000)]
    public int RaisesPerMinute { get; set; } = 30;

    /// <summary>How long an instance trusts that an account is still enabled before it looks again (0: every request).</summary>
    public TimeSpan AccountCheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The shortest password a supervisor may give an account.</summary>
    [Range(8, 128)]
    public int MinimumPasswordLength { get; set; } = 10;
}
