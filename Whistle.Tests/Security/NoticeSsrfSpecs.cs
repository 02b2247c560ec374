using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>Shared steps of the notice-channel attacks: a channel, a whistle for its branch, its delivery log.</summary>
internal static class NoticeSteps
{
    public static Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> PutChannelAsync(
        WhistleClient supervisor, string id, string kind, string url, string branch = "urban-management.chengguan", string? secret = null, string[]? events = null) =>
        supervisor.SendAsync(HttpMethod.Put, $"/api/notice-channels/{id}", new
        {
            unitKind = "branch", unitId = branch, kind, url, secret, events = events ?? ["AssignmentDispatched"],
        });

    /// <summary>Raises a street-vending whistle in <paramref name="township"/> (lead: its 城管 branch); returns its id.</summary>
    public static async Task<string> RaiseAsync(WhistleSystem system, string township)
    {
        using var client = await system.SignInAsync($"township.{township}");
        var id = (await client.RaiseAsync(WhistleClient.Raise($"占道经营{Guid.NewGuid():N}"[..12], "street-vending", "urgent"))).Str("id");
        await client.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        return id;
    }

    /// <summary>The channel's one delivery once it is no longer pending (30 s at most).</summary>
    public static async Task<JsonNode> SettledDeliveryAsync(WhistleClient supervisor, string channelId)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        JsonNode? delivery = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var (_, log, _) = await supervisor.GetAsync($"/api/notice-channels/{channelId}/deliveries");
            delivery = log!.AsArray().SingleOrDefault();
            if (delivery is not null && delivery.Str("status") != "pending") return delivery;
            await Task.Delay(100);
        }

        throw new TimeoutException($"The delivery of {channelId} is still {delivery?.ToJsonString() ?? "not queued"}.");
    }

    public static Dictionary<string, string?> FastNotices(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Whistle:Notices:PollInterval"] = "00:00:00.200",
            ["Whistle:Notices:Timeout"] = "00:00:10",
            ["Whistle:Notices:MaxAttempts"] = "1",
        };
        foreach (var (key, value) in more) settings[key] = value;
        return settings;
    }
}

/// <summary>
/// Issue 11, finding 3: a supervisor's notice channel must not reach the inside — loopback, private, link-local,
/// multicast addresses (the cloud metadata service, the database, the broker) — by an address, by a name that
/// resolves there, or by a redirect; and what an answer says is read and kept only in small part.
/// </summary>
[NonParallelizable]
public sealed class When_a_notice_channel_points_inside
{
    private readonly MappedNoticeHostResolver _resolver = new(new Dictionary<string, IPAddress[]> { ["rebind.test"] = [IPAddress.Loopback] });
    private WhistleSystem _system = null!;
    private NoticeReceiver _receiver = null!;
    private WhistleClient _supervisor = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _receiver = await NoticeReceiver.StartAsync();
        _system = await WhistleSystem.EmbeddedAsync(MappedNoticeHostResolver.Services(_resolver), NoticeSteps.FastNotices());
        _supervisor = await _system.SignInAsync("supervisor");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _supervisor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
    }

    [TestCase("wecom", "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=k", TestName = "{m}(a look-alike host)")]
    [TestCase("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", TestName = "{m}(wecom without https)")]
    [TestCase("wecom", "https://127.0.0.1/cgi-bin/webhook/send?key=k", TestName = "{m}(wecom to loopback)")]
    [TestCase("dingtalk", "https://qyapi.weixin.qq.com/robot/send?access_token=t", TestName = "{m}(dingtalk to the wecom host)")]
    [TestCase("dingtalk", "https://oapi.dingtalk.com:8443/robot/send?access_token=t", TestName = "{m}(dingtalk on another port)")]
    [TestCase("dingtalk", "https://internal.corp/robot/send?access_token=t", TestName = "{m}(dingtalk to an inside name)")]
    [TestCase("feishu", "https://169.254.169.254/open-apis/bot/v2/hook/x", TestName = "{m}(feishu to the metadata service)")]
    [TestCase("feishu", "https://open.feishu.cn.evil.example/open-apis/bot/v2/hook/x", TestName = "{m}(feishu look-alike)")]
    public async Task Should_refuse_a_platform_channel_off_its_official_host(string kind, string url)
    {
        var (status, body, _) = await NoticeSteps.PutChannelAsync(_supervisor, "foreign-host", kind, url);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body?.ToJsonString());
        Assert.That(body!["errors"]!.AsObject().Select(e => e.Key), Is.EqualTo(new[] { "url" }));
        Assert.That((await _supervisor.GetAsync("/api/notice-channels/foreign-host")).Status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [TestCase("http://127.0.0.1:6379/")]
    [TestCase("http://127.1:5672/")]
    [TestCase("http://2130706433/")]
    [TestCase("http://0x7f000001/")]
    [TestCase("http://[::1]:15672/api/overview")]
    [TestCase("http://[::ffff:127.0.0.1]/")]
    [TestCase("http://[::ffff:169.254.169.254]/")]
    [TestCase("http://169.254.169.254/latest/meta-data/")]
    [TestCase("http://100.100.100.200/latest/meta-data/")]
    [TestCase("http://0.0.0.0:5080/api/users")]
    [TestCase("http://10.0.0.8/")]
    [TestCase("http://172.16.5.4/")]
    [TestCase("http://192.168.1.1/")]
    [TestCase("http://224.0.0.251/")]
    [TestCase("http://255.255.255.255/")]
    [TestCase("http://[fc00::1]/")]
    [TestCase("http://[fd12:3456::1]/")]
    [TestCase("http://[fe80::1]/")]
    [TestCase("http://[ff02::1]/")]
    [TestCase("http://[::]/")]
    public async Task Should_refuse_a_webhook_to_an_address_in_a_refused_range(string url)
    {
        var (status, body, _) = await NoticeSteps.PutChannelAsync(_supervisor, "inside-literal", "webhook", url);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body?.ToJsonString());
        Assert.That(body!["errors"]!.AsObject().Select(e => e.Key), Is.EqualTo(new[] { "url" }));
        Assert.That(body!["errors"]!["url"]![0]!.GetValue<string>(), Does.Contain("Whistle:Notices:AllowedNetworks"));
    }

    [TestCase("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2af4a5aaa")]
    [TestCase("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=2f0a8d63c4b8e5f1a7d9")]
    [TestCase("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/2b0a6b3c-5e2f-4b7a-9d1e-8f7a6b5c4d3e")]
    [TestCase("feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/2b0a6b3c-5e2f-4b7a-9d1e-8f7a6b5c4d3e")]
    [TestCase("webhook", "https://hooks.example.com/whistle")]
    public async Task Should_accept_the_official_robot_hosts_and_a_webhook_by_name(string kind, string url)
    {
        // A branch no test raises for, and only escalations: nothing is ever sent.
        var (status, body, _) = await NoticeSteps.PutChannelAsync(_supervisor, "official", kind, url, "health.baiyun", events: ["AssignmentEscalated"]);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That((await _supervisor.SendAsync(HttpMethod.Delete, "/api/notice-channels/official")).Status, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [TestCase("localhost", "dongfeng", TestName = "{m}(localhost, by the system resolver)")]
    [TestCase("rebind.test", "baiyun", TestName = "{m}(rebind.test, a name re-bound to 127.0.0.1)")]
    public async Task Should_refuse_at_connect_time_a_name_that_resolves_to_loopback(string name, string township)
    {
        // Names are accepted when a channel is saved (they may change), resolved when the sender connects, and every
        // address they resolve to is checked there: the connection is never opened.
        var channel = $"by-name-{township}";
        var (status, body, _) = await NoticeSteps.PutChannelAsync(_supervisor, channel, "webhook", $"http://{name}:{_receiver.Port}/{channel}", $"urban-management.{township}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        await NoticeSteps.RaiseAsync(_system, township);

        var delivery = await NoticeSteps.SettledDeliveryAsync(_supervisor, channel);
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Str("status"), Is.EqualTo("failed"));
            Assert.That(delivery.Str("lastError"), Does.Contain($"{name} resolves to").And.Contain("loopback").And.Contain("Whistle:Notices:AllowedNetworks"));
            Assert.That(delivery["attemptLog"]!.AsArray().Single()!["statusCode"], Is.Null, "no request was made");
            Assert.That(_receiver.Requests.Where(r => r.Path == $"/{channel}"), Is.Empty);
            if (name == "rebind.test") Assert.That(_resolver.Asked, Does.Contain("rebind.test"), "resolved when connecting");
        });
    }
}

/// <summary>
/// The operator lists 127.0.0.0/8 in <c>Whistle:Notices:AllowedNetworks</c> (as a 政务外网 deployment lists its private
/// networks): notices reach it, other ranges stay refused, redirects are not followed, and answers are read and logged
/// only in small part.
/// </summary>
[NonParallelizable]
public sealed class When_a_notice_channel_is_allowed_inside
{
    private readonly MappedNoticeHostResolver _resolver = new(new Dictionary<string, IPAddress[]> { ["receiver.test"] = [IPAddress.Loopback] });
    private WhistleSystem _system = null!;
    private NoticeReceiver _receiver = null!;
    private NoticeReceiver _elsewhere = null!;
    private WhistleClient _supervisor = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _receiver = await NoticeReceiver.StartAsync();
        _elsewhere = await NoticeReceiver.StartAsync();
        _system = await WhistleSystem.EmbeddedAsync(MappedNoticeHostResolver.Services(_resolver), NoticeSteps.FastNotices(("Whistle:Notices:AllowedNetworks", "127.0.0.0/8")));
        _supervisor = await _system.SignInAsync("supervisor");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _supervisor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
        if (_elsewhere is not null) await _elsewhere.DisposeAsync();
    }

    [TestCase("127.0.0.1", "qingshi")]
    [TestCase("receiver.test", "dongfeng")]
    public async Task Should_deliver_to_an_address_in_a_listed_network(string host, string township)
    {
        // receiver.test exists only in the test's resolver: the sender connects to the address it resolved and checked.
        var channel = $"listed-{township}";
        var (status, body, _) = await NoticeSteps.PutChannelAsync(_supervisor, channel, "webhook", $"http://{host}:{_receiver.Port}/{channel}", $"urban-management.{township}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var id = await NoticeSteps.RaiseAsync(_system, township);
        await _receiver.WaitForAsync($"/{channel}", id);
        Assert.That((await NoticeSteps.SettledDeliveryAsync(_supervisor, channel)).Str("status"), Is.EqualTo("sent"));
    }

    [TestCase("http://169.254.169.254/latest/meta-data/")]
    [TestCase("http://[::1]/")]
    [TestCase("http://10.0.0.8/")]
    public async Task Should_still_refuse_the_ranges_not_listed(string url)
    {
        var (status, body, _) = await NoticeSteps.PutChannelAsync(_supervisor, "not-listed", "webhook", url);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body?.ToJsonString());
    }

    [Test]
    public async Task Should_not_follow_a_redirect()
    {
        // An allowed receiver answers 307 (which would resend the signed POST) towards another loopback port.
        _receiver.Answer("/redirect", http =>
        {
            http.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            http.Response.Headers.Location = _elsewhere.Url("/stolen");
            return Task.CompletedTask;
        });
        await NoticeSteps.PutChannelAsync(_supervisor, "redirecting", "webhook", _receiver.Url("/redirect"), "urban-management.liuhe", "hook-secret");
        var id = await NoticeSteps.RaiseAsync(_system, "liuhe");

        var delivery = await NoticeSteps.SettledDeliveryAsync(_supervisor, "redirecting");
        Assert.Multiple(() =>
        {
            Assert.That(_receiver.Requests.Count(r => r.Path == "/redirect" && r.Body.Contains(id, StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(_elsewhere.Requests, Is.Empty, "the redirect was not followed");
            Assert.That(delivery.Str("status"), Is.EqualTo("failed"));
            Assert.That(delivery["attemptLog"]!.AsArray().Single()!["statusCode"]!.GetValue<int>(), Is.EqualTo(307));
            Assert.That(delivery.Str("lastError"), Does.StartWith("HTTP 307").And.Contain("not followed"));
        });
    }

    [Test]
    public async Task Should_read_a_few_KiB_of_a_huge_answer_and_log_a_short_error()
    {
        const long total = 32L * 1024 * 1024;
        var served = new TaskCompletionSource<(long Written, bool Aborted)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _receiver.Answer("/huge", async http =>
        {
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            http.Response.ContentType = "text/plain";
            http.Response.ContentLength = total;
            var chunk = Encoding.ASCII.GetBytes(new string('A', 64 * 1024));
            long written = 0;
            try
            {
                while (written < total && !http.RequestAborted.IsCancellationRequested)
                {
                    await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
                    written += chunk.Length;
                }

                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // the client went away
            }

            // A client that reads the whole answer keeps the connection; one that stops reading closes it, which Kestrel
            // reports (its writes after that are dropped, so the count alone may reach the total).
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(10), http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // closed
            }

            served.TrySetResult((written, http.RequestAborted.IsCancellationRequested));
        });
        await NoticeSteps.PutChannelAsync(_supervisor, "huge-answer", "webhook", _receiver.Url("/huge"), "urban-management.shuangqiao");
        await NoticeSteps.RaiseAsync(_system, "shuangqiao");

        var delivery = await NoticeSteps.SettledDeliveryAsync(_supervisor, "huge-answer");
        var (written, aborted) = await served.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var error = delivery.Str("lastError");
        Assert.Multiple(() =>
        {
            Assert.That(aborted, Is.True, $"the sender stopped reading and closed the connection (the receiver had written {written} of {total} bytes)");
            Assert.That(delivery.Str("status"), Is.EqualTo("failed"));
            Assert.That(error, Does.StartWith("HTTP 500"));
            Assert.That(error.Length, Is.LessThanOrEqualTo(300), "the log keeps a short excerpt");
            Assert.That(delivery["attemptLog"]!.AsArray().Single()!.Str("error").Length, Is.LessThanOrEqualTo(300));
        });
    }
}

/// <summary>A wrong <c>Whistle:Notices:AllowedNetworks</c> stops the process at start, naming the setting and the entry.</summary>
[NonParallelizable]
public sealed class When_the_allowed_networks_are_wrong
{
    [Test]
    public void Should_refuse_to_start_naming_the_setting_and_the_entry()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Notices:AllowedNetworks"] = "10.20.0.0/16, 192.168.1.300/24";
        var failure = Assert.CatchAsync<Exception>(async () => await (await ApiHost.StartAsync(settings)).DisposeAsync());
        Assert.That(failure!.Message, Does.Contain("Whistle:Notices:AllowedNetworks must be CIDR networks").And.Contain("'192.168.1.300/24'"));
    }
}
