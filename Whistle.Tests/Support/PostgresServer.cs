using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Whistle.Tests.Support;

/// <summary>
/// The PostgreSQL cluster the test command started: a throwaway one on 127.0.0.1 (user <c>whistle</c>, trusted on
/// loopback, fsync on). test.sh exports its connection string to a maintenance database
/// (<see cref="ConnectionVariable"/>), its data folder (<see cref="DataVariable"/>) and its pg_ctl
/// (<see cref="PgCtlVariable"/>). Each test or fixture takes a fresh empty database of its own
/// (<see cref="CreateDatabaseAsync"/>, dropped when disposed). Under CI=true a missing PostgreSQL fails the test;
/// elsewhere the test is ignored with that reason.
/// </summary>
public sealed partial class PostgresServer
{
    public const string ConnectionVariable = "WHISTLE_TEST_POSTGRES";
    public const string DataVariable = "WHISTLE_TEST_POSTGRES_DATA";
    public const string PgCtlVariable = "WHISTLE_TEST_POSTGRES_BIN";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private PostgresServer(string connectionString, string? dataFolder, string? pgCtl)
    {
        // Administration on connections of its own, never pooled: a pool would hand out connections a kill has broken.
        ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        DataFolder = dataFolder;
        PgCtl = pgCtl;
    }

    /// <summary>The maintenance database's connection string (not pooled).</summary>
    public string ConnectionString { get; }

    /// <summary>The cluster's data folder, where test.sh started it (null where only the connection string is known).</summary>
    public string? DataFolder { get; }

    /// <summary>The pg_ctl that started it.</summary>
    public string? PgCtl { get; }

    /// <summary>The postmaster's process id, from <c>postmaster.pid</c> in the data folder.</summary>
    public int PostmasterPid
    {
        get
        {
            var file = Path.Combine(DataFolder ?? throw new InvalidOperationException($"{DataVariable} is not set."), "postmaster.pid");
            return int.Parse(File.ReadLines(file).First().Trim(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The server test.sh started; fails the test under CI=true when there is none, else ignores it.</summary>
    public static PostgresServer Require()
    {
        var connectionString = Variable(ConnectionVariable);
        if (connectionString is null)
        {
            Unavailable($"PostgreSQL is not available: {ConnectionVariable} is not set. Run ./test.sh, which installs PostgreSQL (Debian package postgresql) and starts a throwaway cluster for the tests.");
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            Assert.Fail($"{ConnectionVariable} is no Npgsql connection string: {e.Message}");
        }

        return new PostgresServer(connectionString, Variable(DataVariable), Variable(PgCtlVariable));
    }

    /// <summary>
    /// As <see cref="Require"/>, for tests that kill and start the server: they also need its data folder and its pg_ctl.
    /// </summary>
    public static PostgresServer RequireControl()
    {
        var server = Require();
        if (server.DataFolder is null || server.PgCtl is null || !File.Exists(server.PgCtl) || !File.Exists(Path.Combine(server.DataFolder, "postmaster.pid")))
        {
            Unavailable($"The test PostgreSQL cannot be killed and restarted here: {DataVariable} and {PgCtlVariable} must name the running cluster's data folder and its pg_ctl (./test.sh sets them).");
        }

        return server;
    }

    /// <summary>A fresh, empty database with a name of its own (after the current test or fixture), dropped when disposed.</summary>
    public async Task<PostgresDatabase> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = NewDatabaseName();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name, Pooling = true };
        return new PostgresDatabase(this, name, builder.ConnectionString);
    }

    /// <summary>As <see cref="CreateDatabaseAsync"/>, for synchronous set-up code.</summary>
    public PostgresDatabase CreateDatabase() => CreateDatabaseAsync().GetAwaiter().GetResult();

    internal async Task DropDatabaseAsync(string name, string connectionString)
    {
        using (var pooled = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(ConnectionString);
        try
        {
            await connection.OpenAsync();
        }
        catch (NpgsqlException e)
        {
            // The server is down (a test killed it and failed before it started again): that failure is the test's
            // news, not this one, and the database goes with the throwaway cluster at the end of the run.
            await TestContext.Error.WriteLineAsync($"The test database {name} was not dropped: {e.Message}");
            return;
        }

        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Kills the server as a crash would: SIGKILL to the postmaster and then to every process it had started (none of
    /// them gets to write anything more), and waits until all are gone. Connections to it fail until <see cref="StartAsync"/>.
    /// </summary>
    public async Task KillAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var postmaster = PostmasterPid;
        if (!IsAlive(postmaster))
        {
            throw new InvalidOperationException($"The PostgreSQL postmaster ({postmaster}, {DataFolder}) is not running.");
        }

        Signal(postmaster, SigStop);   // frozen, it starts no other process while its children are listed
        var children = ChildrenOf(postmaster);
        Signal(postmaster, SigKill);
        foreach (var child in children)
        {
            Signal(child, SigKill);
        }

        foreach (var pid in children.Prepend(postmaster))
        {
            while (IsAlive(pid))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"PostgreSQL process {pid} did not end within {timeout ?? DefaultTimeout} of SIGKILL.");
                }

                await Task.Delay(20);
            }
        }

        NpgsqlConnection.ClearAllPools();   // every pooled connection to it is broken now
    }

    /// <summary>
    /// Starts the server again with test.sh's own command (pg_ctl reads the port, socket folder and fsync from the
    /// cluster's configuration file), as the user <c>postgres</c> when the tests run as root, and waits until it answers.
    /// </summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var data = DataFolder ?? throw new InvalidOperationException($"{DataVariable} is not set.");
        var pgCtl = PgCtl ?? throw new InvalidOperationException($"{PgCtlVariable} is not set.");
        var log = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(data).TrimEnd('/'))!, "postgres.log");
        string[] command = [pgCtl, "-D", data, "-l", log, "-w", "-t", ((int)Math.Ceiling(limit.TotalSeconds)).ToString(CultureInfo.InvariantCulture), "start"];
        // Through bash, which closes every descriptor above 2 first: the server outlives this process when a run is
        // killed, and must not keep what it inherited (a build lock such as flock's would stay held by it). As the
        // user postgres when the tests run as root (initdb and postgres refuse root; test.sh made the cluster so).
        var info = new ProcessStartInfo("bash");
        foreach (var a in new[] { "-c", "for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; exec \"$@\"", "bash" })
        {
            info.ArgumentList.Add(a);
        }

        foreach (var a in (Environment.UserName == "root" ? new[] { "runuser", "-u", "postgres", "--" } : []).Concat(command))
        {
            info.ArgumentList.Add(a);
        }

        // A postmaster killed a moment ago can still be a zombie (dead, not yet reaped by whoever adopted it): the server
        // would take its pid for a running postmaster and refuse to start. Its lock files are stale either way: the data
        // folder's postmaster.pid (pid, folder, start time, port, socket folder, …) and the one beside its socket.
        var lockFile = Path.Combine(data, "postmaster.pid");
        if (File.Exists(lockFile) && !IsAlive(PostmasterPid))
        {
            var lines = File.ReadAllLines(lockFile);
            if (lines.Length >= 5 && lines[4].Length > 0)
            {
                File.Delete(Path.Combine(lines[4], $".s.PGSQL.{lines[3].Trim()}.lock"));
            }

            File.Delete(lockFile);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(limit + TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(cancel.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl start exited {process.ExitCode}: {await output}{await error}{Tail(log)}");
        }

        // pg_ctl -w waited for "ready to accept connections"; the proof is a connection.
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancel.Token);
    }

    /// <summary>
    /// <see cref="KillAsync"/>, then <paramref name="whileDown"/> (a test's checks while the server is down), then
    /// <see cref="StartAsync"/>: the server comes back through crash recovery with everything that was committed.
    /// </summary>
    public async Task KillAndRestartAsync(Func<Task>? whileDown = null, TimeSpan? timeout = null)
    {
        await KillAsync(timeout);
        try
        {
            if (whileDown is not null)
            {
                await whileDown();
            }
        }
        finally
        {
            await StartAsync(timeout);
        }
    }

    [DoesNotReturn]
    private static void Unavailable(string reason)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason);
        }

        Assert.Ignore(reason);
        throw new UnreachableException();
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    /// <summary><c>whistle_test_</c>, the test's (or fixture's) name and a random part: unique, and at most 63 bytes.</summary>
    private static string NewDatabaseName()
    {
        var test = TestContext.CurrentContext?.Test.Name ?? "test";
        var slug = NotIdentifier().Replace(test.ToLowerInvariant(), "_").Trim('_');
        slug = slug.Length > 30 ? slug[..30].TrimEnd('_') : slug;
        return $"whistle_test_{(slug.Length > 0 ? slug : "test")}_{Guid.NewGuid().ToString("N")[..16]}";
    }

    /// <summary>Processes whose parent is <paramref name="pid"/> (from /proc).</summary>
    private static List<int> ChildrenOf(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var candidate))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // after "pid (comm) ": state, ppid, …
                if (fields[1] == pid.ToString(CultureInfo.InvariantCulture))
                {
                    children.Add(candidate);
                }
            }
            catch (IOException)
            {
                // It ended meanwhile.
            }
        }

        return children;
    }

    /// <summary>Running, and not a zombie waiting for whoever adopted it to reap it.</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private const int SigKill = 9;
    private const int SigStop = 19;

    private static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0 && Marshal.GetLastPInvokeError() != 3)   // ESRCH: already gone
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static string Tail(string log)
    {
        try
        {
            var lines = File.ReadAllLines(log, Encoding.UTF8);
            return Environment.NewLine + string.Join(Environment.NewLine, lines.TakeLast(15));
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotIdentifier();
}

/// <summary>A database of one test or fixture on the test PostgreSQL; disposing it drops it (closing its connections).</summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly PostgresServer _server;
    private int _disposed;

    internal PostgresDatabase(PostgresServer server, string name, string connectionString)
    {
        _server = server;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    /// <summary>Its Npgsql connection string (pooled, as the product's would be).</summary>
    public string ConnectionString { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _server.DropDatabaseAsync(Name, ConnectionString);
        }
    }
}
