using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Whistle.Core.Hosting;
using Whistle.Core.Options;

namespace Whistle.Api.Auth;

/// <summary>
/// The token signing key: from configuration, or generated once and kept in the data folder (embedded way only).
/// A key that was ever published is refused at start, wherever it comes from.
/// </summary>
public sealed class SigningKey
{
    public const string FileName = "signing-key";

    /// <summary>
    /// SHA-256 fingerprints (hex) of the decoded bytes of keys that are public, and so sign nothing: the
    /// <c>Whistle.Api/data/signing-key</c> that was committed to git in the first days (removed since; git history
    /// keeps it, and every installation started from an older clone signed its tokens with it). Only the
    /// fingerprint is kept here, never the key.
    /// </summary>
    public static readonly IReadOnlySet<string> PublishedKeyFingerprints = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "01e5dc652d20bd41aa612b408a08f2a33a95edbf09e2af23ee48163eca340ac0",
    };

    public const string HowToMakeANewKey = "e.g. the output of: openssl rand -base64 48";

    /// <summary>Base64 of at least 32 bytes.</summary>
    public static bool IsValid(string configured)
    {
        var buffer = new byte[configured.Length];
        return Convert.TryFromBase64String(configured.Trim(), buffer, out var written) && written >= 32;
    }

    /// <summary>SHA-256 of the key's bytes, lowercase hex.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> key) => Convert.ToHexStringLower(SHA256.HashData(key));

    /// <summary>Whether the key is one that was published (see <see cref="PublishedKeyFingerprints"/>).</summary>
    public static bool IsPublished(ReadOnlySpan<byte> key) => PublishedKeyFingerprints.Contains(Fingerprint(key));

    public SigningKey(IOptions<AuthOptions> auth, IOptions<BusOptions> bus, WhistlePaths paths)
    {
        var configured = auth.Value.SigningKey;
        byte[] bytes;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            bytes = Convert.FromBase64String(configured.Trim());
            if (IsPublished(bytes))
            {
                throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), [ConfiguredKeyIsPublished]);
            }
        }
        else if (bus.Value.Transport == BusTransport.InMemory)
        {
            var file = Path.Combine(paths.DataFolder, FileName);
            if (!File.Exists(file))
            {
                var fresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
                try
                {
                    using var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write);
                    using var writer = new StreamWriter(stream);
                    writer.Write(fresh);
                }
                catch (IOException) when (File.Exists(file))
                {
                    // Another process created it first; use theirs.
                }

                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }

            bytes = Convert.FromBase64String(File.ReadAllText(file).Trim());
            if (IsPublished(bytes))
            {
                // The file the repository once carried, copied into this installation: refused, not replaced, so that
                // the operator knows every token signed so far could have been forged.
                throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions),
                [
                    $"The signing key in {file} is the key that was published in Whistle's git history (SHA-256 {Fingerprint(bytes)}): " +
                    "anyone can sign tokens with it. Delete that file to have a fresh key generated at the next start " +
                    $"(signed-in users sign in again), or set Whistle:Auth:SigningKey to a new key, {HowToMakeANewKey}.",
                ]);
            }
        }
        else
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), ["Whistle:Auth:SigningKey is required when several instances share RabbitMQ (set the same base64 key on every Api instance)."]);
        }

        if (bytes.Length < 32)
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), ["Whistle:Auth:SigningKey must be at least 32 bytes (base64)."]);
        }

        Key = new SymmetricSecurityKey(bytes) { KeyId = "whistle" };
    }

    public SymmetricSecurityKey Key { get; }

    /// <summary>The refusal of a configured published key (at start: the token options are built then).</summary>
    public const string ConfiguredKeyIsPublished =
        "Whistle:Auth:SigningKey is the key that was published in Whistle's git history: anyone can sign tokens with it. " +
        "Set a new key on every Api instance, " + HowToMakeANewKey + ".";
}
