using System.Net;
using Whistle.Core.Notices;
using Whistle.Dispatcher.Notices;

namespace Whistle.Tests.Unit;

/// <summary>Where notices may go (issue 11, finding 3), and how a channel's URL is shown (finding 4).</summary>
public sealed class When_a_notice_address_is_judged
{
    private static readonly NoticeAddressPolicy Default = NoticeAddressPolicy.From(null);

    [TestCase("127.0.0.1", "loopback")]
    [TestCase("127.255.255.254", "loopback")]
    [TestCase("0.0.0.0", "this network")]
    [TestCase("0.1.2.3", "this network")]
    [TestCase("10.20.30.40", "private")]
    [TestCase("172.31.255.255", "private")]
    [TestCase("192.168.0.1", "private")]
    [TestCase("100.64.0.1", "carrier-grade NAT")]
    [TestCase("100.127.255.254", "carrier-grade NAT")]
    [TestCase("169.254.169.254", "link-local")]
    [TestCase("224.0.0.1", "multicast")]
    [TestCase("239.255.255.250", "multicast")]
    [TestCase("255.255.255.255", "broadcast")]
    [TestCase("240.0.0.1", "reserved")]
    [TestCase("192.0.2.10", "documentation")]
    [TestCase("198.18.0.1", "benchmarking")]
    [TestCase("::1", "loopback")]
    [TestCase("::", "unspecified")]
    [TestCase("::ffff:127.0.0.1", "loopback")]
    [TestCase("::ffff:10.0.0.1", "private")]
    [TestCase("::ffff:169.254.169.254", "link-local")]
    [TestCase("::127.0.0.1", "IPv4-compatible")]
    [TestCase("64:ff9b::a9fe:a9fe", "link-local")]
    [TestCase("64:ff9b::7f00:1", "loopback")]
    [TestCase("2002:7f00:1::1", "loopback")]
    [TestCase("2002:c0a8:101::1", "private")]
    [TestCase("fc00::1", "unique-local")]
    [TestCase("fdff:ffff::1", "unique-local")]
    [TestCase("fe80::1", "link-local")]
    [TestCase("fe80::1%2", "link-local")]
    [TestCase("fec0::1", "site-local")]
    [TestCase("ff02::1", "multicast")]
    [TestCase("2001:db8::1", "documentation")]
    [TestCase("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo")]
    public void Should_refuse_an_inside_address(string address, string range)
    {
        Assert.That(Default.Refusal(IPAddress.Parse(address)), Does.Contain(range));
    }

    [TestCase("1.1.1.1")]
    [TestCase("8.8.8.8")]
    [TestCase("101.226.103.106")]
    [TestCase("100.63.255.255")]
    [TestCase("100.128.0.1")]
    [TestCase("172.32.0.1")]
    [TestCase("::ffff:1.1.1.1")]
    [TestCase("64:ff9b::808:808")]
    [TestCase("2002:808:808::1")]
    [TestCase("2400:3200::1")]
    [TestCase("240e:e9:6002::1")]
    public void Should_allow_an_address_on_the_internet(string address)
    {
        Assert.That(Default.Refusal(IPAddress.Parse(address)), Is.Null);
    }

    [Test]
    public void Should_allow_only_the_listed_networks_inside()
    {
        var policy = NoticeAddressPolicy.From("10.20.0.0/16, 127.0.0.1/32;fd00:abcd::/32");
        Assert.Multiple(() =>
        {
            Assert.That(policy.Refusal(IPAddress.Parse("10.20.3.4")), Is.Null);
            Assert.That(policy.Refusal(IPAddress.Parse("::ffff:10.20.3.4")), Is.Null, "an IPv4-mapped address is its IPv4 address");
            Assert.That(policy.Refusal(IPAddress.Parse("127.0.0.1")), Is.Null);
            Assert.That(policy.Refusal(IPAddress.Parse("fd00:abcd::9")), Is.Null);
            Assert.That(policy.Refusal(IPAddress.Parse("10.21.0.1")), Does.Contain("private"));
            Assert.That(policy.Refusal(IPAddress.Parse("127.0.0.2")), Does.Contain("loopback"));
            Assert.That(policy.Refusal(IPAddress.Parse("::1")), Does.Contain("loopback"));
            Assert.That(policy.Refusal(IPAddress.Parse("169.254.169.254")), Does.Contain("link-local"));
        });
    }

    [TestCase("10.0.0.0")]
    [TestCase("10.0.0.0/33")]
    [TestCase("intranet")]
    [TestCase("10.0.0.0/8, 192.168.1.0/24x")]
    public void Should_name_a_wrong_allowed_network(string text)
    {
        Assert.That(NoticeAddressPolicy.TryParseNetworks(text, out _, out var wrong), Is.False);
        Assert.That(wrong, Is.Not.Empty);
    }

    [Test]
    public void Should_refuse_a_connection_to_an_inside_address_before_opening_it()
    {
        var resolver = new Resolver([IPAddress.Parse("93.184.216.34"), IPAddress.Loopback]);
        var refused = Assert.ThrowsAsync<HttpRequestException>(async () =>
            await NoticeHttp.ConnectAsync(Default, resolver, new DnsEndPoint("mixed.test", 9), CancellationToken.None));
        Assert.That(refused!.Message, Does.StartWith("Refused: mixed.test resolves to a loopback"), "one inside address refuses the name");
    }

    [TestCase("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", true)]
    [TestCase("wecom", "https://QYAPI.weixin.qq.com/cgi-bin/webhook/send?key=k", true)]
    [TestCase("wecom", "https://qyapi.weixin.qq.com:443/cgi-bin/webhook/send?key=k", true)]
    [TestCase("wecom", "https://qyapi.weixin.qq.com./cgi-bin/webhook/send?key=k", false)]
    [TestCase("wecom", "https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", false)]
    [TestCase("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", true)]
    [TestCase("dingtalk", "https://api.dingtalk.com/robot/send?access_token=t", false)]
    [TestCase("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x", true)]
    [TestCase("feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/x", true)]
    [TestCase("feishu", "http://open.feishu.cn/open-apis/bot/v2/hook/x", false)]
    [TestCase("webhook", "http://hooks.example.com/x", true)]
    [TestCase("webhook", "https://8.8.8.8/x", true)]
    [TestCase("webhook", "https://[2400:3200::1]/x", true)]
    [TestCase("webhook", "https://127.0.0.1/x", false)]
    [TestCase("webhook", "ftp://hooks.example.com/x", false)]
    [TestCase("webhook", "file:///etc/passwd", false)]
    public void Should_hold_each_kind_to_its_hosts(string kind, string url, bool allowed)
    {
        Assert.That(NoticeUrls.Refusal(kind, url, Default), allowed ? Is.Null : Is.Not.Null);
    }

    [TestCase("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2af4aa1b2", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…a1b2")]
    [TestCase("https://oapi.dingtalk.com/robot/send?access_token=2f0a8d63c4b8e5f1a7d9", "https://oapi.dingtalk.com/robot/send?access_token=…a7d9")]
    [TestCase("https://open.feishu.cn/open-apis/bot/v2/hook/2b0a6b3c-5e2f-4b7a-9d1e-8f7a6b5c4d3e", "https://open.feishu.cn/open-apis/bot/v2/hook/…4d3e")]
    [TestCase("http://10.20.1.5:8080/api/v1/hooks/whistle?token=short&x=", "http://10.20.1.5:8080/api/v1/hooks/whistle?token=…&x=")]
    [TestCase("https://hooks.example.com/services/T0001/B0002/abcdefghij1234567890#frag", "https://hooks.example.com/services/T0001/B0002/…7890")]
    [TestCase("not a url", "…")]
    public void Should_mask_tokens_and_query_values_keeping_host_and_path(string url, string masked)
    {
        Assert.That(NoticeUrls.Mask(url), Is.EqualTo(masked));
    }

    private sealed class Resolver(IPAddress[] addresses) : INoticeHostResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Task.FromResult(addresses);
    }
}
