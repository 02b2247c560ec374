using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Whistle.Bench;

/// <summary>
/// A throwaway PostgreSQL cluster of the bench's own (<c>--database postgresql</c>), made the way test.sh makes the
/// tests' one: initdb and pg_ctl of the newest /usr/lib/postgresql/*/bin, run as the user postgres when the bench runs
/// as root, a data folder under the temporary folder, listening on 127.0.0.1 only on a free port and a socket folder
/// of its own, trusting loopback (user <c>whistle</c>, a superuser), fsync on, 300 connections. Stopped and deleted
/// when disposed. Each <see cref="Cluster"/> takes a fresh database of it.
/// </summary>
public sealed class BenchPostgres : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string _bin;

    private BenchPostgres(string folder, string bin, int port, string version)
    {
        _folder = folder;
        _bin = bin;
        Port = port;
        Version = version;
    }

    public int Port { get; }

    public string Version { get; }

    public string DataFolder => Path.Combine(_folder, "data");

    /// <summary>The maintenance database, not pooled.</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=whistle;Database=postgres;Pooling=false";

    public static string? FindBin() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")))
                .OrderBy(b => System.Version.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : new System.Version(0, 0))
                .LastOrDefault()
            : null;

    /// <param name="statementLog">
    /// When given (<c>--statement-log FILE</c>), the server logs every statement it runs to that file (<c>log_statement =
    /// all</c>, with time and backend pid): <c>docs/benchmarks/count-statements.py</c> counts them per whistle. Logging
    /// costs the server CPU: rates measured so are not comparable with others.
    /// </param>
    public static async Task<BenchPostgres> StartAsync(CancellationToken ct, string? statementLog = null)
    {
        var bin = FindBin() ?? throw new InvalidOperationException(
            "--database postgresql needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql (./test.sh installs it too).");
        var folder = Path.Combine(Path.GetTempPath(), "whistle-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", ["postgres:", folder], ct);
        var port = Cluster.FreePort();
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(folder, "data"), "-U", "whistle", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], ct, asRoot, folder);
        await File.AppendAllTextAsync(
            Path.Combine(folder, "data", "postgresql.conf"),
            $"""

            # whistle bench
            listen_addresses = '127.0.0.1'
            port = {port}
            unix_socket_directories = '{folder}'
            fsync = on
            synchronous_commit = on
            max_connections = 300
            """ + (statementLog is null ? string.Empty : "\nlog_statement = 'all'\nlog_line_prefix = '%m [%p] '\n")
            // An experiment's server settings (WHISTLE_BENCH_POSTGRES_CONF="plan_cache_mode = force_generic_plan", lines
            // separated by ';'), appended last: the bench's server only, never a county's.
            + string.Concat((Environment.GetEnvironmentVariable("WHISTLE_BENCH_POSTGRES_CONF") ?? string.Empty)
                .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => "\n" + line)) + "\n",
            ct);
        var log = Path.Combine(folder, "postgres.log");
        if (statementLog is not null)
        {
            log = Path.GetFullPath(statementLog);
            await File.WriteAllTextAsync(log, string.Empty, ct);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(log, (UnixFileMode)0b110_110_110);
        }

        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(folder, "data"), "-l", log, "-w", "-t", "60", "start"], ct, asRoot, folder);
        var version = (await RunAsync(Path.Combine(bin, "postgres"), ["--version"], ct)).Trim();
        var server = new BenchPostgres(folder, bin, port, version);
        await using var connection = new NpgsqlConnection(server.AdminConnectionString);
        await connection.OpenAsync(ct);
        return server;
    }

    /// <summary>A fresh database; returns its (pooled) connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(ct);
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0", connection);
        await create.ExecuteNonQueryAsync(ct);
        // The pool as the product sizes it (PostgreSqlDialect.DefaultMaxPoolSize) unless an experiment says otherwise
        // (WHISTLE_BENCH_POSTGRES_CONNECTION="Maximum Pool Size=100", added to the connection string).
        var extra = Environment.GetEnvironmentVariable("WHISTLE_BENCH_POSTGRES_CONNECTION") is { Length: > 0 } more ? ";" + more : string.Empty;
        return $"Host=127.0.0.1;Port={Port};Username=whistle;Database={name};Pooling=true{extra}";
    }

    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Through bash, which closes every descriptor above 2 first: a server started by the bench must not keep what the
    /// bench inherited (a build lock). As the user postgres when the bench runs as root (initdb and postgres refuse root).
    /// </summary>
    private static async Task<string> RunAsync(string file, string[] args, CancellationToken ct, bool asPostgres = false, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? Path.GetTempPath() };
        foreach (var a in new[] { "-c", "for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; exec \"$@\"", "bash" }) info.ArgumentList.Add(a);
        if (asPostgres)
        {
            foreach (var a in new[] { "runuser", "-u", "postgres", "--" }) info.ArgumentList.Add(a);
        }

        info.ArgumentList.Add(file);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {process.ExitCode}: {await output}{await error}");
        }

        return await output;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataFolder, "-m", "fast", "-w", "-t", "30", "stop"], CancellationToken.None, Environment.UserName == "root", _folder);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"PostgreSQL did not stop: {e.Message}");
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Version} on 127.0.0.1:{Port} ({_folder})");
}
