using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Whistle.Tests.Support;

/// <summary>
/// A tiny HTTP receiver on 127.0.0.1 for notice tests: records every request (any method), answers
/// <c>{"errcode":0}</c>, 500 to the first N requests of a path (and query) prefix, or whatever a test sets for a path.
/// </summary>
public sealed class NoticeReceiver : IAsyncDisposable
{
    public sealed record Request(
        string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string ContentType, string Body, int Answered, DateTimeOffset At);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _failures = new();
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _answers = new();

    private NoticeReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<Request> Requests { get; } = new();

    public Uri Address { get; private set; } = null!;

    public int Port => Address.Port;

    public static async Task<NoticeReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new NoticeReceiver(app);
        app.Map("/{**path}", receiver.HandleAsync);
        await app.StartAsync();
        receiver.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    /// <summary>An absolute address on this receiver, e.g. <c>Url("/hook?token=x")</c>.</summary>
    public string Url(string pathAndQuery) => new Uri(Address, pathAndQuery).ToString();

    /// <summary>Answers 500 to the next <paramref name="count"/> requests whose path and query start with <paramref name="prefix"/>.</summary>
    public void FailFirst(string prefix, int count) => _failures[prefix] = count;

    /// <summary>Answers requests to <paramref name="path"/> with <paramref name="answer"/> (after recording them).</summary>
    public void Answer(string path, Func<HttpContext, Task> answer) => _answers[path] = answer;

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        var path = http.Request.Path.Value!;
        var query = http.Request.QueryString.Value ?? "";
        _answers.TryGetValue(path, out var answer);
        var fail = answer is null && ShouldFail(path + query);
        var code = answer is not null ? 0 : fail ? 500 : 200;
        Requests.Enqueue(new Request(
            http.Request.Method, path, query, http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            http.Request.ContentType ?? "", body, code, DateTimeOffset.UtcNow));
        if (answer is not null)
        {
            await answer(http);
            return;
        }

        http.Response.StatusCode = code;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(fail ? "{\"error\":\"try later\"}" : "{\"errcode\":0,\"errmsg\":\"ok\"}", http.RequestAborted);
    }

    private bool ShouldFail(string pathAndQuery)
    {
        lock (_failures)
        {
            foreach (var (prefix, remaining) in _failures)
            {
                if (remaining > 0 && pathAndQuery.StartsWith(prefix, StringComparison.Ordinal))
                {
                    _failures[prefix] = remaining - 1;
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The first request to <paramref name="path"/> whose body contains <paramref name="contains"/> (30 s at most).</summary>
    public async Task<Request> WaitForAsync(string path, string contains, bool succeeded = false)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var hit = Requests.FirstOrDefault(r => r.Path == path && r.Body.Contains(contains, StringComparison.Ordinal) && (!succeeded || r.Answered == 200));
            if (hit is not null) return hit;
            await Task.Delay(100);
        }

        throw new TimeoutException($"Nothing arrived at {path} containing {contains}. Arrived: {string.Join(", ", Requests.Select(r => r.Path))}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// Test only: sends what the notice client addresses to the chat platforms' hosts to a local receiver instead
/// (plain http, the receiver's port; path and query kept). Added to the notice client by a test's services hook,
/// in front of the product's own handler, which still checks the address it connects to (so the test lists
/// 127.0.0.0/8 in <c>Whistle:Notices:AllowedNetworks</c>).
/// </summary>
public sealed class PlatformHostsToReceiver(Uri receiver) : DelegatingHandler
{
    private static readonly string[] PlatformHosts = ["qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn", "open.larksuite.com"];

    public static Action<IServiceCollection> Services(Uri receiver) =>
        services => services.AddHttpClient(Whistle.Dispatcher.Notices.NoticeSender.HttpClientName)
            .AddHttpMessageHandler(() => new PlatformHostsToReceiver(receiver));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && PlatformHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
        {
            request.RequestUri = new UriBuilder(uri) { Scheme = "http", Host = receiver.Host, Port = receiver.Port }.Uri;
        }

        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// Test only: a resolver for the notice sender with names of the test's own (e.g. <c>rebind.test</c> → 127.0.0.1, as a
/// DNS-rebinding attacker's name would answer at connect time); other names go to the system resolver.
/// </summary>
public sealed class MappedNoticeHostResolver(IReadOnlyDictionary<string, IPAddress[]> names) : Whistle.Dispatcher.Notices.INoticeHostResolver
{
    public ConcurrentQueue<string> Asked { get; } = new();

    public static Action<IServiceCollection> Services(MappedNoticeHostResolver resolver) =>
        services => services.AddSingleton<Whistle.Dispatcher.Notices.INoticeHostResolver>(resolver);

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        Asked.Enqueue(host);
        return names.TryGetValue(host, out var addresses) ? Task.FromResult(addresses) : Dns.GetHostAddressesAsync(host, cancellationToken);
    }
}
