using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 11, finding 4: a robot's URL is a credential (the WeCom key, the DingTalk access token, the Feishu hook
/// token), like a signing secret. They are kept encrypted in the database, answered and audited masked, and still
/// used by the dispatcher — another host on the same database, which decrypts what the Api encrypted.
/// </summary>
[NonParallelizable]
public sealed class When_notice_channels_hold_credentials
{
    private const string DingSecret = "SECding-credential-secret-0001", FeishuSecret = "feishu-credential-secret-0002", HookSecret = "hook-credential-secret-0003";
    private readonly string _wecomKey = Guid.NewGuid().ToString();
    private readonly string _dingToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    private readonly string _feishuToken = Guid.NewGuid().ToString();
    private readonly string _hookToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly CapturingLoggerProvider _dispatcherLogs = new();
    private string _folder = null!;
    private RabbitBroker _broker = null!;
    private NoticeReceiver _receiver = null!;
    private ApiHost _api = null!;
    private DispatcherHost _dispatcher = null!;
    private DispatcherHost? _second;
    private WhistleClient _supervisor = null!;

    private Dictionary<string, string?> Settings()
    {
        var settings = TestSettings.Distributed(_folder, _broker);
        foreach (var (key, value) in NoticeSteps.FastNotices(("Whistle:Notices:AllowedNetworks", "127.0.0.0/8"), ("Whistle:Notices:MaxAttempts", "3"), ("Whistle:Notices:RetryBaseDelay", "00:00:00.100")))
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A dispatcher's: the platforms' hosts sent to the receiver, and every log line kept (every category at Trace).</summary>
    private void DispatcherServices(IServiceCollection services)
    {
        PlatformHostsToReceiver.Services(_receiver.Address)(services);
        services.AddSingleton<ILoggerProvider>(_dispatcherLogs);
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace));
    }

    [OneTimeSetUp]
    public async Task Start()
    {
        _broker = RabbitBroker.RequireRunning();
        _folder = TestSettings.NewDataFolder();
        _receiver = await NoticeReceiver.StartAsync();
        _api = await ApiHost.StartAsync(Settings(), PlatformHostsToReceiver.Services(_receiver.Address));
        _dispatcher = await DispatcherHost.StartAsync(Settings(), DispatcherServices);
        _supervisor = await WhistleClient.SignInAsync(_api.BaseAddress, "sysadmin");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _supervisor?.Dispose();
        if (_second is not null) await _second.DisposeAsync();
        if (_dispatcher is not null) await _dispatcher.DisposeAsync();
        if (_api is not null) await _api.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
        _broker?.Delete();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            if (_folder is not null) Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still open by a finalising pool; the temp folder is cleaned by the OS
        }
    }

    private WhistleDatabase Database => _api.Services.GetRequiredService<WhistleDatabase>();

    private async Task<(string Id, string Title)> RaiseAsync(string township)
    {
        using var client = await WhistleClient.SignInAsync(_api.BaseAddress, $"township.{township}");
        var title = $"占道经营密钥{Guid.NewGuid():N}"[..14];
        var id = (await client.RaiseAsync(WhistleClient.Raise(title, "street-vending", "urgent"))).Str("id");
        await client.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        return (id, title);
    }

    private static string Hmac(byte[] key, string message) => Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message)));

    [Test]
    public async Task Should_keep_robot_urls_and_secrets_encrypted_answer_and_audit_them_masked_and_still_deliver_from_the_dispatcher()
    {
        const string branch = "urban-management.chengguan";
        var wecomUrl = $"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={_wecomKey}";
        var dingUrl = $"https://oapi.dingtalk.com/robot/send?access_token={_dingToken}";
        var feishuUrl = $"https://open.feishu.cn/open-apis/bot/v2/hook/{_feishuToken}";
        var hookUrl = _receiver.Url($"/signed?token={_hookToken}");
        var (status, created, _) = await NoticeSteps.PutChannelAsync(_supervisor, "cred-wecom", "wecom", wecomUrl, branch);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), created?.ToJsonString());
        Assert.That((await NoticeSteps.PutChannelAsync(_supervisor, "cred-ding", "dingtalk", dingUrl, branch, DingSecret)).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await NoticeSteps.PutChannelAsync(_supervisor, "cred-feishu", "feishu", feishuUrl, branch, FeishuSecret)).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await NoticeSteps.PutChannelAsync(_supervisor, "cred-hook", "webhook", hookUrl, branch, HookSecret)).Status, Is.EqualTo(HttpStatusCode.OK));
        string[] credentials = [_wecomKey, _dingToken, _feishuToken, _hookToken, DingSecret, FeishuSecret, HookSecret];

        // At rest: no credential, no clear URL, in any column of the channels.
        var rows = (await Database.ReadAsync(c => c.QueryAsync<(string Url, string? Secret)>("SELECT url, secret FROM notice_channels WHERE id LIKE 'cred-%'"), CancellationToken.None)).ToList();
        Assert.That(rows, Has.Count.EqualTo(4));
        var stored = string.Join("\n", rows.Select(r => $"{r.Url} {r.Secret}"));
        Assert.Multiple(() =>
        {
            foreach (var credential in credentials) Assert.That(stored, Does.Not.Contain(credential));
            Assert.That(stored, Does.Not.Contain("qyapi.weixin.qq.com").And.Not.Contain("oapi.dingtalk.com").And.Not.Contain("open.feishu.cn").And.Not.Contain("/signed"));
            Assert.That(rows.Count(r => r.Secret is not null), Is.EqualTo(3));
        });

        // Answered masked: host and path kept, tokens cut to their last four characters.
        var expected = new Dictionary<string, string>
        {
            ["cred-wecom"] = $"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…{_wecomKey[^4..]}",
            ["cred-ding"] = $"https://oapi.dingtalk.com/robot/send?access_token=…{_dingToken[^4..]}",
            ["cred-feishu"] = $"https://open.feishu.cn/open-apis/bot/v2/hook/…{_feishuToken[^4..]}",
            ["cred-hook"] = $"http://127.0.0.1:{_receiver.Port}/signed?token=…{_hookToken[^4..]}",
        };
        Assert.That(created!.Str("url"), Is.EqualTo(expected["cred-wecom"]));
        var (_, list, _) = await _supervisor.GetAsync("/api/notice-channels");
        Assert.Multiple(() =>
        {
            foreach (var credential in credentials) Assert.That(list!.ToJsonString(), Does.Not.Contain(credential));
            foreach (var (id, url) in expected) Assert.That(list!.AsArray().Single(c => c!.Str("id") == id)!.Str("url"), Is.EqualTo(url), id);
        });

        // A client that sends the masked URL back (to change the events only) keeps the stored one.
        var (changed, body, _) = await NoticeSteps.PutChannelAsync(
            _supervisor, "cred-wecom", "wecom", expected["cred-wecom"], branch, events: ["AssignmentDispatched", "AssignmentEscalated"]);
        Assert.That(changed, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());

        // Audited masked: the trail (read in the database and through the API) never holds a credential.
        var audited = (await Database.ReadAsync(
            c => c.QueryAsync<string>("SELECT before_json FROM audit_log WHERE entity = 'notice-channel' UNION ALL SELECT after_json FROM audit_log WHERE entity = 'notice-channel'"),
            CancellationToken.None)).Where(j => j is not null).ToList();
        var audit = string.Join("\n", audited);
        var auditedUrls = audited.Select(j => JsonNode.Parse(j)!.Str("url")).ToList();
        using var auditor = await WhistleClient.SignInAsync(_api.BaseAddress, "auditadmin");
        var (_, trail, _) = await auditor.GetAsync("/api/audit?entity=notice-channel");
        Assert.Multiple(() =>
        {
            foreach (var credential in credentials)
            {
                Assert.That(audit, Does.Not.Contain(credential));
                Assert.That(trail!.ToJsonString(), Does.Not.Contain(credential));
            }

            Assert.That(auditedUrls, Is.SupersetOf(expected.Values));
            Assert.That(auditedUrls.Count(u => u == expected["cred-wecom"]), Is.EqualTo(3), "created, and changed (before and after)");
            Assert.That(audit, Does.Contain("AssignmentEscalated"), "the change is on the trail");
        });

        // Delivered by the dispatcher, which decrypts what the Api encrypted: the real key, token and signatures.
        var before = DateTimeOffset.UtcNow;
        var (id, title) = await RaiseAsync("chengguan");
        var wecom = await _receiver.WaitForAsync("/cgi-bin/webhook/send", title);
        var ding = await _receiver.WaitForAsync("/robot/send", title);
        var feishu = await _receiver.WaitForAsync($"/open-apis/bot/v2/hook/{_feishuToken}", title);
        var hook = await _receiver.WaitForAsync("/signed", id); // the WhistleEvent JSON (its Chinese escaped)
        Assert.Multiple(() =>
        {
            Assert.That(wecom.Query, Is.EqualTo($"?key={_wecomKey}"));
            var q = System.Web.HttpUtility.ParseQueryString(ding.Query);
            Assert.That(q["access_token"], Is.EqualTo(_dingToken));
            Assert.That(q["sign"], Is.EqualTo(Hmac(Encoding.UTF8.GetBytes(DingSecret), $"{q["timestamp"]}\n{DingSecret}")));
            var f = JsonNode.Parse(feishu.Body)!;
            Assert.That(f.Str("sign"), Is.EqualTo(Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes($"{f.Str("timestamp")}\n{FeishuSecret}"), Array.Empty<byte>()))));
            Assert.That(hook.Query, Is.EqualTo($"?token={_hookToken}"));
            var hts = hook.Headers["X-Whistle-Timestamp"];
            Assert.That(long.Parse(hts, CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(before.ToUnixTimeSeconds() - 5));
            Assert.That(hook.Headers["X-Whistle-Signature"], Is.EqualTo("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HookSecret), Encoding.UTF8.GetBytes($"{hts}.{hook.Body}")))));
        });

        // Nothing the dispatchers logged (every category at Trace) holds a credential. The sender logs a notice sent once
        // the receiver has answered: the request can arrive before the line is written.
        for (var waited = 0; !_dispatcherLogs.Text.Contains("to channel cred-wecom", StringComparison.Ordinal) && waited < 300; waited++)
        {
            await Task.Delay(100);
        }

        Assert.Multiple(() =>
        {
            Assert.That(_dispatcherLogs.Text, Does.Contain("cred-wecom"), "the logs were captured");
            foreach (var credential in credentials) Assert.That(_dispatcherLogs.Text, Does.Not.Contain(credential));
        });
    }

    [Test]
    public async Task Should_encrypt_the_plain_rows_of_an_earlier_version_when_an_instance_starts_and_still_deliver_them()
    {
        // A channel as the previous version stored it: URL and secret in clear.
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        const string secret = "SECplain-row-secret-0004";
        await Database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(
                    """
                    INSERT INTO notice_channels (id, unit_kind, unit_id, kind, url, secret, events, created_at, updated_at)
                    VALUES ('plain-ding', 'branch', 'urban-management.qingshi', 'dingtalk', @Url, @Secret, 'AssignmentDispatched', @Now, @Now);
                    """,
                    new { Url = $"https://oapi.dingtalk.com/robot/send?access_token={token}", Secret = secret, Now = DateTimeOffset.UtcNow },
                    unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);

        // Another dispatcher instance starts (a rolling upgrade): it encrypts the row before it sends anything.
        _second = await DispatcherHost.StartAsync(Settings(), DispatcherServices);
        var row = await Database.ReadAsync(c => c.QuerySingleAsync<(string Url, string? Secret)>("SELECT url, secret FROM notice_channels WHERE id = 'plain-ding'"), CancellationToken.None);
        Assert.That($"{row.Url} {row.Secret}", Does.Not.Contain(token).And.Not.Contain(secret).And.Not.Contain("dingtalk"));

        var (_, channel, _) = await _supervisor.GetAsync("/api/notice-channels/plain-ding");
        Assert.That(channel!.Str("url"), Is.EqualTo($"https://oapi.dingtalk.com/robot/send?access_token=…{token[^4..]}"));
        Assert.That(channel!["hasSecret"]!.GetValue<bool>(), Is.True);

        var (_, title) = await RaiseAsync("qingshi");
        var ding = await _receiver.WaitForAsync("/robot/send", title);
        var q = System.Web.HttpUtility.ParseQueryString(ding.Query);
        Assert.That(q["access_token"], Is.EqualTo(token));
        Assert.That(q["sign"], Is.EqualTo(Hmac(Encoding.UTF8.GetBytes(secret), $"{q["timestamp"]}\n{secret}")));
    }
}
