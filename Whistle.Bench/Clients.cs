using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Whistle.Bench;

/// <summary>The part of a <c>whistleEvent</c> push the bench looks at.</summary>
public sealed record PushEvent(long Sequence, string Type, string WhistleId, string? AssignmentId, PushAssignment? Assignment);

public sealed record PushAssignment(string Id, string AgencyCode, string? BranchId);

/// <summary>What one phase of load collects: when each request started, when each push arrived.</summary>
public sealed class Measurement(bool reportLead)
{
    public bool ReportLead => reportLead;

    /// <summary>whistle id → (start of the township's HTTP request, the Api it went to).</summary>
    public ConcurrentDictionary<string, (long Start, int Api)> Raised { get; } = new();

    /// <summary>whistle id → the end of the township's HTTP request (its answer's headers).</summary>
    public ConcurrentDictionary<string, long> Answered { get; } = new();

    /// <summary>(whistle id, agency, Api) → first AssignmentDispatched push at that agency's branch client.</summary>
    public ConcurrentDictionary<(string WhistleId, string Agency, int Api), long> Dispatched { get; } = new();

    /// <summary>assignment id → start of the branch's report request.</summary>
    public ConcurrentDictionary<string, long> Reports { get; } = new();

    /// <summary>assignment id → the township's AssignmentReported push.</summary>
    public ConcurrentDictionary<string, long> Reported { get; } = new();

    /// <summary>(whistle id, agency, Api) → the sequence of that AssignmentDispatched push (to find its span).</summary>
    public ConcurrentDictionary<(string WhistleId, string Agency, int Api), long> DispatchedSequence { get; } = new();

    /// <summary>whistle id → the W3C trace id the bench sent with its raise request, for the whistles whose trace was sampled.</summary>
    public ConcurrentDictionary<string, string> Traces { get; } = new();

    public Recorder RaiseHttp { get; } = new();

    public Recorder ReportHttp { get; } = new();

    public int InFlight;
    public int Failed;
    public int Skipped;
    public long Pushes;
}

/// <summary>
/// The real clients: township staff raising whistles over HTTP, branch and township staff on the hub over
/// WebSockets (skip negotiation), tokens from POST /api/auth/token with the demo password.
/// </summary>
public sealed class Clients : IAsyncDisposable
{
    public static readonly string[] Townships = ["chengguan", "dongfeng", "qingshi", "liuhe", "shuangqiao", "baiyun"];
    public static readonly string[] Summoned = ["urban-management", "market-supervision"];

    private static readonly byte[] RaiseBody = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        matterCode = "street-vending",
        title = "占道经营 bench",
        description = "A stall blocks the pavement (benchmark).",
        address = "城关街道 人民路 1 号",
        urgency = "routine",
    }));

    private static readonly byte[] ReportBody = Encoding.UTF8.GetBytes("""{"etaMinutes":10,"note":"on the way"}""");

    private readonly ConcurrentDictionary<string, string> _tokens = new();
    private readonly List<HttpClient> _http = [];
    private readonly List<HubConnection> _listeners = [];
    private int _next;

    public Clients(IReadOnlyList<Uri> apis)
    {
        Apis = [.. apis];
        foreach (var api in Apis) _http.Add(NewHttp(api));
    }

    public List<Uri> Apis { get; }

    public volatile Measurement? Current;

    /// <summary>
    /// 0: raise requests carry no <c>traceparent</c> (as a browser's). n &gt; 0 (the stage breakdown): every request carries
    /// one of the bench's, sampled (flags 01) for every n-th request and not sampled (00) for the others, so the
    /// processes' parent-based sampler records and exports the spans of every n-th whistle only.
    /// </summary>
    public int TraceSampleEvery { get; set; }

    private static HttpClient NewHttp(Uri api) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 512,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    })
    {
        BaseAddress = api,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public void AddApi(Uri api)
    {
        Apis.Add(api);
        _http.Add(NewHttp(api));
    }

    public async Task<string> TokenAsync(string userName, CancellationToken ct)
    {
        if (_tokens.TryGetValue(userName, out var token)) return token;
        using var response = await _http[0].PostAsJsonAsync(new Uri("/api/auth/token", UriKind.Relative), new { userName, password = "demo" }, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        token = body.GetProperty("accessToken").GetString()!;
        _tokens[userName] = token;
        return token;
    }

    private HubConnection NewConnection(int api, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Apis[api], "/hubs/whistles"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
            })
            .Build();
        return connection;
    }

    /// <summary>The two summoned branches and the township of every township, on the given Api.</summary>
    public async Task ConnectListenersAsync(int api, CancellationToken ct)
    {
        foreach (var township in Townships)
        {
            foreach (var agency in Summoned)
            {
                var connection = NewConnection(api, await TokenAsync($"branch.{agency}.{township}", ct));
                var branchToken = await TokenAsync($"branch.{agency}.{township}", ct);
                var branchId = $"{agency}.{township}";
                connection.On<PushEvent>("whistleEvent", e =>
                {
                    var at = Clock.Now;
                    var m = Current;
                    if (m is null) return;
                    Interlocked.Increment(ref m.Pushes);
                    if (e.Type != "AssignmentDispatched" || e.Assignment?.BranchId != branchId) return;
                    if (m.Dispatched.TryAdd((e.WhistleId, agency, api), at)) m.DispatchedSequence[(e.WhistleId, agency, api)] = e.Sequence;
                    if (m.ReportLead && api == 0 && agency == Summoned[0] && e.AssignmentId is { } assignmentId)
                    {
                        _ = ReportAsync(m, assignmentId, branchToken);
                    }
                });
                await connection.StartAsync(ct);
                _listeners.Add(connection);
            }

            var townshipConnection = NewConnection(api, await TokenAsync($"township.{township}", ct));
            townshipConnection.On<PushEvent>("whistleEvent", e =>
            {
                var at = Clock.Now;
                var m = Current;
                if (m is null) return;
                Interlocked.Increment(ref m.Pushes);
                if (e.Type == "AssignmentReported" && e.AssignmentId is { } id) m.Reported.TryAdd(id, at);
            });
            await townshipConnection.StartAsync(ct);
            _listeners.Add(townshipConnection);
        }
    }

    private async Task ReportAsync(Measurement m, string assignmentId, string token)
    {
        var start = Clock.Now;
        m.Reports[assignmentId] = start;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/assignments/{assignmentId}/report", UriKind.Relative))
            {
                Content = new ByteArrayContent(ReportBody) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _http[0].SendAsync(request);
            if (response.IsSuccessStatusCode) m.ReportHttp.Add(Clock.SinceMs(start));
            else Interlocked.Increment(ref m.Failed);
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref m.Failed);
        }
        catch (TaskCanceledException)
        {
            Interlocked.Increment(ref m.Failed);
        }
    }

    /// <summary>One township raises one whistle on one Api; the start is taken before the request is sent.</summary>
    public async Task RaiseAsync(Measurement m, int api, CancellationToken ct)
    {
        var n = Interlocked.Increment(ref _next);
        var township = Townships[n % Townships.Length];
        var token = await TokenAsync($"township.{township}", ct);
        Interlocked.Increment(ref m.InFlight);
        var start = Clock.Now;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/whistles", UriKind.Relative))
            {
                Content = new ByteArrayContent(RaiseBody) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            string? sampledTrace = null;
            if (TraceSampleEvery > 0)
            {
                var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                var sampled = n % TraceSampleEvery == 0;
                request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-{(sampled ? "01" : "00")}");
                if (sampled) sampledTrace = traceId;
            }

            using var response = await _http[api].SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var done = Clock.Now;
            if (response.StatusCode == HttpStatusCode.Created && response.Headers.Location is { } location)
            {
                var id = location.OriginalString[(location.OriginalString.LastIndexOf('/') + 1)..];
                m.Raised[id] = (start, api);
                m.Answered[id] = done;
                if (sampledTrace is not null) m.Traces[id] = sampledTrace;
                m.RaiseHttp.Add(Clock.Ms(start, done));
            }
            else
            {
                Interlocked.Increment(ref m.Failed);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Increment(ref m.Failed);
        }
        finally
        {
            Interlocked.Decrement(ref m.InFlight);
        }
    }

    public async Task DropListenersAsync()
    {
        foreach (var c in _listeners) await c.DisposeAsync();
        _listeners.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await DropListenersAsync();
        foreach (var h in _http) h.Dispose();
    }
}
