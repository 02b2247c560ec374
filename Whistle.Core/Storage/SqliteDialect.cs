using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
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

    // synchronous = FULL is SQLite's default; it is set on every open because the writer connection (write pragmas,
    // synchronous = NORMAL; the outbox relay's bookkeeping runs there too, WithoutFlush) hands its handle back to
    // Microsoft.Data.Sqlite's pool when it is closed after a failure, and the pool may give that handle to any use next:
    // the pooled connections of OpenAsync (exports, the audit chain, readiness) and the read connections.
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

    public override Task<DbConnection?> OpenWriterConnectionAsync(DbDataSource dataSource, CancellationToken cancellationToken) =>
        OpenCompiledAsync(dataSource, WriteConnectionPragmas, cancellationToken);

    /// <summary>A connection for reads that keeps its SQL compiled (<see cref="SqliteCompiledConnection"/>), opened as any other.</summary>
    public override Task<DbConnection?> OpenReaderConnectionAsync(DbDataSource dataSource, CancellationToken cancellationToken) =>
        OpenCompiledAsync(dataSource, ConnectionPragmas, cancellationToken);

    private static async Task<DbConnection?> OpenCompiledAsync(DbDataSource dataSource, string pragmas, CancellationToken cancellationToken)
    {
        var connection = (SqliteConnection)dataSource.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
            await PragmasAsync(connection, pragmas, cancellationToken);
            return new SqliteCompiledConnection(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

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
        ValueTask.FromResult<DbTransaction>(connection switch
        {
            SqliteCompiledConnection compiled => compiled.BeginTransaction(deferred: true),
            _ => ((SqliteConnection)connection).BeginTransaction(deferred: true),
        });

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

    /// <summary><c>RETURNING</c> (SQLite 3.35): no row when the conflict clause did nothing.</summary>
    public override string InsertIfAbsentAnswering(string table, string columns, string values, string key, string answer) =>
        $"{InsertIfAbsent(table, columns, values, key)} RETURNING {answer}";

    /// <summary><c>RETURNING</c> (SQLite 3.35): no row when nothing matched.</summary>
    public override string UpdateAnswering(string table, string set, string where, string answer) =>
        $"UPDATE {table} SET {set} WHERE {where} RETURNING {answer}";

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

    /// <summary><c>json_each</c> (UPDATE … FROM since SQLite 3.33): the batch's values as JSON gives them, integers as integers.</summary>
    public override string UpdateFromJson(string table, string set, string parameter, IReadOnlyList<JsonColumn> columns, string where) =>
        $"UPDATE {table} AS t SET {set} FROM (SELECT {string.Join(", ", columns.Select(c => $"json_extract(value, '$.{c.Name}') AS {c.Name}"))} FROM json_each({parameter})) AS s WHERE {where}";

    public override string InList(string column, string parameter) => $"{column} IN {parameter}";

    /// <summary>SQLite's host parameters (32,766 since 3.32, the bundled library's), less room for a statement's others.</summary>
    public override int MaxListItems => 32_000;

    /// <summary>Nothing: SQLite cannot wake another process; its relays poll (<c>Whistle:Outbox:PollInterval</c>).</summary>
    public override string Wake(string channel) => string.Empty;

    /// <summary>Nothing to listen to: returns at once.</summary>
    public override Task ListenForWakeUpsAsync(string connectionString, IReadOnlyDictionary<string, Action> channels, Action<Exception> lost, CancellationToken cancellationToken) => Task.CompletedTask;

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

/// <summary>
/// A SQLite connection that keeps the SQL of each command it ran compiled and runs it again with the new parameters,
/// used by one flow at a time: this process's writer connection (the holder of the writer's turn: its write transactions
/// and the outbox relay's bookkeeping) and its idle readers (<see cref="WhistleDatabase.ReadAsync{T}"/>, one read at a
/// time each). Microsoft.Data.Sqlite compiles a command's SQL anew for every new command (Dapper makes one per call;
/// dotnet/efcore#14044): at 500 whistles a second that compilation was 28% of the time the writer was held, and the
/// writer is the embedded way's one serial point (issue 15, docs/benchmarks/2026-11-30-compiled.md).
/// </summary>
/// <remarks>
/// A command whose compiled form is still reading (a reader open on it) is not shared: a second use of that SQL meanwhile
/// gets a command of its own. The cache holds the most recently used <see cref="Capacity"/> texts.
/// </remarks>
public sealed class SqliteCompiledConnection(SqliteConnection inner) : DbConnection
{
    public const int Capacity = 256;

    private readonly Dictionary<string, LinkedListNode<Compiled>> _byText = new(StringComparer.Ordinal);
    private readonly LinkedList<Compiled> _recent = [];

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => throw new NotSupportedException("A compiled connection's connection string is fixed.");
    }

    public override string Database => inner.Database;

    public override string DataSource => inner.DataSource;

    public override string ServerVersion => inner.ServerVersion;

    public override ConnectionState State => inner.State;

    /// <summary>The command timeout of the connection string (<c>Default Timeout</c>, 30 s unless set).</summary>
    public int DefaultTimeout => inner.DefaultTimeout;

    /// <summary>How many command texts are held compiled.</summary>
    public int Cached => _byText.Count;

    /// <summary>How many commands this connection compiled since it opened.</summary>
    public long Compilations { get; private set; }

    public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);

    public override void Open() => inner.Open();

    public override void Close() => inner.Close();

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => inner.BeginTransaction(isolationLevel);

    /// <summary>A transaction that takes no lock until its first statement (deferred), or the writer's at once.</summary>
    public SqliteTransaction BeginTransaction(bool deferred) => inner.BeginTransaction(deferred);

    protected override DbCommand CreateDbCommand() => new Command(this);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var compiled in _recent)
            {
                compiled.Command.Dispose();
            }

            _recent.Clear();
            _byText.Clear();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The compiled command for <paramref name="text"/>, or a new one of its own when that one is still reading.</summary>
    private (SqliteCommand Command, Compiled? Cached) Take(string text)
    {
        if (_byText.TryGetValue(text, out var node))
        {
            if (node.Value.Reader is { IsClosed: false })
            {
                return (NewCommand(text), null);
            }

            _recent.Remove(node);
            _recent.AddFirst(node);
            return (node.Value.Command, node.Value);
        }

        var compiled = new Compiled(NewCommand(text));
        _byText[text] = _recent.AddFirst(compiled);
        if (_recent.Count > Capacity)
        {
            var oldest = _recent.Last!;
            if (oldest.Value.Reader is not { IsClosed: false })
            {
                _recent.RemoveLast();
                _byText.Remove(oldest.Value.Command.CommandText);
                oldest.Value.Command.Dispose();
            }
        }

        return (compiled.Command, compiled);
    }

    // Parameter names with their prefix, by the bare names Dapper gives (it strips the '@'); bounded, cleared when full.
    private readonly Dictionary<string, string> _prefixed = new(StringComparer.Ordinal);

    /// <summary>The most names held with their prefix before the cache starts again.</summary>
    public const int PrefixedCapacity = 4096;

    /// <summary>How many names are held with their prefix.</summary>
    public int PrefixedNames => _prefixed.Count;

    /// <summary>
    /// A bare parameter name as Whistle's SQL spells it: <c>@name</c>, the one prefix it uses. Microsoft.Data.Sqlite binds
    /// a parameter named without a prefix by looking it up in each statement of the command bare, then as <c>@name</c>,
    /// <c>$name</c> and <c>:name</c> — four lookups, each a scan of the statement's parameter names and three of them a
    /// string made and encoded — where one named as the SQL names it takes one (issue 15: 7% of the embedded Api's CPU at
    /// 400 whistles/s, nearly all in the one writer's turn). A statement that named a parameter <c>:name</c> or
    /// <c>$name</c> would find it unbound and fail at once ("Must add values for the following parameters").
    /// </summary>
    internal string Prefixed(string bare)
    {
        if (!_prefixed.TryGetValue(bare, out var prefixed))
        {
            if (_prefixed.Count >= PrefixedCapacity)
            {
                _prefixed.Clear();
            }

            prefixed = "@" + bare;
            _prefixed[bare] = prefixed;
        }

        return prefixed;
    }

    private SqliteCommand NewCommand(string text)
    {
        var command = inner.CreateCommand();
        command.CommandText = text;
        Compilations++;
        return command;
    }

    private sealed class Compiled(SqliteCommand command)
    {
        public SqliteCommand Command { get; } = command;

        /// <summary>The reader of its latest run, while it may still be open.</summary>
        public SqliteDataReader? Reader { get; set; }
    }

    /// <summary>What Dapper and our code build: its text and parameters, run on the compiled command for that text.</summary>
    private sealed class Command(SqliteCompiledConnection connection) : DbCommand
    {
        private readonly SqliteCommand _shape = new();
        private SqliteCommand? _own;

        [AllowNull]
        public override string CommandText { get; set; } = string.Empty;

        private int? _timeout;

        /// <summary>Unless set, the connection's default (as a command of the connection itself would have it).</summary>
        public override int CommandTimeout
        {
            get => _timeout ?? connection.DefaultTimeout;
            set => _timeout = value;
        }

        public override CommandType CommandType
        {
            get => CommandType.Text;
            set
            {
                if (value != CommandType.Text)
                {
                    throw new ArgumentException("Only CommandType.Text is supported.", nameof(value));
                }
            }
        }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection
        {
            get => connection;
            set
            {
                if (value is not null && value != connection)
                {
                    throw new NotSupportedException("A command of a compiled connection runs on that connection only.");
                }
            }
        }

        protected override DbParameterCollection DbParameterCollection => _shape.Parameters;

        protected override DbTransaction? DbTransaction { get; set; }

        public override void Cancel()
        {
        }

        public override void Prepare()
        {
        }

        protected override DbParameter CreateDbParameter() => new SqliteParameter();

        public override int ExecuteNonQuery()
        {
            var (command, _) = Ready();
            try
            {
                return command.ExecuteNonQuery();
            }
            finally
            {
                command.Parameters.Clear();
            }
        }

        public override object? ExecuteScalar()
        {
            var (command, _) = Ready();
            try
            {
                return command.ExecuteScalar();
            }
            finally
            {
                command.Parameters.Clear();
            }
        }

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
        {
            var (command, cached) = Ready();
            // The parameters stay until the next run: a later statement of the text binds them when the reader reaches it.
            var reader = command.ExecuteReader(behavior);
            if (cached is not null)
            {
                cached.Reader = reader;
            }

            return reader;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _own?.Dispose();
                _own = null;
                _shape.Dispose();
            }

            base.Dispose(disposing);
        }

        private (SqliteCommand Command, Compiled? Cached) Ready()
        {
            var (command, cached) = connection.Take(CommandText);
            if (cached is null)
            {
                _own?.Dispose();
                _own = command;
            }

            command.Transaction = (SqliteTransaction?)DbTransaction;
            command.CommandTimeout = CommandTimeout; // a cached command keeps what the last run set: set every time
            command.Parameters.Clear();
            foreach (SqliteParameter parameter in _shape.Parameters)
            {
                if (parameter.ParameterName is [not ('@' or '$' or ':'), ..] bare)
                {
                    parameter.ParameterName = connection.Prefixed(bare);
                }

                command.Parameters.Add(parameter);
            }

            return (command, cached);
        }
    }
}
