using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Whistle.Api.Hosting;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// 三员分立 (issue 11): the system, security and audit administrators each hold one part of the administrative powers
/// and see no whistle; no account holds two of them; the county's supervisor keeps the business and loses the rest;
/// everything the administrators do is on the audit trail.
/// </summary>
[NonParallelizable]
public sealed class When_administrative_powers_are_split
{
    private WhistleSystem _system = null!;
    private readonly Dictionary<string, WhistleClient> _as = [];

    [OneTimeSetUp]
    public async Task Start()
    {
        // The system administrator's notice channel points at 127.0.0.1:9 (nothing listens).
        _system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?> { ["Whistle:Notices:AllowedNetworks"] = "127.0.0.0/8" });
        foreach (var user in new[] { "supervisor", "sysadmin", "secadmin", "auditadmin", "township.chengguan" })
        {
            _as[user] = await _system.SignInAsync(user);
        }
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        foreach (var c in _as.Values) c.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_take_the_administrative_powers_from_the_supervisor()
    {
        var supervisor = _as["supervisor"];
        var refused = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Get, "/api/users", null),
            (HttpMethod.Post, "/api/users", new { userName = "sneaky", displayName = "x", role = "township", orgId = "baiyun", password = "Sneaky-pass-2026" }),
            (HttpMethod.Post, "/api/users/township.baiyun/disable", null),
            (HttpMethod.Get, "/api/audit", null),
            (HttpMethod.Get, "/api/audit?format=csv", null),
            (HttpMethod.Get, "/api/audit/verify", null),
            (HttpMethod.Put, "/api/org/agencies/health", new { name = "改名", nameEn = "Renamed" }),
            (HttpMethod.Delete, "/api/whistle-list/street-vending", null),
            (HttpMethod.Get, "/api/notice-channels", null),
        };
        foreach (var (method, path, body) in refused)
        {
            Assert.That((await supervisor.SendAsync(method, path, body)).Status, Is.EqualTo(HttpStatusCode.Forbidden), $"{method} {path}");
        }

        // And keeps the business: the board's whistles, the assessment, exports.
        Assert.That((await supervisor.GetAsync("/api/whistles")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await supervisor.GetAsync("/api/stats/assessment")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await supervisor.GetAsync("/api/export/whistles")).Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("sysadmin")]
    [TestCase("secadmin")]
    [TestCase("auditadmin")]
    public async Task Should_show_an_administrator_no_whistle(string admin)
    {
        var client = _as[admin];
        var id = (await _as["township.chengguan"].RaiseAsync(WhistleClient.Raise("三员不可见", "street-vending", "routine"))).Str("id");
        foreach (var path in new[] { "/api/whistles", $"/api/whistles/{id}", "/api/assignments", "/api/meetings", "/api/stats/assessment", "/api/export/timeline" })
        {
            Assert.That((await client.GetAsync(path)).Status, Is.EqualTo(HttpStatusCode.Forbidden), $"{admin} {path}");
        }

        // Its hub connection joins no group: it is refused.
        Assert.CatchAsync<Exception>(async () => await (await _system.ConnectAsync(client)).DisposeAsync());
    }

    [Test]
    public async Task Should_let_no_account_hold_two_administrators_roles()
    {
        var secadmin = _as["secadmin"];
        // An administrator's account is created from the command line only.
        foreach (var role in new[] { "sysadmin", "secadmin", "auditadmin" })
        {
            var (status, problem, _) = await secadmin.PostAsync("/api/users", new { userName = $"second.{role}", displayName = "第二个", role, orgId = "qingshan", password = "Second-admin-2026" });
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), role);
            Assert.That(problem!["errors"]!["role"], Is.Not.Null, role);
        }

        // One role per account: a list or a joined pair is no role.
        var (list, _, _) = await secadmin.PostAsync("/api/users", new { userName = "two.roles", displayName = "两个角色", role = new[] { "township", "sysadmin" }, orgId = "baiyun", password = "Two-roles-2026" });
        Assert.That(list, Is.EqualTo(HttpStatusCode.BadRequest));
        var (joined, _, _) = await secadmin.PostAsync("/api/users", new { userName = "two.roles", displayName = "两个角色", role = "township,sysadmin", orgId = "baiyun", password = "Two-roles-2026" });
        Assert.That(joined, Is.EqualTo(HttpStatusCode.BadRequest));

        // No role change makes an administrator, or unmakes one, or touches the caller's own account.
        Assert.That((await secadmin.SendAsync(HttpMethod.Put, "/api/users/township.qingshi/role", new { role = "sysadmin", orgId = "qingshan" })).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await secadmin.SendAsync(HttpMethod.Put, "/api/users/auditadmin/role", new { role = "supervisor", orgId = "qingshan" })).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await secadmin.SendAsync(HttpMethod.Put, "/api/users/secadmin/role", new { role = "supervisor", orgId = "qingshan" })).Status, Is.EqualTo(HttpStatusCode.Forbidden));

        // Nor does the security administrator take over another administrator's account (or its own over this door).
        foreach (var target in new[] { "auditadmin", "sysadmin", "secadmin" })
        {
            Assert.That((await secadmin.PostAsync($"/api/users/{target}/password", new { password = "Taken-over-2026" })).Status, Is.EqualTo(HttpStatusCode.Forbidden), target);
            Assert.That((await secadmin.PostAsync($"/api/users/{target}/second-factor/disable")).Status, Is.EqualTo(HttpStatusCode.Forbidden), target);
        }

        using var auditor = await _system.SignInAsync("auditadmin");
        Assert.That((await auditor.GetAsync("/api/audit")).Status, Is.EqualTo(HttpStatusCode.OK), "the audit administrator's password is unchanged");
    }

    [Test]
    public async Task Should_move_a_business_account_to_another_role_and_end_its_old_tokens()
    {
        var secadmin = _as["secadmin"];
        using var before = await _system.SignInAsync("township.liuhe");
        var (status, account, _) = await secadmin.SendAsync(HttpMethod.Put, "/api/users/township.liuhe/role", new { role = "branch", orgId = "urban-management.liuhe" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), account?.ToJsonString());
        Assert.That(account!.Str("role"), Is.EqualTo("branch"));
        Assert.That((await before.GetAsync("/api/whistles")).Status, Is.EqualTo(HttpStatusCode.Unauthorized), "the token with the old role is dead");
        using var after = await _system.SignInAsync("township.liuhe");
        Assert.That(after.User.Str("role"), Is.EqualTo("branch"));

        var (_, audit, _) = await _as["auditadmin"].GetAsync("/api/audit?entity=account&action=role-changed");
        var entry = audit!["items"]!.AsArray().First(e => e!.Str("key") == "township.liuhe")!;
        Assert.That(entry["before"]!.Str("role"), Is.EqualTo("township"));
        Assert.That(entry["after"]!.Str("role"), Is.EqualTo("branch"));
    }

    [Test]
    public async Task Should_let_the_security_administrator_unlock_a_locked_account()
    {
        using var http = new HttpClient { BaseAddress = _system.Api };
        for (var i = 0; i < 5; i++)
        {
            await http.PostAsJsonAsync("/api/auth/token", new { userName = "township.qingshi", password = $"wrong-{i}" });
        }

        Assert.That((await http.PostAsJsonAsync("/api/auth/token", new { userName = "township.qingshi", password = "demo" })).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "locked");
        var (_, list, _) = await _as["secadmin"].GetAsync("/api/users");
        Assert.That(list!.AsArray().Single(a => a!.Str("userName") == "township.qingshi")!["lockedOut"]!.GetValue<bool>(), Is.True,
            "locked for this address: the list shows it, so that the security administrator sees what to unlock");
        Assert.That((await _as["secadmin"].PostAsync("/api/users/township.qingshi/unlock")).Status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await http.PostAsJsonAsync("/api/auth/token", new { userName = "township.qingshi", password = "demo" })).StatusCode, Is.EqualTo(HttpStatusCode.OK), "unlocked");
    }

    [Test]
    public async Task Should_put_everything_the_administrators_do_on_the_audit_trail()
    {
        await _as["sysadmin"].SendAsync(HttpMethod.Put, "/api/org/agencies/agriculture", new { name = "县农业农村局", nameEn = "County Agriculture Bureau" });
        var (channel, problem, _) = await _as["sysadmin"].SendAsync(HttpMethod.Put, "/api/notice-channels/admin-audited", new
        {
            unitKind = "branch", unitId = "urban-management.baiyun", kind = "webhook", url = "http://127.0.0.1:9/admin", secret = "admin-secret", events = new[] { "AssignmentEscalated" },
        });
        Assert.That(channel, Is.EqualTo(HttpStatusCode.OK), problem?.ToJsonString());
        await _as["secadmin"].PostAsync("/api/users", new { userName = "audited.user", displayName = "审计用例", role = "township", orgId = "baiyun", password = "Audited-user-2026" });
        await _as["auditadmin"].GetAsync("/api/audit/verify");
        await _as["auditadmin"].Http.GetStringAsync("/api/audit?format=jsonl&entity=account");

        var (_, audit, _) = await _as["auditadmin"].GetAsync("/api/audit?kind=changes&pageSize=100");
        var entries = audit!["items"]!.AsArray().Select(e => (e!.Str("userName"), e!.Str("entity"), e!.Str("action"))).ToList();
        Assert.That(entries, Is.SupersetOf(new[]
        {
            ("sysadmin", "agency", "changed"), ("sysadmin", "notice-channel", "created"), ("secadmin", "account", "created"),
            ("auditadmin", "audit", "verified"), ("auditadmin", "audit", "exported"),
        }));

        // Sign-ins apart from changes.
        var (_, signIns, _) = await _as["auditadmin"].GetAsync("/api/audit?kind=sign-ins&pageSize=100");
        Assert.That(signIns!["items"]!.AsArray().Select(e => e!.Str("action")), Is.Not.Empty.And.All.AnyOf("signed-in", "sign-in-failed", "sign-in-refused", "locked-out", "locked-out-everywhere"));
        var (_, mine, _) = await _as["auditadmin"].GetAsync("/api/audit?user=secadmin&pageSize=100");
        Assert.That(mine!["items"]!.AsArray().Select(e => e!.Str("userName")), Is.Not.Empty.And.All.EqualTo("secadmin"));
    }

    [Test]
    public async Task Should_refuse_an_administrators_token_that_must_first_enrol_a_second_factor()
    {
        // A real (not demo) system administrator, created as at a production first start: its role requires a second
        // factor, so its first token is restricted and opens none of its endpoints until it enrols.
        var settings = TestSettings.Embedded(_system.DataFolder);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddWhistleApi();
        await using (var app = builder.Build())
        {
            using var output = new StringWriter();
            var code = await AdminCommands.RunAsync(app, ["create-user", "--user", "ops.sys", "--name", "信息中心 系统管理员", "--role", "sysadmin", "--org", "qingshan"], new StringReader("Ops-sysadmin-2026\n"), output);
            Assert.That(code, Is.Zero, output.ToString());
        }

        using var http = new HttpClient { BaseAddress = _system.Api };
        var answer = JsonNode.Parse(await (await http.PostAsJsonAsync("/api/auth/token", new { userName = "ops.sys", password = "Ops-sysadmin-2026" })).Content.ReadAsStringAsync())!;
        Assert.That(answer["mustEnrolSecondFactor"]!.GetValue<bool>(), Is.True, answer.ToJsonString());
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", answer.Str("accessToken"));
        foreach (var path in new[] { "/api/notice-channels", "/api/org", "/api/whistle-list" })
        {
            Assert.That((await http.GetAsync(path)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), path);
        }

        Assert.That((await http.GetAsync("/api/auth/second-factor")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "it may enrol");
    }
}
