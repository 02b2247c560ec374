using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Whistle.Tests.Support;

/// <summary>A real SignalR client of /hubs/whistles over WebSockets, with its own token.</summary>
public sealed class PushClient : IAsyncDisposable
{
    private readonly Channel<JsonNode> _events = Channel.CreateUnbounded<JsonNode>();
    private readonly List<JsonNode> _received = [];
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PushClient(HubConnection connection)
    {
        Connection = connection;
        connection.Closed += e =>
        {
            _closed.TrySetResult(e);
            return Task.CompletedTask;
        };
    }

    /// <summary>Completes when the server (or the client) closes the connection.</summary>
    public Task<Exception?> Closed => _closed.Task;

    /// <summary>Whether the connection closes within <paramref name="timeout"/>.</summary>
    public async Task<bool> ClosesWithinAsync(TimeSpan timeout) => await Task.WhenAny(Closed, Task.Delay(timeout)) == Closed;

    public HubConnection Connection { get; }

    public IReadOnlyList<JsonNode> Received
    {
        get
        {
            lock (_lock)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>
    /// What was received so far about one whistle (a follow-up, a meeting: the id an event carries as its whistleId).
    /// To show that a push did not reach this client, first wait for a later event it does receive, raised after every
    /// event in question was pushed (seen by a client that should have them): a connection's pushes arrive in the order
    /// they were sent, so one of them pushed here would have arrived before it. Never a sleep.
    /// </summary>
    public IReadOnlyList<JsonNode> ReceivedAbout(string whistleId) =>
        [.. Received.Where(e => (string?)e["whistleId"] == whistleId)];

    public static async Task<PushClient> ConnectAsync(Uri baseAddress, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, "/hubs/whistles"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .AddJsonProtocol()
            .Build();
        var client = new PushClient(connection);
        connection.On<JsonNode>("whistleEvent", e =>
        {
            lock (client._lock)
            {
                client._received.Add(e);
            }

            client._events.Writer.TryWrite(e);
        });
        await connection.StartAsync();

        // StartAsync returns once the handshake is answered; the hub adds the connection to its groups in
        // OnConnectedAsync, which runs after that, and reads no invocation before it has finished. The answer to one (of a
        // method no hub has: no side effect, no rate limit) says the connection is in its groups — else an event pushed
        // in between would reach the client only through a catch-up, as the web client does, not live as specs expect.
        try
        {
            await connection.InvokeAsync(NoSuchMethod);
        }
        catch (HubException)
        {
            // the expected answer
        }
        catch (Exception) when (connection.State != HubConnectionState.Connected)
        {
            // closed by the server (a refused token): as before, the spec sees it closed
        }

        return client;
    }

    private const string NoSuchMethod = "WhistleTestsConnected";

    /// <summary>Waits for the next received event that matches, consuming the ones before it.</summary>
    public async Task<JsonNode> WaitForAsync(Func<JsonNode, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(cts.Token);
                if (match(e))
                {
                    return e;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No matching push arrived; received: {string.Join(", ", Received.Select(e => e["type"]))}");
            throw;
        }
    }

    /// <summary>Waits until everything received so far satisfies a condition (order-independent).</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<JsonNode>, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition(Received))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The pushes never satisfied the condition; received: {string.Join(", ", Received.Select(e => $"{e["type"]}#{e["sequence"]}"))}");
            }

            await Task.Delay(20);
        }
    }

    public Task<JsonNode> WaitForAsync(string type, string whistleId, TimeSpan? timeout = null) =>
        WaitForAsync(e => (string?)e["type"] == type && (string?)e["whistleId"] == whistleId, timeout);

    public async Task<IReadOnlyList<JsonNode>> CatchUpAsync(long afterSequence) =>
        await Connection.InvokeAsync<List<JsonNode>>("CatchUp", afterSequence);

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}

public static class JsonNodeExtensions
{
    public static string Str(this JsonNode node, string property) => node[property]!.GetValue<string>();

    public static long Seq(this JsonNode node) => node["sequence"]!.GetValue<long>();
}
