using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Api.Auth;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// 身份鉴别 (等保 2.0 level 3, issue 11): password complexity and age, the browser's idle timeout in the token answer,
/// and a second factor (TOTP) that administrators must have.
/// </summary>
[NonParallelizable]
public sealed class When_an_account_identifies_itself
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private WhistleSystem _system = null!;
    private WhistleClient _supervisor = null!;
    private HttpClient _anonymous = null!;
    private int _accounts;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync(
            s => s.AddSingleton<TimeProvider>(_clock),
            new Dictionary<string, string?> { ["Whistle:Auth:IdleTimeout"] = "00:20:00", ["Whistle:Auth:PasswordMaxAge"] = "90.00:00:00" });
        _anonymous = new HttpClient { BaseAddress = _system.Api };
    }

    // Each test signs the supervisor in anew: the tests move the clock on by months.
    [SetUp]
    public async Task SignInSupervisor() => _supervisor = await _system.SignInAsync("secadmin");

    [TearDown]
    public void SignOutSupervisor() => _supervisor?.Dispose();

    [OneTimeTearDown]
    public async Task Stop()
    {
        _anonymous?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private async Task<(string UserName, string Password)> NewAccountAsync(string role = "township", string org = "baiyun")
    {
        var userName = $"person{Interlocked.Increment(ref _accounts)}";
        const string password = "Duty-roster-2026";
        var (status, body, _) = await _supervisor.PostAsync("/api/users", new { userName, displayName = "值班员", role, orgId = org, password });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return (userName, password);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PostAnonymous(string path, object body)
    {
        var response = await _anonymous.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, string.IsNullOrEmpty(text) ? null : JsonNode.Parse(text));
    }

    private HttpClient Bearer(string token)
    {
        var http = new HttpClient { BaseAddress = _system.Api };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private string CodeNow(string secret, int stepOffset = 0) => Totp.Code(Base32.Decode(secret), Totp.StepAt(_clock.GetUtcNow()) + stepOffset);

    [Test]
    public async Task Should_refuse_weak_passwords_wherever_a_password_is_set()
    {
        foreach (var weak in new[] { "short", "onlylowercaseletters", "P@ssw0rd123", "weak.user-Name1" })
        {
            var (status, body, _) = await _supervisor.PostAsync("/api/users", new { userName = "weak.user", displayName = "弱", role = "township", orgId = "baiyun", password = weak });
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), weak);
            Assert.That(body!["errors"]!["password"], Is.Not.Null, weak);
        }

        var (set, _, _) = await _supervisor.PostAsync("/api/users/township.liuhe/password", new { password = "alllowercaseletters" });
        Assert.That(set, Is.EqualTo(HttpStatusCode.BadRequest));
        var (userName, password) = await NewAccountAsync();
        using var own = await WhistleClient.SignInAsync(_system.Api, userName, password);
        var (changed, problem, _) = await own.PostAsync("/api/auth/password", new { currentPassword = password, newPassword = "Admin@12345" });
        Assert.That(changed, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem!["errors"]!["newPassword"], Is.Not.Null);
    }

    [Test]
    public async Task Should_tell_the_browser_its_idle_timeout_in_the_token_answer()
    {
        var (status, body) = await PostAnonymous("/api/auth/token", new { userName = "branch.health.chengguan", password = "demo" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["idleTimeoutSeconds"]!.GetValue<int>(), Is.EqualTo(20 * 60));
    }

    [Test]
    public async Task Should_let_an_expired_password_sign_in_only_to_be_changed_and_end_the_old_tokens()
    {
        var (userName, password) = await NewAccountAsync();
        using var early = await WhistleClient.SignInAsync(_system.Api, userName, password);
        Assert.That((await early.GetAsync("/api/whistles")).Status, Is.EqualTo(HttpStatusCode.OK));

        _clock.Advance(TimeSpan.FromDays(91));
        var (status, answer) = await PostAnonymous("/api/auth/token", new { userName, password });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(answer!["mustChangePassword"]!.GetValue<bool>(), Is.True);
        using var restricted = Bearer(answer["accessToken"]!.GetValue<string>());
        Assert.That((await restricted.GetAsync("/api/whistles")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "an expired password opens nothing but the change");
        Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => PushClient.ConnectAsync(_system.Api, answer["accessToken"]!.GetValue<string>()));

        var change = await restricted.PostAsJsonAsync("/api/auth/password", new { currentPassword = password, newPassword = "Duty-roster-2027" });
        Assert.That(change.StatusCode, Is.EqualTo(HttpStatusCode.OK), await change.Content.ReadAsStringAsync());
        var fresh = JsonNode.Parse(await change.Content.ReadAsStringAsync())!;
        Assert.That(fresh["mustChangePassword"]!.GetValue<bool>(), Is.False);
        using var full = Bearer(fresh["accessToken"]!.GetValue<string>());
        Assert.That((await full.GetAsync("/api/whistles")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await restricted.GetAsync("/api/auth/second-factor")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the tokens from before the change are dead");
        Assert.That((await PostAnonymous("/api/auth/token", new { userName, password })).Status, Is.EqualTo(HttpStatusCode.Unauthorized), "the old password no longer signs in");

        using var auditor = await _system.SignInAsync("auditadmin");
        var (_, audit, _) = await auditor.GetAsync($"/api/audit?entity=account&pageSize=100");
        Assert.That(audit!["items"]!.AsArray().Any(e => e!.Str("key") == userName && e!.Str("action") == "password-changed"), Is.True);
    }

    [Test]
    public async Task Should_make_an_administrator_enrol_a_second_factor_and_then_ask_for_a_code_each_time()
    {
        var (userName, password) = await NewAccountAsync("supervisor", "qingshan");

        // Required for the role: the first sign-in gives a token that can only enrol.
        var (_, first) = await PostAnonymous("/api/auth/token", new { userName, password });
        Assert.That(first!["mustEnrolSecondFactor"]!.GetValue<bool>(), Is.True);
        using var enrolling = Bearer(first["accessToken"]!.GetValue<string>());
        Assert.That((await enrolling.GetAsync("/api/whistles")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var enrolment = JsonNode.Parse(await (await enrolling.PostAsync("/api/auth/second-factor/enrol", null)).Content.ReadAsStringAsync())!;
        var secret = enrolment.Str("secret");
        Assert.That(enrolment.Str("otpauthUri"), Does.StartWith($"otpauth://totp/Whistle:{userName}?secret={secret}"));

        // Kept protected at rest: the database does not hold the secret.
        var stored = await _system.Database.ReadAsync(c => c.ExecuteScalarAsync<string>("SELECT totp_pending_secret FROM users WHERE user_name = @userName", new { userName }), CancellationToken.None);
        Assert.That(stored, Is.Not.Null.And.Not.Contain(secret));

        var wrong = await enrolling.PostAsJsonAsync("/api/auth/second-factor/confirm", new { code = CodeNow(secret, 5) });
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var confirmed = await enrolling.PostAsJsonAsync("/api/auth/second-factor/confirm", new { code = CodeNow(secret) });
        Assert.That(confirmed.StatusCode, Is.EqualTo(HttpStatusCode.OK), await confirmed.Content.ReadAsStringAsync());
        using (var full = Bearer(JsonNode.Parse(await confirmed.Content.ReadAsStringAsync())!.Str("accessToken")))
        {
            Assert.That((await full.GetAsync("/api/whistles")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        // From now on the password alone gives no token, only a challenge for the code.
        _clock.Advance(TimeSpan.FromSeconds(60));
        var (_, challenge) = await PostAnonymous("/api/auth/token", new { userName, password });
        Assert.That(challenge!["secondFactorRequired"]!.GetValue<bool>(), Is.True);
        Assert.That(challenge["accessToken"], Is.Null);
        var (badCode, badAnswer) = await PostAnonymous("/api/auth/token/second-factor", new { challenge = challenge.Str("challenge"), code = CodeNow(secret, 3) });
        var (_, wrongPassword) = await PostAnonymous("/api/auth/token", new { userName, password = "Not-the-password-1" });
        Assert.That(badCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(badAnswer!["detail"]!.GetValue<string>(), Is.EqualTo(wrongPassword!["detail"]!.GetValue<string>()), "a wrong code is answered like a wrong password");

        var code = CodeNow(secret);
        var (ok, token) = await PostAnonymous("/api/auth/token/second-factor", new { challenge = challenge.Str("challenge"), code });
        Assert.That(ok, Is.EqualTo(HttpStatusCode.OK), token?.ToJsonString());
        Assert.That(token!["mustEnrolSecondFactor"]!.GetValue<bool>(), Is.False);
        using (var full = Bearer(token.Str("accessToken")))
        {
            Assert.That((await full.GetAsync("/api/whistles")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var (_, again) = await PostAnonymous("/api/auth/token", new { userName, password });
        Assert.That((await PostAnonymous("/api/auth/token/second-factor", new { challenge = again!.Str("challenge"), code })).Status, Is.EqualTo(HttpStatusCode.Unauthorized), "each code signs in once");

        // Required for the role: its owner cannot remove it; the security administrator can (a lost phone), and that ends its sessions.
        using var owner = Bearer(token.Str("accessToken"));
        Assert.That((await owner.PostAsJsonAsync("/api/auth/second-factor/disable", new { password })).StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((await _supervisor.PostAsync($"/api/users/{userName}/second-factor/disable")).Status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await owner.GetAsync("/api/whistles")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var (_, afterReset) = await PostAnonymous("/api/auth/token", new { userName, password });
        Assert.That(afterReset!["mustEnrolSecondFactor"]!.GetValue<bool>(), Is.True);

        using var auditadmin = await _system.SignInAsync("auditadmin");
        var (_, audit, _) = await auditadmin.GetAsync($"/api/audit?entity=account&pageSize=100");
        var actions = audit!["items"]!.AsArray().Where(e => e!.Str("key") == userName).Select(e => e!.Str("action")).ToList();
        Assert.That(actions, Is.SupersetOf(new[] { "second-factor-enrolled", "second-factor-disabled", "signed-in", "sign-in-failed" }));
    }

    [Test]
    public async Task Should_let_any_account_enrol_and_remove_its_own_second_factor()
    {
        var (userName, password) = await NewAccountAsync("branch", "health.chengguan");
        using var branch = await WhistleClient.SignInAsync(_system.Api, userName, password);
        var (_, status, _) = await branch.GetAsync("/api/auth/second-factor");
        Assert.That(status!["required"]!.GetValue<bool>(), Is.False);
        var (_, enrolment, _) = await branch.PostAsync("/api/auth/second-factor/enrol");
        var (confirmed, token, _) = await branch.PostAsync("/api/auth/second-factor/confirm", new { code = CodeNow(enrolment!.Str("secret")) });
        Assert.That(confirmed, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await branch.GetAsync("/api/whistles")).Status, Is.EqualTo(HttpStatusCode.Unauthorized), "enrolling ends the sessions from before");

        using var withCode = Bearer(token!.Str("accessToken"));
        Assert.That((await withCode.PostAsJsonAsync("/api/auth/second-factor/disable", new { password = "Wrong-password-1" })).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var removed = await withCode.PostAsJsonAsync("/api/auth/second-factor/disable", new { password });
        Assert.That(removed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var (_, plain) = await PostAnonymous("/api/auth/token", new { userName, password });
        Assert.That(plain!["accessToken"], Is.Not.Null, "without a second factor the password signs in again");
    }
}
