using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Whistle.Core.Hosting;
using Whistle.Core.Options;

namespace Whistle.Api.Auth;

/// <summary>The token signing key: from configuration, or generated once and kept in the data folder (embedded way only).</summary>
public sealed class SigningKey
{
    /// <summary>Base64 of at least 32 bytes.</summary>
    public static bool IsValid(string configured)
    {
        var buffer = new byte[configured.Length];
        return Convert.TryFromBase64String(configured.Trim(), buffer, out var written) && written >= 32;
    }

    public SigningKey(IOptions<AuthOptions> auth, IOptions<BusOptions> bus, WhistlePaths paths)
    {
        var configured = auth.Value.SigningKey;
        byte[] bytes;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            bytes = Convert.FromBase64String(configured);
        }
        else if (bus.Value.Transport == BusTransport.InMemory)
        {
            var file = Path.Combine(paths.DataFolder, "signing-key");
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
}
