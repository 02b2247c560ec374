using System.Net;
using System.Net.Sockets;

namespace Whistle.Tests.Support;

/// <summary>
/// A loopback TCP forwarder in front of a real server (the test broker): <see cref="CutAsync"/> closes every
/// connection through it and stops listening, so that the processes behind it lose the server as they would
/// in a network failure, while the server itself stays up for the other tests. <see cref="Stall"/> keeps the
/// connections open but forwards nothing (a link that hangs rather than breaks: no reset, no error, just
/// silence) until <see cref="Resume"/>.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly List<TcpClient> _connections = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private TaskCompletionSource _flowing = CompletedGate();

    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

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
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            lock (_lock)
            {
                _connections.Add(client);
                _connections.Add(server);
            }

            _ = PumpAsync(client.GetStream(), server.GetStream());
            _ = PumpAsync(server.GetStream(), client.GetStream());
        }
    }

    /// <summary>Forwards nothing in either direction, on the open connections and on new ones, until <see cref="Resume"/>.</summary>
    public void Stall()
    {
        lock (_lock)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Forwards again, starting with whatever was held back.</summary>
    public void Resume()
    {
        lock (_lock)
        {
            _flowing.TrySetResult();
        }
    }

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                Task gate;
                lock (_lock)
                {
                    gate = _flowing.Task;
                }

                await gate.WaitAsync(_stop.Token);
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
            // The connection was cut (by the test, or by either side).
        }
    }

    /// <summary>Stops listening and drops every open connection.</summary>
    public async Task CutAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_lock)
        {
            foreach (var connection in _connections)
            {
                connection.Client.Close(0);
                connection.Dispose();
            }

            _connections.Clear();
        }

        await _accepting;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await CutAsync();
        }

        _stop.Dispose();
    }
}
