using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Whistle.Tests.Reliability;

public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// A RabbitMQ node of the test's own — its own node name, ports and data folder — that the test may kill -9
/// and start again without disturbing the broker other tests use.
/// </summary>
public sealed class OwnBroker : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "whistle-broker-" + Guid.NewGuid().ToString("N")[..8]);

    public OwnBroker()
    {
        Port = FreePort.Next();
        DistributionPort = FreePort.Next();
        NodeName = $"whistle-fault-{Guid.NewGuid().ToString("N")[..6]}@localhost";
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "enabled_plugins"), "[].");
        // rabbitmq-server drops to the rabbitmq user when started as root: the folder must be its.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_folder, (UnixFileMode)0b111_111_111);
        }
        try
        {
            using var chown = Process.Start("chown", ["-R", "rabbitmq:rabbitmq", _folder]);
            chown.WaitForExit(10_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No chown: the folder is world-writable anyway.
        }
    }

    public int Port { get; }

    public int DistributionPort { get; }

    public string NodeName { get; }

    public int Kills { get; private set; }

    private ProcessStartInfo Info(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["RABBITMQ_NODENAME"] = NodeName;
        info.Environment["RABBITMQ_NODE_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["RABBITMQ_DIST_PORT"] = DistributionPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_folder, "mnesia");
        info.Environment["RABBITMQ_LOG_BASE"] = Path.Combine(_folder, "log");
        info.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_folder, "enabled_plugins");
        info.Environment["RABBITMQ_PID_FILE"] = Path.Combine(_folder, "rabbit.pid");
        return info;
    }

    private static async Task<(int Code, string Output)> RunAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await output + await error);
    }

    public static bool Available => File.Exists("/usr/sbin/rabbitmq-server") || File.Exists("/usr/lib/rabbitmq/bin/rabbitmq-server");

    public async Task StartAsync()
    {
        await RunAsync(Info("rabbitmq-server", "-detached"), TimeSpan.FromSeconds(60));
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var (code, output) = await RunAsync(Info("rabbitmqctl", "-n", NodeName, "-q", "await_startup", "--timeout", "60"), TimeSpan.FromSeconds(70));
            if (code == 0) return;
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"The test's RabbitMQ node did not start: {output}");
            await Task.Delay(1000);
        }
    }

    private async Task<int> PidAsync()
    {
        var (_, output) = await RunAsync(Info("rabbitmqctl", "-n", NodeName, "-q", "eval", "list_to_integer(os:getpid())."), TimeSpan.FromSeconds(30));
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>kill -9 the node's Erlang VM.</summary>
    public async Task KillAsync()
    {
        var pid = await PidAsync();
        Process.GetProcessById(pid).Kill();
        Kills++;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(Info("rabbitmqctl", "-n", NodeName, "stop"), TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Whistle.Api or Whistle.Dispatcher as a real process of its own, started from its build output.</summary>
public sealed class ProcessHost : IAsyncDisposable
{
    private readonly string _dll;
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public ProcessHost(string name, string project, Dictionary<string, string> environment)
    {
        Name = name;
        _environment = environment;
        var testBin = new DirectoryInfo(AppContext.BaseDirectory);                 // …/Whistle.Tests/bin/{Configuration}/net10.0/
        var configuration = testBin.Parent!.Name;
        var root = testBin.Parent!.Parent!.Parent!.Parent!.FullName;
        _dll = Path.Combine(root, project, "bin", configuration, testBin.Name, project + ".dll");
    }

    public string Name { get; }

    public int Kills { get; private set; }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public void Start()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(_dll)! };
        info.ArgumentList.Add(_dll);
        foreach (var (k, v) in _environment) info.Environment[k] = v;
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        _process?.Kill(entireProcessTree: true);
        _process?.WaitForExit(10_000);
        Kills++;
    }

    public bool Running => _process is { HasExited: false };

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}
