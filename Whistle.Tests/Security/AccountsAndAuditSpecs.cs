using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Whistle.Api.Hosting;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>Accounts the security administrator manages, the audit trail of every action, headers, and logs without tokens.</summary>
[NonParallelizable]
public sealed class When_the_security_administrator_manages_accounts_and_the_audit_administrator_reads_the_trail
{
    [Test]
    public async Task Should_create_disable_and_enable_accounts_and_audit_every_action_with_its_address()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var supervisor = await system.SignInAsync("secadmin");
        using var auditor = await system.SignInAsync("auditadmin");
        var (created, account, _) = await supervisor.PostAsync("/api/users", new { userName = "li.na", displayName = "李娜", role = "township", orgId = "baiyun", password = "bai-yun-2026-duty" });
        Assert.That(created, Is.EqualTo(HttpStatusCode.Created), account?.ToJsonString());
        Assert.That(account!.Str("orgName"), Is.EqualTo("白云乡"));
        Assert.That((await supervisor.PostAsync("/api/users", new { userName = "li.na", displayName = "x", role = "township", orgId = "baiyun", password = "bai-yun-2026-duty" })).Status, Is.EqualTo(HttpStatusCode.Conflict));
        var (weak, problem, _) = await supervisor.PostAsync("/api/users", new { userName = "wang", displayName = "王", role = "branch", orgId = "no-such-branch", password = "short" });
        Assert.That(weak, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem!["errors"]!.AsObject().Select(e => e.Key), Is.SupersetOf(new[] { "orgId", "password" }));

        using var liNa = await WhistleClient.SignInAsync(system.Api, "li.na", "bai-yun-2026-duty");
        var id = (await liNa.RaiseAsync(WhistleClient.Raise("白云乡山体裂缝", "geological-hazard", "urgent"))).Str("id");
        Assert.That((await supervisor.PostAsync("/api/users/li.na/disable")).Status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await liNa.GetAsync("/api/whistles")).Status, Is.EqualTo(HttpStatusCode.Unauthorized), "the disabled account's token no longer opens anything");
        Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => PushClient.ConnectAsync(system.Api, liNa.Token));
        using var anonymous = new HttpClient { BaseAddress = system.Api };
        var refused = await anonymous.PostAsync("/api/auth/token", System.Net.Http.Json.JsonContent.Create(new { userName = "li.na", password = "bai-yun-2026-duty" }));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a disabled account cannot sign in");
        Assert.That((await supervisor.PostAsync("/api/users/secadmin/disable")).Status, Is.EqualTo(HttpStatusCode.Conflict), "nobody locks themselves out");
        Assert.That((await supervisor.PostAsync("/api/users/li.na/enable")).Status, Is.EqualTo(HttpStatusCode.NoContent));
        using var again = await WhistleClient.SignInAsync(system.Api, "li.na", "bai-yun-2026-duty");

        var (_, audit, _) = await auditor.GetAsync("/api/audit?pageSize=100");
        var entries = audit!["items"]!.AsArray().Select(e => e!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(entries.Any(e => e.Str("entity") == "whistle" && e.Str("key") == id && e.Str("action") == "raised" && e.Str("userName") == "li.na"), Is.True);
            Assert.That(entries.Select(e => (e.Str("key"), e.Str("action"))), Is.SupersetOf(new[]
            {
                ("li.na", "created"), ("li.na", "disabled"), ("li.na", "enabled"), ("li.na", "signed-in"), ("li.na", "sign-in-failed"),
            }));
            Assert.That(entries.Where(e => e.Str("userName") == "li.na").Select(e => (string?)e["remoteAddress"]), Is.All.EqualTo("127.0.0.1"));
        });

        var csv = await auditor.Http.GetByteArrayAsync("/api/audit?format=csv&entity=account");
        Assert.That(csv.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }));
        Assert.That(Encoding.UTF8.GetString(csv), Does.Contain("secadmin,青山县信息中心 安全管理员,127.0.0.1,account,li.na,created"));
        var lines = (await auditor.Http.GetStringAsync("/api/audit?format=jsonl&entity=whistle")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.Str("entity")), Is.All.EqualTo("whistle"));

        using var township = await system.SignInAsync("township.baiyun");
        Assert.That((await township.GetAsync("/api/users")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public void Should_never_update_or_delete_audit_rows_in_code_but_to_seal_and_to_prune_the_chain()
    {
        // Two statements only, in every dialect: the sealer sets the chain columns of rows not yet sealed (a batch in
        // one statement), and the pruner removes a prefix of the chain past the retention (both AuditTrail's, asked for
        // by AuditChain). Nothing else changes or removes an audit row.
        foreach (var dialect in new SqlDialect[] { SqliteDialect.Instance, PostgreSqlDialect.Instance, SqlServerDialect.Instance })
        {
            var statements = Data.When_SQL_Server_reads_our_SQL.Constants()
                .Concat(Data.When_SQL_Server_reads_our_SQL.Composed(dialect))
                .Where(s => s.Sql.Contains("audit_log", StringComparison.OrdinalIgnoreCase)
                    && (s.Sql.Contains("UPDATE ", StringComparison.OrdinalIgnoreCase) || s.Sql.Contains("DELETE ", StringComparison.OrdinalIgnoreCase)))
                .ToList();
            Assert.That(statements.Select(s => s.Name), Is.EquivalentTo(new[] { "AuditTrail.SealRowsSql", "AuditTrail.PruneSql" }), dialect.Provider.ToString());
            Assert.That(statements.Single(s => s.Name == "AuditTrail.SealRowsSql").Sql,
                Does.Contain("SET chain_position = s.position, prev_hash = s.prev_hash, hash = s.hash ").And.EndWith("WHERE t.id = s.id AND t.hash IS NULL;"),
                dialect.Provider.ToString());
        }
    }

    [Test]
    public async Task Should_create_the_first_supervisor_from_the_command_line()
    {
        var folder = TestSettings.NewDataFolder();
        var settings = TestSettings.Embedded(folder);
        settings["Whistle:Demo:Enabled"] = "false";
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddWhistleApi();
        await using (var app = builder.Build())
        {
            using var output = new StringWriter();
            var code = await AdminCommands.RunAsync(app, ["create-user", "--user", "admin", "--name", "县督查室 管理员", "--role", "supervisor", "--org", "qingshan"], new StringReader("Correct-horse-battery\n"), output);
            Assert.That(code, Is.Zero, output.ToString());
            var bad = await AdminCommands.RunAsync(app, ["create-user", "--user", "x", "--role", "mayor"], new StringReader("short\n"), output);
            Assert.That(bad, Is.EqualTo(2));
            Assert.That(output.ToString(), Does.Contain("usage: create-user"));
        }

        await using var api = await ApiHost.StartAsync(settings);
        using var admin = await WhistleClient.SignInAsync(api.BaseAddress, "admin", "Correct-horse-battery");
        Assert.That(admin.User.Str("role"), Is.EqualTo("supervisor"));
        var (status, _, _) = await admin.GetAsync("/api/users");
        Assert.That(status, Is.EqualTo(System.Net.HttpStatusCode.Forbidden), "a supervisor without a second factor signs in only to enrol one (Whistle:Auth:RequireSecondFactorFor)");

        // It enrols; then the phone is lost and no other supervisor exists: the command line removes the second factor.
        var (_, enrolment, _) = await admin.PostAsync("/api/auth/second-factor/enrol");
        var secret = Whistle.Api.Auth.Base32.Decode(enrolment!.Str("secret"));
        var (confirmed, _, _) = await admin.PostAsync("/api/auth/second-factor/confirm", new { code = Whistle.Api.Auth.Totp.Code(secret, Whistle.Api.Auth.Totp.StepAt(DateTimeOffset.UtcNow)) });
        Assert.That(confirmed, Is.EqualTo(HttpStatusCode.OK));
        using var anonymous = new HttpClient { BaseAddress = api.BaseAddress };
        async Task<System.Text.Json.Nodes.JsonNode> SignIn() => System.Text.Json.Nodes.JsonNode.Parse(await (await anonymous.PostAsync(
            "/api/auth/token", System.Net.Http.Json.JsonContent.Create(new { userName = "admin", password = "Correct-horse-battery" }))).Content.ReadAsStringAsync())!;
        Assert.That((await SignIn())["secondFactorRequired"]!.GetValue<bool>(), Is.True);
        await using (var app = builder2().Build())
        {
            using var output = new StringWriter();
            Assert.That(await AdminCommands.RunAsync(app, ["disable-second-factor", "--user", "admin"], new StringReader(""), output), Is.Zero, output.ToString());
            Assert.That(await AdminCommands.RunAsync(app, ["disable-second-factor", "--user", "nobody"], new StringReader(""), output), Is.EqualTo(2));
        }

        Assert.That((await SignIn())["mustEnrolSecondFactor"]!.GetValue<bool>(), Is.True, "it enrols again");

        WebApplicationBuilder builder2()
        {
            var b = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
            b.Configuration.AddInMemoryCollection(settings);
            b.Logging.ClearProviders();
            b.AddWhistleApi();
            return b;
        }
    }

    [Test]
    public void Should_refuse_demo_mode_when_the_configuration_says_production()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Production"] = "true";
        settings["Whistle:Demo:Enabled"] = "true";
        var ex = Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => ApiHost.StartAsync(settings));
        Assert.That(ex!.Message, Does.Contain("Whistle:Production"));
    }

    [Test]
    public async Task Should_send_security_headers_and_a_content_security_policy_without_inline_script()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var http = new HttpClient { BaseAddress = system.Api };
        foreach (var path in new[] { "/", "/api/demo/users", "/township" })
        {
            var response = await http.GetAsync(path);
            var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Multiple(() =>
            {
                Assert.That(csp, Does.Contain("script-src 'self'").And.Not.Contain("'unsafe-inline' ;").And.Not.Match("script-src[^;]*unsafe"));
                Assert.That(csp, Does.Contain("frame-ancestors 'none'"));
                Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
                Assert.That(response.Headers.GetValues("Referrer-Policy"), Is.EqualTo(new[] { "no-referrer" }));
            });
        }

        var index = await http.GetStringAsync("/");
        Assert.That(System.Text.RegularExpressions.Regex.Matches(index, "<script(?![^>]*\\bsrc=)[^>]*>"), Is.Empty, "no inline script in the page");
    }

    [Test]
    public async Task Should_never_write_a_token_into_the_logs()
    {
        var logs = new CapturingLoggerProvider();
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Logging:LogLevel:Default"] = "Trace";
        settings["Logging:LogLevel:Microsoft"] = "Trace";
        settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        await using var api = await ApiHost.StartAsync(settings, logs: logs);
        using var branch = await WhistleClient.SignInAsync(api.BaseAddress, "branch.health.chengguan");
        await using (var push = await PushClient.ConnectAsync(api.BaseAddress, branch.Token))
        {
            await push.CatchUpAsync(0);
        }

        await branch.GetAsync("/api/assignments");
        var text = logs.Text;
        Assert.That(text.Length, Is.GreaterThan(1000), "the logs were captured");
        Assert.That(text, Does.Not.Contain(branch.Token[^40..]));
        Assert.That(text, Does.Not.Contain("access_token="));
    }
}

/// <summary>Keeps every log line a host writes, for tests that read them.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly StringBuilder _text = new();

    public string Text
    {
        get
        {
            lock (_text) return _text.ToString();
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._text) owner._text.Append(category).Append(": ").AppendLine(formatter(state, exception));
        }
    }
}
