using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>Only tokens this deployment issued, unaltered and in date, open the API and the hub.</summary>
[NonParallelizable]
public sealed class When_a_token_is_not_what_it_claims
{
    private WhistleSystem _system = null!;
    private string _stamp = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync();
        // A real sign-in gives the account its security stamp; the tokens below carry it, so that they fail for their own reason.
        using (await _system.SignInAsync("supervisor"))
        {
        }

        _stamp = await _system.Database.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<string>(c, "SELECT security_stamp FROM users WHERE user_name = 'supervisor'"), CancellationToken.None) ?? "";
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    // The key the embedded system generated into its data folder.
    private byte[] Key => _system.Apis[0].Services.GetRequiredService<Whistle.Api.Auth.SigningKey>().Key.Key;

    private string Token(
        DateTime? notBefore = null,
        DateTime? expires = null,
        byte[]? key = null,
        string issuer = "whistle",
        string audience = "whistle",
        string role = "supervisor",
        string algorithm = SecurityAlgorithms.HmacSha256,
        bool withoutExpiry = false)
    {
        var now = DateTime.UtcNow;
        // Without default times, a descriptor without Expires makes a token without exp.
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = !withoutExpiry }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = (notBefore ?? now.AddMinutes(-1)).AddSeconds(-1),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            Expires = withoutExpiry ? null : expires ?? now.AddHours(1),
            Subject = new ClaimsIdentity([new Claim("sub", "supervisor"), new Claim("name", "督查员"), new Claim("role", role), new Claim("org", "qingshan"), new Claim("stamp", _stamp)]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? Key), algorithm),
        });
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    public static IEnumerable<TestCaseData> BadTokens()
    {
        yield return new TestCaseData("expired").SetName("an expired token");
        yield return new TestCaseData("not-yet-valid").SetName("a token not yet valid");
        yield return new TestCaseData("wrong-signature").SetName("a token signed with another key");
        yield return new TestCaseData("wrong-issuer").SetName("a token of another issuer");
        yield return new TestCaseData("wrong-audience").SetName("a token for another audience");
        yield return new TestCaseData("alg-none").SetName("an unsigned token (alg none)");
        yield return new TestCaseData("tampered").SetName("a token whose claims were changed");
        yield return new TestCaseData("garbage").SetName("a token that is not a JWT");
        yield return new TestCaseData("no-exp").SetName("a correctly signed token without exp (valid for ever)");
        yield return new TestCaseData("hs512").SetName("a token signed HS512 with the same key");
        yield return new TestCaseData("hs384").SetName("a token signed HS384 with the same key");
    }

    private string Make(string kind)
    {
        var now = DateTime.UtcNow;
        return kind switch
        {
            "expired" => Token(notBefore: now.AddHours(-3), expires: now.AddHours(-2)),
            "not-yet-valid" => Token(notBefore: now.AddHours(2), expires: now.AddHours(3)),
            "wrong-signature" => Token(key: System.Security.Cryptography.RandomNumberGenerator.GetBytes(64)),
            "wrong-issuer" => Token(issuer: "someone-else"),
            "wrong-audience" => Token(audience: "someone-else"),
            "alg-none" => $"{Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{Base64Url($"{{\"sub\":\"supervisor\",\"role\":\"supervisor\",\"org\":\"qingshan\",\"iss\":\"whistle\",\"aud\":\"whistle\",\"exp\":{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}")}.",
            "tampered" => Tamper(Token(role: "branch")),
            "no-exp" => Token(withoutExpiry: true),
            "hs512" => Token(algorithm: SecurityAlgorithms.HmacSha512),
            "hs384" => Token(algorithm: SecurityAlgorithms.HmacSha384),
            _ => "not.a.jwt",
        };
    }

    // A branch's token whose payload is rewritten to say supervisor, keeping the branch's signature.
    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"branch\"", "\"supervisor\"", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";
    }

    [Test]
    public void Should_make_the_tokens_it_says_it_makes()
    {
        var handler = new JsonWebTokenHandler();
        var noExp = handler.ReadJsonWebToken(Make("no-exp"));
        Assert.Multiple(() =>
        {
            Assert.That(noExp.TryGetPayloadValue<long>("exp", out _), Is.False, "no exp claim");
            Assert.That(noExp.Alg, Is.EqualTo("HS256"));
            Assert.That(handler.ReadJsonWebToken(Make("hs512")).Alg, Is.EqualTo("HS512"));
            Assert.That(handler.ReadJsonWebToken(Make("hs384")).Alg, Is.EqualTo("HS384"));
        });
    }

    [TestCaseSource(nameof(BadTokens))]
    public async Task Should_refuse_it_over_HTTP_and_over_the_hub(string kind)
    {
        var token = Make(kind);
        using var http = new HttpClient { BaseAddress = _system.Api };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var path in new[] { "/api/whistles", "/api/audit", "/api/org" })
        {
            Assert.That((await http.GetAsync(path)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), path);
        }

        Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => PushClient.ConnectAsync(_system.Api, token));
    }

    [Test]
    public async Task Should_accept_a_well_made_token_so_that_the_refusals_mean_something()
    {
        using var http = new HttpClient { BaseAddress = _system.Api };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token());
        Assert.That((await http.GetAsync("/api/whistles")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await using var push = await PushClient.ConnectAsync(_system.Api, Token());
        Assert.That(await push.CatchUpAsync(0), Is.Not.Null);
    }

    [Test]
    public async Task Should_refuse_a_well_made_token_without_the_accounts_current_stamp()
    {
        var saved = _stamp;
        _stamp = "an-old-stamp";
        try
        {
            using var http = new HttpClient { BaseAddress = _system.Api };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token());
            Assert.That((await http.GetAsync("/api/audit")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => PushClient.ConnectAsync(_system.Api, Token()));
        }
        finally
        {
            _stamp = saved;
        }
    }
}
