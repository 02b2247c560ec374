using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Whistle.Bench;

/// <summary>
/// A loopback TCP forwarder that adds a fixed one-way delay, for the parallel-progress scenario (issue 15): put between
/// the processes and RabbitMQ, it makes the pipeline wait rather than compute, so that what two relays or dispatchers
/// carry against one shows whether the design has a serial point, even on two cores.
/// <para>
/// Exactly: each direction of each connection has a reader and a writer. The reader stamps every chunk it reads
/// (whatever one <c>read</c> returns, up to 64 KiB) and queues it; the writer writes each chunk, in order, once
/// <see cref="Delay"/> has passed since it was read (a writer thread per direction sleeps until then on the monotonic clock). Chunks do not wait for each other: the link has latency, not less
/// bandwidth (like <c>tc netem delay</c>). A request–answer round trip through it (a publish and its confirm) so costs
/// at least 2 × <see cref="Delay"/> more than without it. <see cref="Added"/> records the delay each chunk actually got
/// (the report shows it: the timer overshoots by a fraction of a millisecond on an idle machine, more on a busy one).
/// </para>
/// </summary>
public sealed partial class LatencyProxy : IAsyncDisposable
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
        using var queue = new BlockingCollection<(long At, byte[] Data, int Length)>();
        var delayTicks = (long)(Delay.TotalSeconds * Stopwatch.Frequency);

        // The writer is a thread of its own that sleeps until each chunk is due on the monotonic clock (clock_nanosleep
        // with an absolute time: a tenth of a millisecond late at most on an idle machine, where Task.Delay's timer is
        // whole milliseconds and late by one or two more).
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new Thread(() =>
        {
            try
            {
                foreach (var (at, data, length) in queue.GetConsumingEnumerable(_stop.Token))
                {
                    SleepUntil(at + delayTicks);
                    Added.Add(Clock.SinceMs(at));
                    to.Write(data, 0, length);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException or InvalidOperationException)
            {
            }
            finally
            {
                toClient.Dispose();
                written.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "latency proxy writer",
            Priority = ThreadPriority.AboveNormal,
        };
        writer.Start();

        try
        {
            while (true)
            {
                var buffer = new byte[64 * 1024];
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0) break;
                queue.Add((Clock.Now, buffer, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        finally
        {
            queue.CompleteAdding();
        }

        await written.Task;
        fromClient.Dispose();
    }

    private const int ClockMonotonic = 1;
    private const int TimerAbsoluteTime = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, ref TimeSpec request, IntPtr remain);

    /// <summary>Sleeps until the Stopwatch timestamp <paramref name="due"/> (on Linux: CLOCK_MONOTONIC in nanoseconds).</summary>
    private static void SleepUntil(long due)
    {
        if (OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000)
        {
            var spec = new TimeSpec { Seconds = due / 1_000_000_000, Nanoseconds = due % 1_000_000_000 };
            while (Clock.Now < due && ClockNanosleep(ClockMonotonic, TimerAbsoluteTime, ref spec, IntPtr.Zero) == 4)
            {
                // EINTR: a signal woke it; sleep on.
            }

            return;
        }

        var wait = Clock.Ms(Clock.Now, due);
        if (wait > 0) Thread.Sleep((int)Math.Ceiling(wait));
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
