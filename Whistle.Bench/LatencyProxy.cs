using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Whistle.Bench;

/// <summary>
/// A loopback TCP forwarder that adds a fixed one-way delay, for the parallel-progress scenario (issue 15): put between
/// the processes and RabbitMQ, it makes the pipeline wait rather than compute, so that what two relays or dispatchers
/// carry against one shows whether the design has a serial point, even on two cores.
/// <para>
/// Exactly: each direction of each connection has a reader and a writer. The reader stamps every chunk it reads
/// (whatever one <c>read</c> returns, up to 64 KiB) and queues it; the writer writes each chunk, in order, once
/// <see cref="Delay"/> has passed since it was read. Chunks do not wait for each other: the link has latency, not less
/// bandwidth (like <c>tc netem delay</c>). A request–answer round trip through it (a publish and its confirm) so costs
/// at least 2 × <see cref="Delay"/> more than without it. <see cref="Added"/> records the delay each chunk actually got
/// (the timer overshoots by a fraction of a millisecond on an idle machine, more on a busy one).
/// </para>
/// </summary>
public sealed class LatencyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Lock _lock = new();
    private readonly Task _accepting;

    public LatencyProxy(string targetHost, int targetPort, TimeSpan delay)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        Delay = delay;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>The one-way delay added to every chunk, in each direction.</summary>
    public TimeSpan Delay { get; }

    /// <summary>The delay each forwarded chunk actually got, ms (from its read to the start of its write).</summary>
    public Recorder Added { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            client.NoDelay = true;
            server.NoDelay = true;
            lock (_lock)
            {
                _connections.Add(client);
                _connections.Add(server);
            }

            _ = ForwardAsync(client, server);
            _ = ForwardAsync(server, client);
        }
    }

    private async Task ForwardAsync(TcpClient fromClient, TcpClient toClient)
    {
        var from = fromClient.GetStream();
        var to = toClient.GetStream();
        var queue = Channel.CreateUnbounded<(long At, byte[] Data, int Length)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (at, data, length) in queue.Reader.ReadAllAsync(_stop.Token))
                {
                    var due = at + (long)(Delay.TotalSeconds * Stopwatch.Frequency);
                    var wait = Clock.Ms(Clock.Now, due);
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(wait), _stop.Token);
                    }

                    Added.Add(Clock.SinceMs(at));
                    await to.WriteAsync(data.AsMemory(0, length), _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
            {
            }
            finally
            {
                toClient.Dispose();
            }
        });

        try
        {
            while (true)
            {
                var buffer = new byte[64 * 1024];
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0) break;
                await queue.Writer.WriteAsync((Clock.Now, buffer, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            queue.Writer.TryComplete();
        }

        await writer;
        fromClient.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_lock)
        {
            foreach (var c in _connections) c.Dispose();
            _connections.Clear();
        }

        _stop.Dispose();
    }
}
