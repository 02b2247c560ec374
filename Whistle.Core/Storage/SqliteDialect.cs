using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using DbUp;
using DbUp.Builder;
using Microsoft.Data.Sqlite;
using Whistle.Core.Options;

namespace Whistle.Core.Storage;

/// <summary>
/// SQLite, the embedded way: one file in the data folder (write-ahead logging), shared by the processes of one
/// machine. SQLite has one writer at a time, and Whistle begins every write transaction by taking it
/// (<c>BEGIN IMMEDIATE</c>): a read-then-write never deadlocks, rows need no lock of their own, and transactions
/// commit in the order they began, so the timeline's sequence and the outbox's claim need nothing more.
/// </summary>
public sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    private SqliteDialect()
    {
    }

    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public override bool IsEmbedded => true;

    /// <summary>The configured file (or <c>whistle.db</c> in the data folder), pooled, waiting up to 30 s for a command.</summary>
    public override string ConnectionString(string? configured, Func<string> dataFolder) =>
        new SqliteConnectionStringBuilder(configured ?? string.Empty)
        {
            DataSource = string.IsNullOrEmpty(configured)
                ? Path.Combine(dataFolder(), "whistle.db")
                : new SqliteConnectionStringBuilder(configured).DataSource,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

    public override DbDataSource CreateDataSource(string connectionString) => SqliteFactory.Instance.CreateDataSource(connectionString);

    // synchronous = FULL is SQLite's default; it is set on every open because a write transaction (OpenedForWriteAsync)
    // and the outbox relay's bookkeeping (WithoutFlush) lower it to NORMAL on a pooled connection that may serve another
    // use next.
    // busy_timeout: SQLite's own busy handler waits for the writer lock (it retries within a millisecond or a few);
    // without it Microsoft.Data.Sqlite retries a busy statement after sleeping 150 ms, which across three processes
    // sharing one file made every contended write cost 150 ms or more.
    private const string ConnectionPragmas = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL;";

    private const string WriteConnectionPragmas = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;";

    public override Task OpenedAsync(DbConnection connection, CancellationToken cancellationToken) => PragmasAsync(connection, ConnectionPragmas, cancellationToken);

    /// <summary>
    /// Group commit: a write transaction commits with <c>synchronous = NORMAL</c> (appended to the write-ahead log, not
    /// flushed), and the writer then waits in <see cref="DurableAsync"/> for one flush of the log that began after its
    /// commit. With one writer at a time, a flush of the log per commit (<c>FULL</c>) bounded the embedded way's
    /// whistles a second; one flush now serves every commit that came before it.
    /// </summary>
    public override Task OpenedForWriteAsync(DbConnection connection, CancellationToken cancellationToken) => PragmasAsync(connection, WriteConnectionPragmas, cancellationToken);

    private static async Task PragmasAsync(DbConnection connection, string pragmas, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private readonly ConcurrentDictionary<string, SqliteWalFlush?> _flushes = new(StringComparer.Ordinal);

    public override Task DurableAsync(string connectionString) =>
        _flushes.GetOrAdd(connectionString, static cs => LogOf(cs) is { } log ? new SqliteWalFlush(log) : null)?.FlushedAsync() ?? Task.CompletedTask;

    /// <summary>The write-ahead log of a file database; none for an in-memory one (nothing to flush).</summary>
    private static string? LogOf(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        return builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:"
            ? null
            : Path.GetFullPath(builder.DataSource) + "-wal";
    }

    /// <summary>Serializable: Microsoft.Data.Sqlite begins it with <c>BEGIN IMMEDIATE</c>, the writer lock up front.</summary>
    public override IsolationLevel WriteIsolation => IsolationLevel.Serializable;

    /// <summary>A deferred transaction: its first read takes the snapshot every later read sees.</summary>
    public override ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    public override bool IsTransient(Exception exception) => exception switch
    {
        SqliteException e => e.SqliteErrorCode is 5 or 6, // SQLITE_BUSY, SQLITE_LOCKED
        TimeoutException => true,
        _ => false,
    };

    public override bool IsUniqueViolation(Exception exception) => exception is SqliteException { SqliteErrorCode: 19 }; // SQLITE_CONSTRAINT

    public override string Page(string orderedSelect) => $"{Trim(orderedSelect)} LIMIT @Take OFFSET @Skip";

    public override string Limit(string orderedSelect, string take = "@Take") => $"{Trim(orderedSelect)} LIMIT {take}";

    /// <summary>A plain select: the transaction already holds the database's one writer lock.</summary>
    public override string SelectForUpdate(string columns, string from, string where, bool evenIfAbsent = false) =>
        $"SELECT {columns} FROM {from} WHERE {where}";

    public override string InsertReturningIdentity(string table, string columns, string values, string identity) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {identity}";

    public override string InsertIfAbsent(string table, string columns, string values, string key) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO NOTHING";

    public override string Upsert(string table, string columns, string values, string key, string update) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {update}";

    /// <summary>
    /// The statements as they are: a write transaction holds the one writer lock (writers commit one at a time, in the
    /// order they took it); a read transaction reads its snapshot.
    /// </summary>
    public override string UnderLock(string resource, TimeSpan wait, string statements, bool shared = false) => statements;

    /// <summary>The statements as they are: each runs atomically under the writer lock.</summary>
    public override string UnderLockInOwnTransaction(string resource, TimeSpan wait, string statements) => statements;

    /// <summary>The table as it is: readers see the last committed state and never wait for the writer.</summary>
    public override string SkippingLocked(string table) => table;

    public override string WithoutFlush(string statements) => $"PRAGMA synchronous = NORMAL;\n{statements}";

    public override string InList(string column, string parameter) => $"{column} IN {parameter}";

    /// <summary>SQLite's host parameters (32,766 since 3.32, the bundled library's), less room for a statement's others.</summary>
    public override int MaxListItems => 32_000;

    /// <summary>Nothing: SQLite cannot wake another process; its relays poll (<c>Whistle:Outbox:PollInterval</c>).</summary>
    public override string Wake(string channel) => string.Empty;

    /// <summary>Nothing to listen to: returns at once.</summary>
    public override Task ListenForWakeUpsAsync(string connectionString, string channel, Action wake, Action<Exception> lost, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>SQLite's type affinities; times as ISO-8601 UTC text; a separate batch needs nothing.</summary>
    public override MigrationTypes MigrationTypes { get; } = new(
        Text: "TEXT",
        BoundedText: _ => "TEXT",
        Timestamp: "TEXT",
        Integer: "INTEGER",
        BigInteger: "INTEGER",
        Identity: "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",
        Boolean: "INTEGER",
        Real: "REAL",
        Schema: "",
        AddColumn: "ADD COLUMN",
        BatchSeparator: "");

    public override IDisposable PrepareMigration(string connectionString, bool ensureDatabase)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var wal = connection.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode=WAL;";
        wal.ExecuteNonQuery();
        return Nothing.Instance;
    }

    public override UpgradeEngineBuilder Migrations(string connectionString) => DeployChanges.To.SqliteDatabase(connectionString);

    private static string Trim(string sql) => sql.TrimEnd().TrimEnd(';');

    private sealed class Nothing : IDisposable
    {
        public static readonly Nothing Instance = new();

        public void Dispose()
        {
        }
    }
}
