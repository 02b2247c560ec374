using System.Net;
using System.Net.WebSockets;
using Whistle.Api.Push;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// The hub's WebSocket request runs for the connection's life, so it passes the middlewares that only shape an
/// error's problem body (docs/benchmarks/2026-12-03-memory.md); the security headers and the refusal stay.
/// </summary>
[NonParallelizable]
public sealed class When_a_hub_handshake_has_no_token
{
    [Test]
    public async Task Should_refuse_the_WebSocket_with_401_and_the_security_headers()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(new Uri(system.Api, WhistleHub.Path)) { Scheme = "ws" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, timeout.Token));

        Assert.Multiple(() =>
        {
            Assert.That(socket.HttpStatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(socket.HttpResponseHeaders?["X-Content-Type-Options"], Is.EqualTo(new[] { "nosniff" }));
            Assert.That(socket.HttpResponseHeaders?["X-Frame-Options"], Is.EqualTo(new[] { "DENY" }));
        });
    }

    [Test]
    public async Task Should_refuse_the_handshake_without_a_problem_body()
    {
        // The handshake as a browser sends it, read as plain HTTP: the refusal is a bare 401 (a WebSocket client
        // never sees a handshake's body), so the request did pass the problem-body middlewares.
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var http = new HttpClient { BaseAddress = system.Api };
        using var request = new HttpRequestMessage(HttpMethod.Get, WhistleHub.Path);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(body, Is.Empty, "no problem body");
            Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        });
    }

    [Test]
    public async Task Should_answer_a_negotiation_without_a_token_with_a_401_problem()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var http = new HttpClient { BaseAddress = system.Api };

        var response = await http.PostAsync($"{WhistleHub.Path}/negotiate?negotiateVersion=1", null);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        });
    }
}
