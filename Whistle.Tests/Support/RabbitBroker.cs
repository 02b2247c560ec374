using System.Diagnostics;
using System.Net.Sockets;

namespace Whistle.Tests.Support;

/// <summary>
/// The RabbitMQ broker the test command started on 127.0.0.1:5672. Each fixture gets a virtual host of
/// its own (removed afterwards), so runs never see each other's queues. Under CI=true a missing broker
/// fails the run; elsewhere the distributed tests are ignored with that reason.
/// </summary>
public sealed class RabbitBroker
{
    private RabbitBroker(int port, string virtualHost)
    {
        Port = port;
        VirtualHost = virtualHost;
    }

    public int Port { get; }

    public string VirtualHost { get; }

    public static int DefaultPort => int.TryParse(Environment.GetEnvironmentVariable("WHISTLE_TEST_RABBITMQ_PORT"), out var p) ? p : 5672;

    public static RabbitBroker RequireRunning()
    {
        var port = DefaultPort;
        if (!IsListening(port))
        {
            var reason = $"RabbitMQ is not listening on 127.0.0.1:{port}; run ./test.sh, which installs and starts it.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(reason);
            }

            Assert.Ignore(reason);
        }

        var vhost = $"whistle-test-{Guid.NewGuid():N}";
        if (Rabbitmqctl("add_vhost", vhost) && Rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"))
        {
            return new RabbitBroker(port, vhost);
        }

        return new RabbitBroker(port, "/");
    }

    public void Delete()
    {
        if (VirtualHost != "/")
        {
            Rabbitmqctl("delete_vhost", VirtualHost);
        }
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>This virtual host's bindings as (source, destination) pairs (<c>rabbitmqctl list_bindings</c>).</summary>
    public IReadOnlyList<(string Source, string Destination)> Bindings()
    {
        var info = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "list_bindings", "-p", VirtualHost, "--no-table-headers", "source_name", "destination_name" }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit(60_000);
        Assert.That(process.ExitCode, Is.Zero, "rabbitmqctl list_bindings");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(f => f.Length == 2)
            .Select(f => (f[0], f[1].TrimEnd('\r')))
            .ToList();
    }

    private static bool Rabbitmqctl(params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add("-q");
            foreach (var a in args) info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit(60_000);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
