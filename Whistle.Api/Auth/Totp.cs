using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Whistle.Api.Auth;

/// <summary>
/// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) as every authenticator app computes them:
/// HMAC-SHA1, a 30-second step from the Unix epoch, 6 digits. A code is accepted for its own step and one
/// step either side, and only for a step later than the last one used (each code signs in once).
/// </summary>
public static class Totp
{
    public const int Digits = 6;
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(30);
    public const int Window = 1;

    /// <summary>The 20 random bytes of a new secret (the HMAC-SHA1 block RFC 4226 recommends).</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(20);

    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / (long)Step.TotalSeconds;

    /// <summary>The code of one step (RFC 4226 §5.3 dynamic truncation), with the given number of digits.</summary>
    public static string Code(byte[] secret, long step, int digits = Digits)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> hash = stackalloc byte[20];
        HMACSHA1.HashData(secret, counter, hash);
        var offset = hash[^1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        var modulo = 1;
        for (var i = 0; i < digits; i++) modulo *= 10;
        return (binary % modulo).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>
    /// The step whose code <paramref name="code"/> is, within ±<see cref="Window"/> of <paramref name="now"/> and after
    /// <paramref name="lastUsedStep"/>; null when it is no such code. Every candidate is compared in fixed time.
    /// </summary>
    public static long? Match(byte[] secret, string? code, DateTimeOffset now, long lastUsedStep)
    {
        if (code is null) return null;
        code = code.Replace(" ", "", StringComparison.Ordinal).Trim();
        if (code.Length != Digits || !code.All(char.IsAsciiDigit)) return null;
        var given = Encoding.ASCII.GetBytes(code);
        var current = StepAt(now);
        long? matched = null;
        for (var step = current - Window; step <= current + Window; step++)
        {
            var equal = CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Code(secret, step)));
            if (equal && step > lastUsedStep && matched is null) matched = step;
        }

        return matched;
    }

    /// <summary>The <c>otpauth://</c> URI authenticator apps read (also as a QR code).</summary>
    public static string Uri(string issuer, string account, byte[] secret) =>
        $"otpauth://totp/{System.Uri.EscapeDataString(issuer)}:{System.Uri.EscapeDataString(account)}?secret={Base32.Encode(secret)}&issuer={System.Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={(int)Step.TotalSeconds}";
}

/// <summary>RFC 4648 base32 (no padding), the form authenticator apps take a secret in.</summary>
public static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var result = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                result.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0) result.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        return result.ToString();
    }

    public static byte[] Decode(string text)
    {
        var clean = text.Trim().TrimEnd('=').Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        var bytes = new List<byte>(clean.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var c in clean)
        {
            var value = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (value < 0) throw new FormatException("Not base32.");
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)((buffer >> (bits - 8)) & 0xff));
                bits -= 8;
            }
        }

        return [.. bytes];
    }
}
