using System.Text;
using Whistle.Api.Auth;

namespace Whistle.Tests.Unit;

/// <summary>The second factor's one-time codes, against RFC 6238's own test vectors (SHA-1) and RFC 4648's base32 ones.</summary>
public sealed class When_an_authenticator_computes_a_code
{
    private static readonly byte[] Rfc6238Secret = Encoding.ASCII.GetBytes("12345678901234567890");

    // RFC 6238 Appendix B, SHA1 column (8 digits).
    [TestCase(59L, "94287082")]
    [TestCase(1111111109L, "07081804")]
    [TestCase(1111111111L, "14050471")]
    [TestCase(1234567890L, "89005924")]
    [TestCase(2000000000L, "69279037")]
    [TestCase(20000000000L, "65353130")]
    public void Should_give_the_RFC_6238_codes(long unixTime, string expected)
    {
        var step = Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixTime));
        Assert.Multiple(() =>
        {
            Assert.That(Totp.Code(Rfc6238Secret, step, 8), Is.EqualTo(expected));
            Assert.That(Totp.Code(Rfc6238Secret, step), Is.EqualTo(expected[^6..]), "six digits are the last six");
        });
    }

    [Test]
    public void Should_accept_a_code_one_step_either_side_and_each_code_once()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1111111111);
        var step = Totp.StepAt(now);
        Assert.Multiple(() =>
        {
            Assert.That(Totp.Match(Rfc6238Secret, Totp.Code(Rfc6238Secret, step), now, 0), Is.EqualTo(step));
            Assert.That(Totp.Match(Rfc6238Secret, Totp.Code(Rfc6238Secret, step - 1), now, 0), Is.EqualTo(step - 1), "the previous step (a slow typist)");
            Assert.That(Totp.Match(Rfc6238Secret, Totp.Code(Rfc6238Secret, step + 1), now, 0), Is.EqualTo(step + 1), "the next step (a fast clock)");
            Assert.That(Totp.Match(Rfc6238Secret, Totp.Code(Rfc6238Secret, step - 2), now, 0), Is.Null, "two steps old");
            Assert.That(Totp.Match(Rfc6238Secret, Totp.Code(Rfc6238Secret, step + 2), now, 0), Is.Null, "two steps ahead");
            Assert.That(Totp.Match(Rfc6238Secret, Totp.Code(Rfc6238Secret, step), now, step), Is.Null, "a code already used");
            Assert.That(Totp.Match(Rfc6238Secret, Totp.Code(Rfc6238Secret, step - 1), now, step - 1), Is.Null, "an older code after a newer one was used");
            Assert.That(Totp.Match(Rfc6238Secret, "12345", now, 0), Is.Null);
            Assert.That(Totp.Match(Rfc6238Secret, "abcdef", now, 0), Is.Null);
            Assert.That(Totp.Match(Rfc6238Secret, null, now, 0), Is.Null);
        });
    }

    // RFC 4648 §10.
    [TestCase("", "")]
    [TestCase("f", "MY")]
    [TestCase("fo", "MZXQ")]
    [TestCase("foo", "MZXW6")]
    [TestCase("foob", "MZXW6YQ")]
    [TestCase("fooba", "MZXW6YTB")]
    [TestCase("foobar", "MZXW6YTBOI")]
    public void Should_write_secrets_in_base32(string text, string expected)
    {
        Assert.That(Base32.Encode(Encoding.ASCII.GetBytes(text)), Is.EqualTo(expected));
        Assert.That(Encoding.ASCII.GetString(Base32.Decode(expected)), Is.EqualTo(text));
    }

    [Test]
    public void Should_make_an_otpauth_uri_authenticator_apps_read()
    {
        var uri = Totp.Uri("Whistle", "li.na", Encoding.ASCII.GetBytes("foobar"));
        Assert.That(uri, Is.EqualTo("otpauth://totp/Whistle:li.na?secret=MZXW6YTBOI&issuer=Whistle&algorithm=SHA1&digits=6&period=30"));
    }
}

/// <summary>身份鉴别: what a password must be.</summary>
public sealed class When_a_password_is_chosen
{
    [TestCase("Short-1", "length")]
    [TestCase("alllowercaseletters", "kinds")]
    [TestCase("lowercase-and-dashes", "kinds")]
    [TestCase("ALLUPPER123456", "kinds")]
    [TestCase("ALLUPPER-123456", null)]
    [TestCase("Li.Na-2026-bai", "user name")]
    [TestCase("P@ssw0rd123", "common")]
    [TestCase("Admin@12345", "common")]
    [TestCase("Bai-yun-duty", null)]
    [TestCase("bai-yun-2026-duty", null)]
    [TestCase("长城长城长城长Aa1", null)]
    public void Should_refuse_what_the_policy_refuses(string password, string? why)
    {
        var problem = PasswordPolicy.Check(password, "li.na", 10);
        if (why is null) Assert.That(problem, Is.Null, password);
        else Assert.That(problem, Is.Not.Null, $"{password} ({why})");
    }
}
