using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Whistle.Core.Notices;

/// <summary><c>Whistle:Notices</c>, as every process reads it (the sender's own settings are <c>NoticeOptions</c> in Whistle.Dispatcher).</summary>
public sealed class NoticeNetworkOptions
{
    public const string Section = "Whistle:Notices";

    /// <summary>
    /// Networks (CIDR, separated by commas) that webhooks may reach although they are loopback, private, link-local…
    /// — e.g. a 政务外网 receiver on <c>10.20.0.0/16</c>. Empty: none; such addresses are refused.
    /// </summary>
    public string? AllowedNetworks { get; set; }
}

/// <summary>
/// Which addresses a notice may be sent to (issue 11, finding 3: SSRF). Refused unless the operator lists their network
/// in <c>Whistle:Notices:AllowedNetworks</c>: loopback, private, shared (CGNAT), link-local (the cloud metadata
/// services), multicast, broadcast, reserved, documentation and benchmarking ranges, "this network" (0.0.0.0/8), IPv6
/// unique-local, link-local, site-local, multicast, unspecified, IPv4-compatible and Teredo addresses; IPv4-mapped,
/// NAT64 and 6to4 IPv6 addresses are judged by the IPv4 address inside them. Checked when a channel is saved (an
/// address literal) and when the sender connects (every address a name resolves to).
/// </summary>
public sealed class NoticeAddressPolicy(IReadOnlyList<IPNetwork> allowed)
{
    private static readonly (IPNetwork Network, string Name)[] RefusedV4 =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "\"this network\" (0.0.0.0/8)"),
        (IPNetwork.Parse("10.0.0.0/8"), "private (10.0.0.0/8)"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared, carrier-grade NAT (100.64.0.0/10)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback (127.0.0.0/8)"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local (169.254.0.0/16, cloud metadata)"),
        (IPNetwork.Parse("172.16.0.0/12"), "private (172.16.0.0/12)"),
        (IPNetwork.Parse("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation (192.0.2.0/24)"),
        (IPNetwork.Parse("192.88.99.0/24"), "6to4 relay anycast (192.88.99.0/24)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private (192.168.0.0/16)"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation (198.51.100.0/24)"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation (203.0.113.0/24)"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast (224.0.0.0/4)"),
        (IPNetwork.Parse("255.255.255.255/32"), "broadcast (255.255.255.255)"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved (240.0.0.0/4)"),
    ];

    private static readonly (IPNetwork Network, string Name)[] RefusedV6 =
    [
        (IPNetwork.Parse("::/128"), "unspecified (::)"),
        (IPNetwork.Parse("::1/128"), "loopback (::1)"),
        (IPNetwork.Parse("::/96"), "IPv4-compatible (::/96, deprecated)"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"),
        (IPNetwork.Parse("100::/64"), "discard (100::/64)"),
        (IPNetwork.Parse("2001::/32"), "Teredo (2001::/32)"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation (2001:db8::/32)"),
        (IPNetwork.Parse("fc00::/7"), "unique-local (fc00::/7)"),
        (IPNetwork.Parse("fe80::/10"), "link-local (fe80::/10)"),
        (IPNetwork.Parse("fec0::/10"), "site-local (fec0::/10, deprecated)"),
        (IPNetwork.Parse("ff00::/8"), "multicast (ff00::/8)"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    public IReadOnlyList<IPNetwork> Allowed => allowed;

    /// <summary>A policy from <c>Whistle:Notices:AllowedNetworks</c> (throws on a wrong entry: the options validate it first).</summary>
    public static NoticeAddressPolicy From(string? allowedNetworks) =>
        TryParseNetworks(allowedNetworks, out var networks, out var wrong)
            ? new NoticeAddressPolicy(networks)
            : throw new FormatException($"Whistle:Notices:AllowedNetworks: '{wrong}' is not a CIDR network.");

    /// <summary>Parses a comma- (or semicolon-, or space-) separated CIDR list; <paramref name="wrong"/> names the first bad entry.</summary>
    public static bool TryParseNetworks(string? text, out IReadOnlyList<IPNetwork> networks, out string? wrong)
    {
        var parsed = new List<IPNetwork>();
        networks = parsed;
        wrong = null;
        foreach (var entry in (text ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!entry.Contains('/', StringComparison.Ordinal) || !IPNetwork.TryParse(entry, out var network))
            {
                wrong = entry;
                return false;
            }

            parsed.Add(network);
        }

        return true;
    }

    /// <summary>Null when a notice may go to <paramref name="address"/>; otherwise the name of the range that refuses it.</summary>
    public string? Refusal(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (allowed.Any(n => n.Contains(plain) || n.Contains(address)))
        {
            return null;
        }

        return RefusedRange(plain);
    }

    /// <summary>The refused range <paramref name="address"/> lies in, or null for an address on the internet.</summary>
    public static string? RefusedRange(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return RefusedV4.FirstOrDefault(r => r.Network.Contains(address)).Name;
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an IP address";
        }

        if (RefusedV6.FirstOrDefault(r => r.Network.Contains(address)).Name is { } name)
        {
            return name;
        }

        // Addresses that carry an IPv4 address: judged by it.
        var bytes = address.GetAddressBytes();
        if (Nat64.Contains(address))
        {
            return RefusedRange(new IPAddress(bytes.AsSpan(12, 4)));
        }

        if (SixToFour.Contains(address))
        {
            return RefusedRange(new IPAddress(bytes.AsSpan(2, 4)));
        }

        return null;
    }
}

/// <summary>
/// The rules for a channel's address, and the masked form in which it is shown (issue 11, findings 3 and 4).
/// A chat robot goes only to its platform's own webhook host over https (WeCom: <c>qyapi.weixin.qq.com</c>; DingTalk:
/// <c>oapi.dingtalk.com</c>; Feishu: <c>open.feishu.cn</c>, Lark: <c>open.larksuite.com</c>); a webhook is http(s) to
/// any name (checked when the sender connects) or an address literal the <see cref="NoticeAddressPolicy"/> allows.
/// </summary>
public static class NoticeUrls
{
    public const int MaxLength = 2000;

    /// <summary>The official robot webhook hosts of each chat platform.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> PlatformHosts = new Dictionary<string, string[]>
    {
        [NoticeVocabulary.WeCom] = ["qyapi.weixin.qq.com"],
        [NoticeVocabulary.DingTalk] = ["oapi.dingtalk.com"],
        [NoticeVocabulary.Feishu] = ["open.feishu.cn", "open.larksuite.com"],
    };

    private static readonly IReadOnlyDictionary<string, string> Examples = new Dictionary<string, string>
    {
        [NoticeVocabulary.WeCom] = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
        [NoticeVocabulary.DingTalk] = "https://oapi.dingtalk.com/robot/send?access_token=…",
        [NoticeVocabulary.Feishu] = "https://open.feishu.cn/open-apis/bot/v2/hook/… (Lark: https://open.larksuite.com/…)",
    };

    /// <summary>Null when a channel of <paramref name="kind"/> may send to <paramref name="url"/>; otherwise why not.</summary>
    public static string? Refusal(string kind, string? url, NoticeAddressPolicy policy)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxLength
            || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return $"Give the robot's or webhook's absolute http(s) address (at most {MaxLength} characters, no user name or password in it).";
        }

        if (PlatformHosts.TryGetValue(kind, out var hosts))
        {
            return uri.Scheme == "https" && uri.IsDefaultPort && hosts.Contains(uri.IdnHost, StringComparer.OrdinalIgnoreCase)
                ? null
                : $"A {kind} robot's address is on {string.Join(" or ", hosts)} over https, e.g. {Examples[kind]}";
        }

        // IPAddress parses the forms a resolver would take as an address too (127.1, 2130706433, 0x7f000001).
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address) && policy.Refusal(address) is { } range)
        {
            return $"{address} is a {range} address: notices go there only when Whistle:Notices:AllowedNetworks lists its network.";
        }

        return null;
    }

    /// <summary>
    /// The address as the API and the audit trail show it: scheme, host, port and path kept; every query value and every
    /// path segment that looks like a token cut to its last four characters (<c>…a1b2</c>; shorter ones to <c>…</c>);
    /// no fragment. E.g. <c>https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…a1b2</c>.
    /// </summary>
    public static string Mask(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "…";
        }

        var masked = new StringBuilder(uri.Scheme).Append("://").Append(uri.Authority);
        var path = uri.AbsolutePath;
        masked.Append(string.Join('/', path.Split('/').Select(s => LooksLikeToken(Uri.UnescapeDataString(s)) ? Tail(s) : s)));
        if (uri.Query.Length > 1)
        {
            masked.Append('?').Append(string.Join('&', uri.Query[1..].Split('&').Select(pair =>
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                return equals < 0 ? Tail(pair) : pair[..(equals + 1)] + (equals == pair.Length - 1 ? "" : Tail(pair[(equals + 1)..]));
            })));
        }

        return masked.ToString();
    }

    private static string Tail(string value) => value.Length >= 12 ? "…" + value[^4..] : "…";

    /// <summary>A path segment that may be a credential: long, or letters mixed with digits (a hook token, a UUID).</summary>
    private static bool LooksLikeToken(string segment) =>
        segment.Length >= 16 || (segment.Length >= 8 && segment.Any(char.IsDigit) && segment.Any(char.IsLetter));
}
