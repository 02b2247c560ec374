using System.Buffers.Binary;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DbUp;
using DbUp.Builder;
using DbUp.Engine.Output;
using Npgsql;
using Whistle.Core.Options;

namespace Whistle.Core.Storage;

/// <summary>
/// PostgreSQL, the distributed way (and what openGauss and KingbaseES are built on). Read committed with row locks:
/// every writer locks the row it is about to change first (<c>SELECT … FOR UPDATE</c>), so writers of one whistle (or
/// meeting, or account) run one after another while others proceed; readers never wait (MVCC). Identity values are
/// handed out at insert but may commit out of order, so the writers of a stream readers follow by number (the
/// timeline) and the sections that must be exclusive (the relay's claim, the audit chain) take a transaction-scoped
/// advisory lock (<c>pg_advisory_xact_lock</c>) under a <c>lock_timeout</c>: it is granted or the statement fails
/// (55P03 lock_not_available, 40P01 deadlock_detected), which is retried as transient — nobody goes on without it.
/// The relays of every instance are woken by <c>NOTIFY</c> in the transaction that writes an outbox row (delivered at
/// commit) and a <c>LISTEN</c> connection per process (<see cref="ListenForWakeUpsAsync"/>); the poll stays as the fallback.
/// </summary>
public sealed class PostgreSqlDialect : SqlDialect
{
    public static readonly PostgreSqlDialect Instance = new();

    // serialization_failure, deadlock_detected, lock_not_available (lock_timeout), too_many_connections,
    // admin_shutdown, crash_shutdown, cannot_connect_now (a server starting after a crash), and every connection exception (08…).
    private static readonly HashSet<string> TransientStates =
        ["40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03"];

    private PostgreSqlDialect()
    {
    }

    public override DatabaseProvider Provider => DatabaseProvider.PostgreSql;

    public override bool IsEmbedded => false;

    public override string ConnectionString(string? configured, Func<string> dataFolder) =>
        string.IsNullOrWhiteSpace(configured)
            ? throw new InvalidOperationException("Whistle:Database:ConnectionString is required for PostgreSQL.")
            : configured;

    /// <summary>
    /// Npgsql's data source: its pool, and its tracing and metrics (ActivitySource and Meter <c>Npgsql</c>, which
    /// <c>WhistleTelemetry</c> subscribes to with Npgsql.OpenTelemetry).
    /// </summary>
    /// <remarks>
    /// Unless the connection string says otherwise, statements run often are prepared automatically (Npgsql's
    /// <c>Max Auto Prepare</c> 64, after 2 uses; issue 15): the server then parses and plans each of the hot statements
    /// once per connection instead of once per run, which on a busy server is much of its CPU per whistle.
    /// <para>
    /// Nor is a pooled connection reset when it returns to the pool (Npgsql's <c>No Reset On Close</c>, unless the
    /// connection string says otherwise; issue 15). With prepared statements on the connection Npgsql's reset is seven
    /// statements (<c>SET SESSION AUTHORIZATION DEFAULT; RESET ALL; CLOSE ALL; UNLISTEN *; SELECT
    /// pg_advisory_unlock_all(); DISCARD SEQUENCES; DISCARD TEMP</c>) sent with the next command: ~9 of them per whistle,
    /// 0.5 ms of a round trip each measured alone — more server CPU than any statement of the whistle's own. Whistle
    /// leaves no session state behind to reset: settings are <c>SET LOCAL</c> (<c>set_config(…, true)</c>), advisory
    /// locks are transaction-scoped, <c>LISTEN</c> and the migrations' session lock live on connections of their own
    /// (not pooled), and no temporary table or cursor is made; a transaction still open or failed when its connection
    /// returns is rolled back by Npgsql either way (When_a_pooled_connection_is_used_again).
    /// </para>
    /// <para>
    /// And each process keeps at most <see cref="DefaultMaxPoolSize"/> connections (Npgsql's <c>Maximum Pool Size</c>,
    /// 100 by default, unless the connection string says otherwise; issue 15): work beyond them waits in the pool's
    /// queue for one to come back (up to the connection string's <c>Timeout</c>, 15 s by default) instead of opening
    /// another. A server runs only as many statements at once as it has cores; under a burst a pool of 100 brought up
    /// to 141 backends on two cores, each cold (a process, its caches, its statements prepared again), and sustained no
    /// more whistles than 16 (docs/benchmarks/2026-12-02-pool.md). It also keeps several instances inside the server's
    /// <c>max_connections</c> (100 by default).
    /// </para>
    /// </remarks>
    public override DbDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);
        if (!given.Overlaps(["maxautoprepare", "autoprepareminusages"]))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        if (!given.Contains("noresetonclose"))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        if (!given.Overlaps(["maximumpoolsize", "maxpoolsize"]))
        {
            builder.ConnectionStringBuilder.MaxPoolSize = DefaultMaxPoolSize;
        }

        return builder.Build();
    }

    /// <summary>The connections a process keeps at most unless its connection string says otherwise (Npgsql's default: 100).</summary>
    public const int DefaultMaxPoolSize = 16;

    public override Task OpenedAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public override IsolationLevel WriteIsolation => IsolationLevel.ReadCommitted;

    /// <summary>Repeatable read: one snapshot for every statement of the transaction (the audit chain's verification).</summary>
    public override async ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

    public override bool IsTransient(Exception exception) => exception switch
    {
        PostgresException e => TransientStates.Contains(e.SqlState) || e.SqlState.StartsWith("08", StringComparison.Ordinal),
        // A connection refused, reset or ended while the server is down or restarting (Npgsql marks them transient).
        NpgsqlException e => e.IsTransient,
        TimeoutException => true,
        _ => false,
    };

    public override bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override string Page(string orderedSelect) => $"{Trim(orderedSelect)} LIMIT @Take OFFSET @Skip";

    public override string Limit(string orderedSelect, string take = "@Take") => $"{Trim(orderedSelect)} LIMIT {take}";

    /// <summary>
    /// <c>FOR UPDATE</c>: the rows read stay locked against other writers until the transaction ends; readers do not
    /// wait. PostgreSQL has no lock on an absent key (no key-range lock): where <paramref name="evenIfAbsent"/> matters
    /// (an account's sign-in failures per address) the caller already holds the account row's lock, which every writer
    /// of those rows takes first, and the insert itself is an upsert (<c>ON CONFLICT</c>).
    /// </summary>
    public override string SelectForUpdate(string columns, string from, string where, bool evenIfAbsent = false) =>
        $"SELECT {columns} FROM {from} WHERE {where} FOR UPDATE";

    public override string InsertReturningIdentity(string table, string columns, string values, string identity) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {identity}";

    /// <summary><c>ON CONFLICT (key) DO NOTHING</c>: atomic under read committed, so a racing twin inserts nothing and does not fail.</summary>
    public override string InsertIfAbsent(string table, string columns, string values, string key) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO NOTHING";

    public override string InsertIfAbsentAnswering(string table, string columns, string values, string key, string answer) =>
        $"{InsertIfAbsent(table, columns, values, key)} RETURNING {answer}";

    public override string UpdateAnswering(string table, string set, string where, string answer) =>
        $"UPDATE {table} SET {set} WHERE {where} RETURNING {answer}";

    public override string Upsert(string table, string columns, string values, string key, string update) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {update}";

    /// <summary>
    /// A transaction-scoped advisory lock (<c>pg_advisory_xact_lock</c>, or <c>…_shared</c>), released at commit or
    /// rollback, taken by the procedure <c>whistle_advisory_lock</c> (migrations 0030, 0033; <c>CALL</c> returns no result set, so the
    /// statements' own results come first) under a <c>lock_timeout</c> of <paramref name="wait"/> (set for the wait only): granted, or 55P03 / 40P01, retried as transient.
    /// </summary>
    public override string UnderLock(string resource, TimeSpan wait, string statements, bool shared = false) =>
        $"{Lock(resource, wait, shared)}\n{statements}";

    /// <summary>
    /// <c>BEGIN</c>, the advisory lock, the statements, <c>COMMIT</c>, in one round trip. Each statement under read
    /// committed reads a snapshot taken after the lock was granted, so the check and the claim are atomic.
    /// </summary>
    public override string UnderLockInOwnTransaction(string resource, TimeSpan wait, string statements) =>
        $"{OwnTransaction}\n{Lock(resource, wait, shared: false)}\n{statements}\nCOMMIT;";

    /// <summary>The table as it is: MVCC readers see the last committed state and never wait for writers.</summary>
    public override string SkippingLocked(string table) => table;

    /// <summary>
    /// <c>SET LOCAL synchronous_commit = off</c> for the statements' own transaction: the commit does not wait for its
    /// WAL flush (a crash may lose it, never corrupt anything; the next ordinary commit flushes it). Statements that
    /// begin their own transaction (<see cref="UnderLockInOwnTransaction"/>) get it inside; others are wrapped in one.
    /// </summary>
    public override string WithoutFlush(string statements) =>
        statements.StartsWith(OwnTransaction, StringComparison.Ordinal)
            ? $"{OwnTransaction}\n{NoFlush}{statements[OwnTransaction.Length..]}"
            : $"{OwnTransaction}\n{NoFlush}\n{statements}\nCOMMIT;";

    /// <summary><c>jsonb_to_recordset</c>: the batch as rows of typed columns, joined to the table.</summary>
    public override string UpdateFromJson(string table, string set, string parameter, IReadOnlyList<JsonColumn> columns, string where) =>
        $"UPDATE {table} AS t SET {set} FROM jsonb_to_recordset(CAST({parameter} AS jsonb)) AS s({string.Join(", ", columns.Select(c => $"{c.Name} {(c.Text ? "text" : "bigint")}"))}) WHERE {where}";

    /// <summary><c>= ANY(@Ids)</c>: Dapper hands Npgsql the list as one array parameter (it does not expand it).</summary>
    public override string InList(string column, string parameter) => $"{column} = ANY({parameter})";

    /// <summary>One array parameter whatever its length: one statement.</summary>
    public override int MaxListItems => int.MaxValue;

    /// <summary>One array parameter a column (<c>unnest</c>): the same statement for any number of rows.</summary>
    public override bool RowsShareOneStatement => true;

    /// <summary>
    /// <c>INSERT … SELECT … FROM unnest(@A::text[], @B::bigint[], …) WITH ORDINALITY … ORDER BY</c> the ordinality: one
    /// array parameter a column (<see cref="AddRows{T}"/>) instead of one parameter a value, so the statement is the same
    /// for any number of rows (prepared once, its text parsed once by Npgsql) and binds a few parameters instead of tens.
    /// The select is sorted by each row's place in the arrays and is not flattened into the insert (a sorted subquery is
    /// not), so the rows are inserted, and their identity values drawn, in that order. A bounded column
    /// (<c>varchar(n)</c>) takes the text by assignment: a longer value fails (22001) as in a <c>VALUES</c> list.
    /// </summary>
    public override string InsertRows(string table, IReadOnlyList<RowColumn> columns, int rows) =>
        $"INSERT INTO {table} ({ColumnNames(columns)}) {Unnest(columns)};";

    /// <summary>
    /// <see cref="InsertRows"/> with <c>RETURNING</c> the identity: one statement, one result set of every row's
    /// identity (<see cref="ReadIdentitiesAsync"/>: in the rows' order, as they were drawn).
    /// </summary>
    public override string InsertRowsReturningIdentity(string table, IReadOnlyList<RowColumn> columns, int rows, string identity) =>
        $"INSERT INTO {table} ({ColumnNames(columns)}) {Unnest(columns)} RETURNING {identity};";

    /// <summary>
    /// The one result set's identities, ascending: the rows were inserted in their order (<see cref="InsertRows"/>), so
    /// the identities they drew ascend in it too, whatever order <c>RETURNING</c> lists them in.
    /// </summary>
    public override async Task<IReadOnlyList<long>> ReadIdentitiesAsync(Dapper.SqlMapper.GridReader grid, int rows)
    {
        var identities = (await grid.ReadAsync<long>()).ToArray();
        if (identities.Length != rows)
        {
            throw new InvalidOperationException($"The insert of {rows} rows answered {identities.Length} identities.");
        }

        Array.Sort(identities);
        return identities;
    }

    /// <summary>One array a column, typed as the statement casts it (text, bigint, timestamptz in UTC).</summary>
    public override void AddRows<T>(Dapper.DynamicParameters parameters, IReadOnlyList<RowColumn> columns, IReadOnlyList<T> rows, Func<T, int, object?> value)
    {
        for (var column = 0; column < columns.Count; column++)
        {
            parameters.Add(columns[column].Parameter, columns[column].Type switch
            {
                RowType.Text => Column(rows, row => (string?)value(row, column)),
                RowType.BigInteger => Column(rows, row => Convert.ToInt64(value(row, column) ?? throw new ArgumentException($"{columns[column].Name} takes no null."), CultureInfo.InvariantCulture)),
                RowType.Timestamp => Column(rows, row => (value(row, column) as DateTimeOffset? ?? throw new ArgumentException($"{columns[column].Name} takes a DateTimeOffset.")).UtcDateTime),
                _ => throw new NotSupportedException(columns[column].Type.ToString()),
            });
        }
    }

    private static TValue[] Column<T, TValue>(IReadOnlyList<T> rows, Func<T, TValue> value)
    {
        var values = new TValue[rows.Count];
        for (var row = 0; row < values.Length; row++)
        {
            values[row] = value(rows[row]);
        }

        return values;
    }

    private static string Unnest(IReadOnlyList<RowColumn> columns)
    {
        var names = string.Join(", ", columns.Select((_, i) => $"c{i.ToString(CultureInfo.InvariantCulture)}"));
        var arrays = string.Join(", ", columns.Select(c => $"@{c.Parameter}::{c.Type switch { RowType.Text => "text", RowType.BigInteger => "bigint", _ => "timestamptz" }}[]"));
        return $"SELECT {string.Join(", ", columns.Select((_, i) => $"r.c{i.ToString(CultureInfo.InvariantCulture)}"))} FROM unnest({arrays}) WITH ORDINALITY AS r({names}, n) ORDER BY r.n";
    }

    /// <summary><c>NOTIFY channel</c>: queued by the transaction, delivered to every listener when it commits, dropped when it rolls back.</summary>
    public override string Wake(string channel) => $"NOTIFY {Channel(channel)};";

    /// <summary>
    /// A connection of its own (not pooled) that <c>LISTEN</c>s on every channel of <paramref name="channels"/> and calls
    /// that channel's action for each notification, until cancelled. A lost connection (the server restarted, the
    /// network failed) is opened again after a back-off of up to 5 s; every action is called after every (re)connection
    /// too, for whatever was notified while nobody listened.
    /// </summary>
    public override async Task ListenForWakeUpsAsync(string connectionString, IReadOnlyDictionary<string, Action> channels, Action<Exception> lost, CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 10 }.ConnectionString;
        var listenSql = string.Concat(channels.Keys.Select(c => $"LISTEN {Channel(c)};"));
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(settings);
                await connection.OpenAsync(cancellationToken);
                connection.Notification += (_, e) =>
                {
                    if (channels.TryGetValue(e.Channel, out var wake)) wake();
                };
                await using (var listen = new NpgsqlCommand(listenSql, connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                backoff = TimeSpan.FromMilliseconds(100);
                foreach (var wake in channels.Values) wake();
                while (true)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                lost(e);
                try
                {
                    await Task.Delay(backoff, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>
    /// Text (lengths are CHECK constraints in the baseline; <c>varchar(n)</c> in shared scripts), timestamptz (UTC, to the
    /// microsecond), identity columns, smallint 0/1 for booleans (portable SQL compares them with 0 and 1). Integers are
    /// bigint, as SQLite's INTEGER: the code's row types read 64-bit integers, and Dapper fills a positional record only
    /// from columns of exactly its parameters' types.
    /// </summary>
    public override MigrationTypes MigrationTypes { get; } = new(
        Text: "text",
        BoundedText: length => $"varchar({length})",
        Timestamp: "timestamptz",
        Integer: "bigint",
        BigInteger: "bigint",
        Identity: "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        Boolean: "smallint",
        Real: "double precision",
        Schema: "",
        AddColumn: "ADD COLUMN",
        BatchSeparator: "");

    /// <summary>
    /// Creates the database when asked; then holds a session advisory lock on a connection of its own (not pooled:
    /// closing it ends the session and the lock) until disposed, so that instances starting together migrate one at a time.
    /// </summary>
    public override IDisposable PrepareMigration(string connectionString, bool ensureDatabase)
    {
        if (ensureDatabase)
        {
            EnsureDatabase.For.PostgresqlDatabase(connectionString, new NoOpUpgradeLog());
        }

        var lockConnection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        try
        {
            lockConnection.Open();
            using var acquire = lockConnection.CreateCommand();
            acquire.CommandText = $"SET lock_timeout = '120s'; SELECT pg_advisory_lock({Key("whistle-migrations")});";
            acquire.CommandTimeout = 130;
            acquire.ExecuteNonQuery();
            return lockConnection;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            lockConnection.Dispose();
            throw new InvalidOperationException("Timed out waiting for another instance's database migration.", e);
        }
        catch
        {
            lockConnection.Dispose();
            throw;
        }
    }

    public override UpgradeEngineBuilder Migrations(string connectionString) => DeployChanges.To.PostgresqlDatabase(connectionString);

    /// <summary>The 64-bit key of an advisory lock: the first 8 bytes of SHA-256 over <c>whistle:</c> and its name (stable across versions and machines).</summary>
    public static long Key(string resource)
    {
        var name = resource.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')
            ? resource
            : throw new ArgumentException($"A lock's name is letters, digits, '-', '.' and '_': '{resource}'.", nameof(resource));
        return BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("whistle:" + name)));
    }

    private const string OwnTransaction = "BEGIN;";

    private const string NoFlush = "SET LOCAL synchronous_commit = off;";

    // The procedure of migration 0030: compiled once per connection, its plans cached (a DO block was compiled and
    // planned anew on every call); since 0033 its calls are PL/pgSQL expressions, not PERFORM statements run through SPI.
    private static string Lock(string resource, TimeSpan wait, bool shared) =>
        $"CALL whistle_advisory_lock({Key(resource).ToString(CultureInfo.InvariantCulture)}, {((long)wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}, {(shared ? "true" : "false")});";

    private static string Channel(string channel) =>
        channel.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')
            ? channel
            : throw new ArgumentException($"A channel's name is lower-case letters, digits and '_': '{channel}'.", nameof(channel));

    private static string Trim(string sql) => sql.TrimEnd().TrimEnd(';');
}
