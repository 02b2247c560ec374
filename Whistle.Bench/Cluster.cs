using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Whistle.Bench;

/// <summary>Whistle.Api or Whistle.Dispatcher as a real process, started from its Release build output.</summary>
public sealed class ProcessHost(string name, string dll, IReadOnlyDictionary<string, string> environment) : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    public string Name => name;

    public int Pid => _process?.Id ?? 0;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public void Start()
    {
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build it first (dotnet build -c Release).");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        info.ArgumentList.Add(dll);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool Running => _process is { HasExited: false };

    /// <summary>SIGTERM and wait; SIGKILL after the timeout.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process is not { HasExited: false }) return;
        Machine.Terminate(_process.Id);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(20));
        _process?.Dispose();
    }
}

/// <summary>
/// The distributed system on loopback: a RabbitMQ virtual host of the run's own on the running broker,
/// one SQLite file in a temporary folder, and any number of Api and Dispatcher processes.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly string _root;
    private readonly List<ProcessHost> _apis = [];
    private readonly List<ProcessHost> _dispatchers = [];
    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    public Cluster(string repositoryRoot, string rabbitHost, int rabbitPort, ClusterOptions? options = null)
    {
        _root = repositoryRoot;
        RabbitHost = rabbitHost;
        RabbitPort = rabbitPort;
        Options = options ?? new ClusterOptions();
        VirtualHost = "whistle-bench-" + Guid.NewGuid().ToString("N")[..8];
        DataFolder = Path.Combine(Path.GetTempPath(), VirtualHost);
        Directory.CreateDirectory(DataFolder);
    }

    public ClusterOptions Options { get; }

    /// <summary>The PostgreSQL database of this cluster (<c>--database postgresql</c>), null on SQLite.</summary>
    public string? PostgresConnectionString { get; private set; }

    private string? _postgresDatabase;

    /// <summary>With <c>--database postgresql</c>: a fresh database of the bench's PostgreSQL for this cluster.</summary>
    public async Task CreateDatabaseAsync(CancellationToken ct)
    {
        if (Options.Postgres is null || Options.Embedded) return;
        _postgresDatabase = VirtualHost.Replace('-', '_');
        PostgresConnectionString = await Options.Postgres.CreateDatabaseAsync(_postgresDatabase, ct);
    }

    /// <summary>Outbox rows not yet published (sent_at null), read from the cluster's database; -1 when it cannot be read.</summary>
    public Task<long> OutboxBacklogAsync() => OutboxProbe.BacklogAsync(PostgresConnectionString, DatabaseFile);

    public string RabbitHost { get; }

    public int RabbitPort { get; }

    public string VirtualHost { get; }

    public string DataFolder { get; }

    public string DatabaseFile => Path.Combine(DataFolder, "whistle.db");

    public IReadOnlyList<ProcessHost> Apis => _apis;

    public IReadOnlyList<ProcessHost> Dispatchers => _dispatchers;

    public List<Uri> ApiUrls { get; } = [];

    /// <summary>Keep the SQLite file after the run (for a look at the outbox and timeline times).</summary>
    public bool KeepData { get; set; }

    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Whistle.sln"))) return dir.FullName;
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Whistle.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("Whistle.sln not found above the bench's folder or the current folder.");
    }

    private string Dll(string project) => Path.Combine(_root, project, "bin", "Release", "net10.0", project + ".dll");

    public async Task CreateVirtualHostAsync()
    {
        if (Options.Embedded) return;
        await RabbitMqCtl("add_vhost", VirtualHost);
        await RabbitMqCtl("set_permissions", "-p", VirtualHost, "guest", ".*", ".*", ".*");
    }

    private static async Task RabbitMqCtl(params string[] args)
    {
        var info = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-q");
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    private const string ChildPrefix = "WHISTLE_BENCH_CHILD_";

    /// <summary>
    /// The garbage collector the processes run, for the report: as each ships (its runtimeconfig: the Api server GC,
    /// the Web SDK's default; the Dispatcher workstation GC), unless <c>WHISTLE_BENCH_CHILD_DOTNET_gcServer</c> sets it for both.
    /// </summary>
    public static string GarbageCollection => System.Environment.GetEnvironmentVariable(ChildPrefix + "DOTNET_gcServer") switch
    {
        "1" => "server GC in every process (WHISTLE_BENCH_CHILD_DOTNET_gcServer=1)",
        "0" => "workstation GC in every process (WHISTLE_BENCH_CHILD_DOTNET_gcServer=0)",
        _ => "garbage collection as each process ships (the Api server GC, the Dispatcher workstation GC)",
    };

    private Dictionary<string, string> Environment()
    {
        var environment = new Dictionary<string, string>
        {
            ["Whistle__Auth__SigningKey"] = _signingKey,
            ["Whistle__Demo__Enabled"] = "true",
            ["Whistle__DataFolder"] = DataFolder,
            ["Whistle__Auth__RaisesPerMinute"] = "10000",
            ["Whistle__Auth__LoginAttemptsPerMinute"] = "10000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (Options.Embedded)
        {
            // The embedded way, as `dotnet run --project Whistle.Api` runs it: SQLite, the in-memory bus, the
            // dispatcher's consumers in the Api process (the defaults: nothing to set).
            environment["Whistle__Bus__Transport"] = "InMemory";
        }
        else
        {
            environment["Whistle__Bus__Transport"] = "RabbitMq";
            environment["Whistle__Bus__RabbitMq__Host"] = RabbitHost;
            environment["Whistle__Bus__RabbitMq__Port"] = (Options.BrokerPort ?? RabbitPort).ToString(CultureInfo.InvariantCulture);
            environment["Whistle__Bus__RabbitMq__VirtualHost"] = VirtualHost;
            environment["Whistle__Dispatcher__InProcess"] = "false";
        }

        if (PostgresConnectionString is not null)
        {
            environment["Whistle__Database__Provider"] = "PostgreSql";
            environment["Whistle__Database__ConnectionString"] = PostgresConnectionString;
        }

        foreach (var (k, v) in Options.ExtraEnvironment) environment[k] = v;

        // An experiment's runtime setting for the measured processes only, not the load generator:
        // WHISTLE_BENCH_CHILD_X=v in the bench's environment sets X=v in every Api and Dispatcher it starts.
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.StartsWith(ChildPrefix, StringComparison.Ordinal) && key.Length > ChildPrefix.Length)
            {
                environment[key[ChildPrefix.Length..]] = entry.Value as string ?? string.Empty;
            }
        }

        return environment;
    }

    public async Task<ProcessHost> StartApiAsync(CancellationToken cancellationToken)
    {
        var port = FreePort();
        var environment = Environment();
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        var api = new ProcessHost($"api-{_apis.Count + 1}", Dll("Whistle.Api"), environment);
        api.Start();
        var url = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!api.Running) throw new ProcessExitedException(api.Name, api.Output);
            try
            {
                using var response = await http.GetAsync(new Uri("/api/demo/users", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode) break;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{api.Name} did not answer in time:\n{api.Output}");
            await Task.Delay(200, cancellationToken);
        }

        _apis.Add(api);
        ApiUrls.Add(url);
        return api;
    }

    public ProcessHost StartDispatcher()
    {
        if (Options.Embedded) throw new InvalidOperationException("The embedded way has its dispatcher in the Api process.");
        var dispatcher = new ProcessHost($"dispatcher-{_dispatchers.Count + 1}", Dll("Whistle.Dispatcher"), Environment());
        dispatcher.Start();
        _dispatchers.Add(dispatcher);
        return dispatcher;
    }

    public async Task StopLastApiAsync()
    {
        var api = _apis[^1];
        await api.StopAsync(TimeSpan.FromSeconds(30));
        _apis.RemoveAt(_apis.Count - 1);
        ApiUrls.RemoveAt(ApiUrls.Count - 1);
        await api.DisposeAsync();
    }

    public async Task StopLastDispatcherAsync()
    {
        var dispatcher = _dispatchers[^1];
        await dispatcher.StopAsync(TimeSpan.FromSeconds(30));
        _dispatchers.RemoveAt(_dispatchers.Count - 1);
        await dispatcher.DisposeAsync();
    }

    /// <summary>The first line of a process's output that says why it stopped (an exception or an options error; JSON log lines are read).</summary>
    public static string FirstError(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in lines.Where(l => l.StartsWith('{')))
        {
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(line);
                if (json.RootElement.TryGetProperty("Exception", out var exception) && exception.GetString() is { Length: > 0 } text)
                {
                    var first = text.Split('\n')[0].Trim();
                    var inner = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("--->", StringComparison.Ordinal));
                    return inner is null ? first : $"{first} {inner}";
                }
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }

        var plain = lines.FirstOrDefault(l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("fail", StringComparison.OrdinalIgnoreCase))
            ?? lines.LastOrDefault() ?? "(no output)";
        return plain.Length > 400 ? plain[..400] + " …" : plain;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _apis.Concat(_dispatchers))
        {
            await p.DisposeAsync();
        }

        if (!Options.Embedded)
        {
            try
            {
                await RabbitMqCtl("delete_vhost", VirtualHost);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"Could not delete the virtual host {VirtualHost}: {e.Message}");
            }
        }

        if (_postgresDatabase is not null && Options.Postgres is not null && !KeepData)
        {
            try
            {
                await Options.Postgres.DropDatabaseAsync(_postgresDatabase);
            }
            catch (Npgsql.NpgsqlException e)
            {
                Console.Error.WriteLine($"Could not drop the database {_postgresDatabase}: {e.Message}");
            }
        }

        if (KeepData)
        {
            Console.WriteLine($"data kept in {DataFolder}");
            return;
        }

        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>How a <see cref="Cluster"/> runs.</summary>
public sealed record ClusterOptions
{
    /// <summary>The embedded way: one Api process with SQLite, the in-memory bus and the dispatcher in-process.</summary>
    public bool Embedded { get; init; }

    /// <summary>Where the processes reach RabbitMQ instead of its own port (a <see cref="LatencyProxy"/>).</summary>
    public int? BrokerPort { get; init; }

    /// <summary>The bench's PostgreSQL (<c>--database postgresql</c>): a database of it instead of the SQLite file.</summary>
    public BenchPostgres? Postgres { get; init; }

    /// <summary>More environment for every process (OpenTelemetry export for the stage breakdown).</summary>
    public IReadOnlyDictionary<string, string> ExtraEnvironment { get; init; } = new Dictionary<string, string>();
}

/// <summary>A Whistle process ended while the bench waited for it to answer.</summary>
public sealed class ProcessExitedException(string name, string output) : InvalidOperationException($"{name} exited:\n{output}")
{
    public string Name => name;

    public string Output => output;
}
