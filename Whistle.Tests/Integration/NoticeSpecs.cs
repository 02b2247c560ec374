using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Contracts;
using Whistle.Core.Messaging;
using Whistle.Dispatcher.Notices;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Outbound notices (issue 7) against a local HTTP receiver: each platform's body and signature, retries with
/// back-off, isolation between branches (once per channel even when an earlier release's message is consumed twice:
/// <see cref="When_a_duty_is_recorded_for_a_unit_with_a_notice_channel"/>).
/// </summary>
[NonParallelizable]
public sealed class When_notices_go_out
{
    private const string DingSecret = "SECdingtalk-test-secret", FeishuSecret = "feishu-test-secret", HookSecret = "hook-test-secret";
    private WhistleSystem _system = null!;
    private NoticeReceiver _receiver = null!;
    private WhistleClient _sysadmin = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _receiver = await NoticeReceiver.StartAsync();
        // The chat platforms' hosts are sent to the local receiver by a handler of the test's (in front of the
        // product's own, which still checks the address it connects to: 127.0.0.0/8 is listed for that).
        _system = await WhistleSystem.EmbeddedAsync(PlatformHostsToReceiver.Services(_receiver.Address), new Dictionary<string, string?>
        {
            ["Whistle:Notices:AllowedNetworks"] = "127.0.0.0/8",
            ["Whistle:Notices:PollInterval"] = "00:00:00.200",
            ["Whistle:Notices:RetryBaseDelay"] = "00:00:00.100",
            ["Whistle:Notices:RetryMaxDelay"] = "00:00:00.400",
            ["Whistle:Notices:Timeout"] = "00:00:05",
            ["Whistle:Notices:MaxAttempts"] = "5",
        });
        _sysadmin = await _system.SignInAsync("sysadmin");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _sysadmin?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
    }

    private async Task ChannelAsync(string id, string unitKind, string unitId, string kind, string path, string? secret = null, string[]? events = null)
    {
        var (status, body, _) = await _sysadmin.SendAsync(HttpMethod.Put, $"/api/notice-channels/{id}", new
        {
            unitKind, unitId, kind, url = Url(kind, path), secret,
            events = events ?? ["AssignmentDispatched", "AssignmentReassigned", "AssignmentReminded", "AssignmentEscalated"],
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
    }

    /// <summary>A chat robot's address on its platform's host; a webhook's on the local receiver.</summary>
    private string Url(string kind, string path) => kind switch
    {
        "wecom" => "https://qyapi.weixin.qq.com" + path,
        "dingtalk" => "https://oapi.dingtalk.com" + path,
        "feishu" => "https://open.feishu.cn" + path,
        _ => _receiver.Url(path),
    };

    private static string Hmac(byte[] key, string message) => Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message)));

    private async Task<(string Id, string Title, JsonNode Lead)> RaiseAsync(string township)
    {
        using var client = await _system.SignInAsync($"township.{township}");
        var title = $"占道经营通知测试{Guid.NewGuid():N}"[..16];
        var id = (await client.RaiseAsync(WhistleClient.Raise(title, "street-vending", "urgent"))).Str("id");
        var whistle = await client.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        return (id, title, whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!);
    }

    [Test]
    public async Task Should_send_each_platform_its_documented_body_and_signature_to_the_branch_and_agency_channels_only()
    {
        await ChannelAsync("cg-wecom", "branch", "urban-management.chengguan", "wecom", "/cgi-bin/webhook/send?key=robot-key");
        await ChannelAsync("cg-dingtalk", "branch", "urban-management.chengguan", "dingtalk", "/robot/send?access_token=ding-token", DingSecret);
        await ChannelAsync("cg-feishu", "branch", "urban-management.chengguan", "feishu", "/open-apis/bot/v2/hook/abc", FeishuSecret);
        await ChannelAsync("cg-hook", "branch", "urban-management.chengguan", "webhook", "/hook", HookSecret);
        await ChannelAsync("um-agency", "agency", "urban-management", "webhook", "/agency");
        await ChannelAsync("df-hook", "branch", "urban-management.dongfeng", "webhook", "/other", HookSecret);
        await ChannelAsync("health-agency", "agency", "health", "webhook", "/health-agency");
        await ChannelAsync("cg-escalations", "branch", "urban-management.chengguan", "webhook", "/escalations", events: ["AssignmentEscalated"]);

        var before = DateTimeOffset.UtcNow;
        var (id, title, lead) = await RaiseAsync("chengguan");
        var reportBy = DateTimeOffset.Parse(lead.Str("reportBy"), CultureInfo.InvariantCulture).ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var expected = $"【吹哨报到】新报到单：{title}（占道经营，紧急），报到时限 {reportBy}";

        var wecom = await _receiver.WaitForAsync("/cgi-bin/webhook/send", title);
        var ding = await _receiver.WaitForAsync("/robot/send", title);
        var feishu = await _receiver.WaitForAsync("/open-apis/bot/v2/hook/abc", title);
        var hook = await _receiver.WaitForAsync("/hook", id);
        var agency = await _receiver.WaitForAsync("/agency", id);
        await Task.Delay(1000); // the sender polls every 200 ms: anything misrouted would have arrived by now

        Assert.Multiple(() =>
        {
            // WeCom group robot: {"msgtype":"markdown","markdown":{"content":"…"}}; the key stays in the URL.
            Assert.That(wecom.Query, Is.EqualTo("?key=robot-key"));
            var w = JsonNode.Parse(wecom.Body)!;
            Assert.That(w.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "msgtype", "markdown" }));
            Assert.That(w.Str("msgtype"), Is.EqualTo("markdown"));
            Assert.That(w["markdown"]!.Str("content"), Does.StartWith(expected));
            Assert.That(w["markdown"]!.Str("content"), Does.Contain("承办：").And.Contain("吹哨："));
            Assert.That(wecom.ContentType, Does.StartWith("application/json"));

            // DingTalk robot: markdown with title and text; &timestamp=…&sign=urlencode(base64(hmac(secret, "timestamp\nsecret"))).
            var q = System.Web.HttpUtility.ParseQueryString(ding.Query);
            Assert.That(q["access_token"], Is.EqualTo("ding-token"));
            var ts = long.Parse(q["timestamp"]!, CultureInfo.InvariantCulture);
            Assert.That(DateTimeOffset.FromUnixTimeMilliseconds(ts), Is.InRange(before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5)), "milliseconds");
            Assert.That(ding.Query, Does.Contain("&sign=" + Uri.EscapeDataString(Hmac(Encoding.UTF8.GetBytes(DingSecret), $"{ts}\n{DingSecret}"))));
            Assert.That(q["sign"], Is.EqualTo(Hmac(Encoding.UTF8.GetBytes(DingSecret), $"{ts}\n{DingSecret}")));
            var d = JsonNode.Parse(ding.Body)!;
            Assert.That(d.Str("msgtype"), Is.EqualTo("markdown"));
            Assert.That(d["markdown"]!.Str("title"), Is.EqualTo("吹哨报到：新报到单"));
            Assert.That(d["markdown"]!.Str("text"), Does.StartWith(expected));

            // Feishu custom bot: {"timestamp","sign","msg_type":"text","content":{"text"}}; sign = base64(hmac(key "timestamp\nsecret", "")).
            var f = JsonNode.Parse(feishu.Body)!;
            var fts = f.Str("timestamp");
            Assert.That(DateTimeOffset.FromUnixTimeSeconds(long.Parse(fts, CultureInfo.InvariantCulture)), Is.InRange(before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5)), "seconds");
            Assert.That(f.Str("sign"), Is.EqualTo(Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes($"{fts}\n{FeishuSecret}"), Array.Empty<byte>()))));
            Assert.That(f.Str("msg_type"), Is.EqualTo("text"));
            Assert.That(f["content"]!.Str("text"), Does.StartWith(expected));

            // Generic webhook: the WhistleEvent JSON, X-Whistle-Signature: sha256=hex(hmac(secret, "{timestamp}.{body}")).
            var hts = hook.Headers["X-Whistle-Timestamp"];
            var hex = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HookSecret), Encoding.UTF8.GetBytes($"{hts}.{hook.Body}")));
            Assert.That(hook.Headers["X-Whistle-Signature"], Is.EqualTo($"sha256={hex}"));
            var e = JsonSerializer.Deserialize<WhistleEvent>(hook.Body, MessageTypes.Json)!;
            Assert.That((e.Type, e.WhistleId, e.Assignment!.BranchId, e.Whistle!.Title), Is.EqualTo(("AssignmentDispatched", id, "urban-management.chengguan", title)));
            Assert.That(e.Sequence, Is.GreaterThan(0));
            Assert.That(agency.Headers.ContainsKey("X-Whistle-Signature"), Is.False, "no secret, no signature");

            // Another branch of the same agency, another agency, and a channel not subscribed to new assignments: nothing.
            Assert.That(_receiver.Requests.Where(r => r.Path is "/other" or "/health-agency" or "/escalations"), Is.Empty);
            Assert.That(_receiver.Requests.Count(r => r.Path == "/hook" && r.Body.Contains(id, StringComparison.Ordinal)), Is.EqualTo(1));
        });

        // Secrets never come back; the delivery log says sent on the first attempt.
        var (_, channel, _) = await _sysadmin.GetAsync("/api/notice-channels/cg-dingtalk");
        Assert.That(channel!.AsObject().ContainsKey("secret"), Is.False);
        Assert.That(channel["hasSecret"]!.GetValue<bool>(), Is.True);
        var (_, all, _) = await _sysadmin.GetAsync("/api/notice-channels");
        Assert.That(all!.ToJsonString(), Does.Not.Contain(DingSecret).And.Not.Contain(FeishuSecret).And.Not.Contain(HookSecret));
        var (_, log, _) = await _sysadmin.GetAsync("/api/notice-channels/cg-hook/deliveries");
        var delivery = log!.AsArray().Single()!;
        Assert.That((delivery.Str("status"), delivery["attempts"]!.GetValue<int>(), delivery.Str("eventType")), Is.EqualTo(("sent", 1, "AssignmentDispatched")));
        Assert.That(delivery["attemptLog"]!.AsArray().Single()!["statusCode"]!.GetValue<int>(), Is.EqualTo(200));
        var (_, other, _) = await _sysadmin.GetAsync("/api/notice-channels/df-hook/deliveries");
        Assert.That(other!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Should_retry_a_failing_receiver_with_back_off_until_it_succeeds_and_log_each_attempt()
    {
        await ChannelAsync("qs-flaky", "branch", "urban-management.qingshi", "webhook", "/flaky", HookSecret);
        _receiver.FailFirst("/flaky", 3);
        var (id, _, _) = await RaiseAsync("qingshi");
        await _receiver.WaitForAsync("/flaky", id, succeeded: true);

        var attempts = _receiver.Requests.Where(r => r.Path == "/flaky" && r.Body.Contains(id, StringComparison.Ordinal)).ToList();
        Assert.That(attempts.Select(a => a.Answered), Is.EqualTo(new[] { 500, 500, 500, 200 }));
        var gaps = attempts.Zip(attempts.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.That(gaps[1], Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190)), "the second wait is twice the first (100 ms → 200 ms)");

        JsonNode? delivery = null;
        for (var i = 0; i < 50 && delivery?.Str("status") != "sent"; i++)
        {
            await Task.Delay(100);
            var (_, log, _) = await _sysadmin.GetAsync("/api/notice-channels/qs-flaky/deliveries");
            delivery = log!.AsArray().Single()!;
        }

        Assert.That(delivery, Is.Not.Null);
        Assert.That((delivery!.Str("status"), delivery!["attempts"]!.GetValue<int>()), Is.EqualTo(("sent", 4)));
        Assert.That(delivery!["attemptLog"]!.AsArray().Select(a => a!["statusCode"]!.GetValue<int>()), Is.EqualTo(new[] { 500, 500, 500, 200 }));
        Assert.That(delivery!["attemptLog"]!.AsArray()[0]!.Str("error"), Does.StartWith("HTTP 500"));
    }

    [Test]
    public async Task Should_give_a_delivery_up_as_failed_after_the_last_attempt()
    {
        await ChannelAsync("by-down", "branch", "urban-management.baiyun", "dingtalk", "/robot/send?access_token=down");
        _receiver.FailFirst("/robot/send?access_token=down", 1000);
        var (id, title, _) = await RaiseAsync("baiyun");
        JsonNode? delivery = null;
        for (var i = 0; i < 100 && delivery?.Str("status") != "failed"; i++)
        {
            await Task.Delay(100);
            var (_, log, _) = await _sysadmin.GetAsync("/api/notice-channels/by-down/deliveries");
            delivery = log!.AsArray().SingleOrDefault();
        }

        Assert.That(delivery, Is.Not.Null);
        Assert.That((delivery!.Str("status"), delivery!["attempts"]!.GetValue<int>(), delivery!["nextAttemptAt"]), Is.EqualTo(("failed", 5, (JsonNode?)null)));
        Assert.That(delivery!["attemptLog"]!.AsArray(), Has.Count.EqualTo(5));
        await Task.Delay(500);
        Assert.That(_receiver.Requests.Count(r => r.Path == "/robot/send" && r.Query.StartsWith("?access_token=down", StringComparison.Ordinal) && r.Body.Contains(title, StringComparison.Ordinal)), Is.EqualTo(5), "nothing after the last attempt");
    }

    [Test]
    public void Should_word_reminders_and_escalations_by_their_deadline()
    {
        var at = new DateTimeOffset(2026, 11, 27, 23, 30, 0, TimeSpan.Zero);
        var assignment = new AssignmentSnapshot("a1", "w1", "urban-management", "urban-management.chengguan", "lead", "reported", at, at, null, null, at.AddHours(1), at.AddHours(10), null, null, null, null, null);
        var whistle = new WhistleSummary("w1", "夜市占道", "dispatched", "chengguan", "street-vending", "routine");
        WhistleEvent Event(string type, string phase, int level) =>
            new(7, type, "w1", "a1", at, new EventActor("system", "调度中心", "county"), whistle, assignment, null, new EscalationStepInfo(phase, level));
        Assert.Multiple(() =>
        {
            Assert.That(NoticeFormatter.Text(Event("AssignmentReminded", "report", 0), null), Does.StartWith("【吹哨报到】报到催办：夜市占道（street-vending，日常），报到时限 2026-11-28 08:30"));
            Assert.That(NoticeFormatter.Text(Event("AssignmentEscalated", "resolve", 2), null), Does.StartWith("【吹哨报到】办结超时督办（第2次）：夜市占道（street-vending，日常），办结时限 2026-11-28 17:30"));
        });
    }

    [Test]
    public async Task Should_refuse_a_bad_channel_and_audit_each_change()
    {
        var (status, body, _) = await _sysadmin.SendAsync(HttpMethod.Put, "/api/notice-channels/bad", new
        {
            unitKind = "branch", unitId = "no-such-branch", kind = "telegram", url = "ftp://x", events = new[] { "WhistleRaised" },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["errors"]!.AsObject().Select(e => e.Key), Is.EquivalentTo(new[] { "unitId", "kind", "url", "events" }));

        await ChannelAsync("audited", "agency", "health", "wecom", "/cgi-bin/webhook/send?key=k");
        Assert.That((await _sysadmin.SendAsync(HttpMethod.Delete, "/api/notice-channels/audited")).Status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await _sysadmin.GetAsync("/api/notice-channels/audited")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        using var auditor = await _system.SignInAsync("auditadmin");
        var (_, audit, _) = await auditor.GetAsync("/api/audit?entity=notice-channel");
        Assert.That(audit!.ToJsonString(), Does.Contain("audited").And.Contain("deleted"));
    }

    [Test]
    public void Should_double_the_wait_after_each_failure_up_to_the_most()
    {
        var o = new NoticeOptions { RetryBaseDelay = TimeSpan.FromSeconds(30), RetryMaxDelay = TimeSpan.FromMinutes(5) };
        Assert.That(Enumerable.Range(1, 6).Select(o.Backoff), Is.EqualTo(new[] { 30, 60, 120, 240, 300, 300 }.Select(s => TimeSpan.FromSeconds(s))));
    }
}
