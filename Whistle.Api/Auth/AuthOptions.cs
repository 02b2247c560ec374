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

    /// <summary>Sign-in attempts allowed per account name per minute (429 beyond).</summary>
    [Range(1, 10_000)]
    public int LoginAttemptsPerMinute { get; set; } = 30;
}
