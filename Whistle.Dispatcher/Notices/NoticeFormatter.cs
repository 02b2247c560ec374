using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Whistle.Contracts;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Messaging;
using Whistle.Core.Notices;

namespace Whistle.Dispatcher.Notices;

/// <summary>One outbound request: where, what, which headers.</summary>
public sealed record NoticeRequest(Uri Url, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// The request bodies each platform documents, and their signatures:
/// WeCom group robot (markdown; the key is in the URL), DingTalk robot (markdown; <c>timestamp</c> and <c>sign</c> on the URL
/// when a secret is set), Feishu custom bot (text; <c>timestamp</c> and <c>sign</c> in the body when a secret is set), and a
/// generic webhook (the WhistleEvent JSON, <c>X-Whistle-Timestamp</c> and <c>X-Whistle-Signature: sha256=…</c>).
/// </summary>
public static class NoticeFormatter
{
    /// <summary>China Standard Time (Asia/Shanghai) has had no daylight saving since 1991: a fixed +08:00.</summary>
    public static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    public static string UrgencyName(string urgency) => urgency switch
    {
        Urgency.Routine => "日常",
        Urgency.Urgent => "紧急",
        Urgency.Emergency => "应急",
        _ => urgency,
    };

    public static string Local(DateTimeOffset at) => at.ToOffset(ChinaOffset).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The Chinese text of a notice, e.g. 【吹哨报到】新报到单：…（…，紧急），报到时限 2026-11-28 09:30.</summary>
    public static string Text(WhistleEvent e, CountyCatalog? catalog, string? publicBaseUrl = null)
    {
        if (e.Type == NoticeVocabulary.TestEvent)
        {
            return $"【吹哨报到】测试通知：{e.Note}（{Local(e.OccurredAt)}，{e.Actor.DisplayName}）。收到即说明本通知渠道可用。";
        }

        var w = e.Whistle;
        var a = e.Assignment;
        var matter = w is null ? "" : catalog?.FindMatter(w.MatterCode)?.Name ?? w.MatterCode;
        var about = w is null ? e.WhistleId : $"{w.Title}（{matter}，{UrgencyName(w.Urgency)}）";
        var unit = a is null ? null : a.BranchId is { } b ? catalog?.FindBranch(b)?.Name ?? b : catalog?.FindAgency(a.AgencyCode)?.Name ?? a.AgencyCode;
        var township = w is null ? null : catalog?.FindTownship(w.TownshipId)?.Name;
        var resolvePhase = e.Step?.Phase == "resolve";
        var limit = a is null ? "" : resolvePhase ? $"办结时限 {Local(a.ResolveBy)}" : $"报到时限 {Local(a.ReportBy)}";
        var head = e.Type switch
        {
            WhistleEventTypes.AssignmentDispatched => "新报到单",
            WhistleEventTypes.AssignmentReassigned => "改派报到单",
            WhistleEventTypes.AssignmentReminded => resolvePhase ? "办结催办" : "报到催办",
            WhistleEventTypes.AssignmentEscalated => $"{(resolvePhase ? "办结" : "报到")}超时督办（第{e.Step?.Level ?? 1}次）",
            _ => e.Type,
        };
        var text = new StringBuilder($"【吹哨报到】{head}：{about}，{limit}");
        if (unit is not null) text.Append($"\n承办：{unit}");
        if (township is not null) text.Append($"\n吹哨：{township}");
        // A link to the whistle's page (Whistle:PublicBaseUrl): photos and files are seen there, signed in, under the
        // whistle's visibility rule — no file and no file's address leaves the system in a chat message.
        if (WhistlePageUrl(publicBaseUrl, e.WhistleId) is { } page) text.Append($"\n查看：{page}");
        return text.ToString();
    }

    /// <summary>The web UI's page of a whistle under <c>Whistle:PublicBaseUrl</c>; null when it is not set.</summary>
    public static string? WhistlePageUrl(string? publicBaseUrl, string whistleId) =>
        string.IsNullOrWhiteSpace(publicBaseUrl) ? null : $"{publicBaseUrl.TrimEnd('/')}/whistles/{Uri.EscapeDataString(whistleId)}";

    public static string Title(WhistleEvent e) => e.Type switch
    {
        WhistleEventTypes.AssignmentDispatched => "吹哨报到：新报到单",
        WhistleEventTypes.AssignmentReassigned => "吹哨报到：改派报到单",
        WhistleEventTypes.AssignmentReminded => "吹哨报到：催办",
        WhistleEventTypes.AssignmentEscalated => "吹哨报到：督办",
        NoticeVocabulary.TestEvent => "吹哨报到：测试通知",
        _ => "吹哨报到",
    };

    /// <summary>The request for one channel; <paramref name="now"/> gives the signature's timestamp.</summary>
    public static NoticeRequest Build(NoticeChannelRow channel, WhistleEvent e, string eventJson, CountyCatalog? catalog, DateTimeOffset now, string? publicBaseUrl = null)
    {
        var url = new Uri(channel.Url);
        var secret = string.IsNullOrEmpty(channel.Secret) ? null : channel.Secret;
        var text = Text(e, catalog, publicBaseUrl);
        switch (channel.Kind)
        {
            case NoticeVocabulary.WeCom:
                return new(url, Json(new JsonObject { ["msgtype"] = "markdown", ["markdown"] = new JsonObject { ["content"] = text } }), NoHeaders);
            case NoticeVocabulary.DingTalk:
            {
                var body = Json(new JsonObject { ["msgtype"] = "markdown", ["markdown"] = new JsonObject { ["title"] = Title(e), ["text"] = text } });
                if (secret is null) return new(url, body, NoHeaders);
                var timestamp = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                var sign = DingTalkSign(timestamp, secret);
                var signed = new Uri($"{channel.Url}{(string.IsNullOrEmpty(url.Query) ? "?" : "&")}timestamp={timestamp}&sign={Uri.EscapeDataString(sign)}");
                return new(signed, body, NoHeaders);
            }

            case NoticeVocabulary.Feishu:
            {
                var body = new JsonObject();
                if (secret is not null)
                {
                    var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                    body["timestamp"] = timestamp;
                    body["sign"] = FeishuSign(timestamp, secret);
                }

                body["msg_type"] = "text";
                body["content"] = new JsonObject { ["text"] = text };
                return new(url, Json(body), NoHeaders);
            }

            default:
            {
                var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                var headers = new Dictionary<string, string> { ["X-Whistle-Timestamp"] = timestamp, ["X-Whistle-Event"] = e.Type, ["X-Whistle-Sequence"] = e.Sequence.ToString(CultureInfo.InvariantCulture) };
                if (secret is not null) headers["X-Whistle-Signature"] = WebhookSignature(timestamp, eventJson, secret);
                return new(url, eventJson, headers);
            }
        }
    }

    /// <summary>DingTalk: Base64(HMAC-SHA256 keyed by the secret over "timestamp\nsecret"); URL-encoded by the caller.</summary>
    public static string DingTalkSign(string timestamp, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}\n{secret}")));

    /// <summary>Feishu: Base64(HMAC-SHA256 keyed by "timestamp\nsecret" over an empty message).</summary>
    public static string FeishuSign(string timestamp, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes($"{timestamp}\n{secret}"), Array.Empty<byte>()));

    /// <summary>Generic webhook: "sha256=" + lowercase hex HMAC-SHA256 keyed by the secret over "{timestamp}.{body}".</summary>
    public static string WebhookSignature(string timestamp, string body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    /// <summary>Chat platforms answer 200 with an error code in the body (errcode / code); non-zero is a failure.</summary>
    public static string? PlatformError(string kind, string responseBody)
    {
        if (kind == NoticeVocabulary.Webhook || string.IsNullOrWhiteSpace(responseBody)) return null;
        try
        {
            if (JsonNode.Parse(responseBody) is not JsonObject o) return null;
            foreach (var name in new[] { "errcode", "code", "StatusCode" })
            {
                if (o[name] is JsonValue v && v.TryGetValue<long>(out var code) && code != 0)
                {
                    var message = (o["errmsg"] ?? o["msg"] ?? o["StatusMessage"])?.ToString();
                    return $"{name} {code}: {message}";
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    private static string Json(JsonNode node) => node.ToJsonString(Options);

    /// <summary>Chinese text as UTF-8, not \u escapes (the platforms accept both; this is what they show in their samples).</summary>
    private static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
