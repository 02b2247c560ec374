using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using DbUp.Builder;
using Whistle.Core.Options;

namespace Whistle.Core.Storage;

/// <summary>
/// Everything in which the databases Whistle runs on differ, in one place per provider. The rest of the code writes
/// portable SQL (<c>const string XxxSql</c>) and asks its dialect only for the parts that differ: paging, a select
/// that locks, an insert that returns its identity, insert-if-absent and upsert, a section that commits in order, list
/// parameters; and, outside SQL, how to open, begin, recognise a transient failure or a duplicate key, and migrate.
/// A statement that needs the dialect is a <c>static string XxxSql(SqlDialect dialect)</c> beside the code that runs it
/// (the tests parse what it gives SQL Server, and check that no provider's syntax is written anywhere else).
/// Adding a provider is: one subclass (the compiler lists every abstract member), its case in <see cref="For"/>, and its
/// migrations (docs/ARCHITECTURE.md, "Data layer").
/// </summary>
public abstract class SqlDialect
{
    public abstract DatabaseProvider Provider { get; }

    /// <summary>The one place that chooses a dialect by the configured provider.</summary>
    public static SqlDialect For(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => SqliteDialect.Instance,
        DatabaseProvider.SqlServer => SqlServerDialect.Instance,
        DatabaseProvider.PostgreSql => PostgreSqlDialect.Instance,
        _ => throw new NotSupportedException($"Whistle:Database:Provider {provider} has no SQL dialect."),
    };

    private readonly ConcurrentDictionary<Func<SqlDialect, string>, string> _statements = new();

    /// <summary>
    /// The statement a <c>static string XxxSql(SqlDialect)</c> composes for this dialect, composed once and kept
    /// (pass the static method itself, never a lambda that captures values).
    /// </summary>
    public string Sql(Func<SqlDialect, string> statement) => _statements.GetOrAdd(statement, static (compose, dialect) => compose(dialect), this);

    // ---- Connections and transactions -------------------------------------------------------------------------

    /// <summary>
    /// The database is a file in the data folder, opened by the process itself (no server, no connection string
    /// needed). The embedded way of running (with the in-memory bus) turns the demo accounts on by default.
    /// </summary>
    public abstract bool IsEmbedded { get; }

    /// <summary>The connection string to use: the configured one, completed (or, for an embedded database, made) from the data folder.</summary>
    public abstract string ConnectionString(string? configured, Func<string> dataFolder);

    public abstract DbDataSource CreateDataSource(string connectionString);

    /// <summary>Runs on every connection as it is opened (SQLite: its busy handler and durability pragmas).</summary>
    public abstract Task OpenedAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Runs, instead of <see cref="OpenedAsync"/>, on a connection opened for a write transaction. SQLite: the commit
    /// appends to the write-ahead log without flushing it; <see cref="DurableAsync"/> flushes it once for every transaction
    /// committed meanwhile (group commit). Elsewhere as <see cref="OpenedAsync"/>: the server flushes its own commits.
    /// </summary>
    public virtual Task OpenedForWriteAsync(DbConnection connection, CancellationToken cancellationToken) => OpenedAsync(connection, cancellationToken);

    /// <summary>
    /// Returns once every transaction committed on this database before the call is on disk. A write waits for it
    /// before it answers, pushes or signals the outbox; the outbox relay before it publishes what it claimed. SQLite:
    /// one flush of the write-ahead log serves every commit that came before it (<see cref="SqliteWalFlush"/>).
    /// Elsewhere at once: a commit returned only once flushed.
    /// </summary>
    public virtual Task DurableAsync(string connectionString) => Task.CompletedTask;

    /// <summary>
    /// The connection this process's write transactions run on, one at a time (SQLite: <see cref="SqliteCompiledConnection"/>,
    /// opened for writing, keeping its SQL compiled; the outbox relay's bookkeeping runs on it too); null where each write takes a pooled connection of its own.
    /// </summary>
    public virtual Task<DbConnection?> OpenWriterConnectionAsync(DbDataSource dataSource, CancellationToken cancellationToken) =>
        Task.FromResult<DbConnection?>(null);

    /// <summary>
    /// A connection for reads, used by one read at a time and kept for the next (SQLite: <see cref="SqliteCompiledConnection"/>,
    /// keeping its SQL compiled); null where each read takes a pooled connection of its own.
    /// </summary>
    public virtual Task<DbConnection?> OpenReaderConnectionAsync(DbDataSource dataSource, CancellationToken cancellationToken) =>
        Task.FromResult<DbConnection?>(null);

    /// <summary>
    /// The isolation of a write transaction. Every writer then locks the row it changes first
    /// (<see cref="SelectForUpdate"/>) and applies version- or status-conditional updates, so a stale action changes nothing.
    /// </summary>
    public abstract IsolationLevel WriteIsolation { get; }

    /// <summary>
    /// A transaction for reading one consistent state of several tables (the audit chain's verification): SQLite's
    /// deferred transaction reads one snapshot; elsewhere read committed, with the writers kept out by a shared
    /// <see cref="UnderLock"/>.
    /// </summary>
    public abstract ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>A failure after which the whole transaction is run again (busy, deadlock victim, a lock not granted, a dropped connection).</summary>
    public abstract bool IsTransient(Exception exception);

    /// <summary>A unique index or primary key refused the row.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    // ---- Statements ---------------------------------------------------------------------------------------------

    /// <summary>One page of an ordered select (it ends with its ORDER BY and no semicolon): parameters <c>@Skip</c> and <c>@Take</c>.</summary>
    public abstract string Page(string orderedSelect);

    /// <summary>The first rows of an ordered select (ending with its ORDER BY, no semicolon); <paramref name="take"/> is a parameter or a number.</summary>
    public abstract string Limit(string orderedSelect, string take = "@Take");

    /// <summary>
    /// A whole select that reads rows and keeps them locked against other writers until the transaction ends:
    /// <c>SELECT columns FROM from WHERE where</c>, <paramref name="from"/> one table with its alias. With
    /// <paramref name="evenIfAbsent"/> the key is locked too when no row has it yet, so that a concurrent insert of it waits.
    /// </summary>
    public abstract string SelectForUpdate(string columns, string from, string where, bool evenIfAbsent = false);

    /// <summary>An insert of one row that answers the <paramref name="identity"/> column's value the database gave it.</summary>
    public abstract string InsertReturningIdentity(string table, string columns, string values, string identity);

    /// <summary>
    /// Inserts a row unless one with the same key exists (the inbox, deliveries, the county's reference rows): affects
    /// one row when it inserted, none when the key was there. Under concurrency the key's unique index is the last word
    /// (<see cref="IsUniqueViolation"/>; callers retry or treat it as "already there").
    /// </summary>
    public abstract string InsertIfAbsent(string table, string columns, string values, string key);

    /// <summary>
    /// <see cref="InsertIfAbsent"/> that answers a result set: one row (the inserted row's <paramref name="answer"/>
    /// column) when it inserted, none when the key was there — so that the statement can share a command with the
    /// statements after it and still say which it was (the inbox with the dispatch's lock, issue 15).
    /// </summary>
    public abstract string InsertIfAbsentAnswering(string table, string columns, string values, string key, string answer);

    /// <summary>
    /// <c>UPDATE table SET set WHERE where</c> that answers a result set: the changed rows' <paramref name="answer"/>
    /// column, none when no row matched — so that the update can go in a command with others and still say whether it
    /// changed its row (the dispatch's writes sent with its events, issue 15).
    /// </summary>
    public abstract string UpdateAnswering(string table, string set, string where, string answer);

    /// <summary>Inserts a row, or updates <paramref name="update"/> (<c>column = value, …</c>) of the row with the same key.</summary>
    public abstract string Upsert(string table, string columns, string values, string key, string update);

    /// <summary>
    /// <paramref name="statements"/>, in the caller's transaction, only once it holds the lock <paramref name="resource"/>
    /// (exclusive, or <paramref name="shared"/> with other readers), kept until the transaction ends. Writers of one
    /// stream so commit one after another, in the order they were numbered (the timeline's sequence), and one sealer at a
    /// time chains the audit trail while its verifier reads. A lock not granted within <paramref name="wait"/> fails as a
    /// transient error, so the transaction runs again: nobody goes on without it.
    /// </summary>
    public abstract string UnderLock(string resource, TimeSpan wait, string statements, bool shared = false);

    /// <summary>
    /// <paramref name="statements"/> in a transaction of their own (on a connection without one) under the exclusive
    /// lock <paramref name="resource"/>: a claim on a shared queue (the outbox) that must be checked and taken atomically.
    /// </summary>
    public abstract string UnderLockInOwnTransaction(string resource, TimeSpan wait, string statements);

    /// <summary>
    /// A table (with its alias) in a FROM clause whose rows written by transactions still open are passed over rather
    /// than waited for (the audit sealer leaves them to its next round). SQLite and PostgreSQL readers never wait for
    /// writers: the table as it is; SQL Server's locking read committed does: <c>WITH (READPAST)</c>.
    /// </summary>
    public abstract string SkippingLocked(string table);

    /// <summary>
    /// Bookkeeping that may be lost in a power cut without harm (the relay's claims and sent marks): the statements,
    /// committed without a flush to disk of their own where the database allows it. They become durable with the next
    /// ordinary commit.
    /// </summary>
    public abstract string WithoutFlush(string statements);

    /// <summary>
    /// Updates rows of <paramref name="table"/> (alias <c>t</c>) from a batch sent as one parameter, a JSON array of
    /// objects (<paramref name="parameter"/>), so that one statement writes the whole batch however long it is:
    /// <c>UPDATE table AS t SET set FROM (the batch) AS s WHERE where</c>. <paramref name="columns"/> are the objects'
    /// properties, read as <c>s.name</c>; <paramref name="set"/> names the table's columns unqualified.
    /// </summary>
    public abstract string UpdateFromJson(string table, string set, string parameter, IReadOnlyList<JsonColumn> columns, string where);

    /// <summary>
    /// <paramref name="column"/> is one of the list parameter <paramref name="parameter"/> (a <c>List</c> or array):
    /// Dapper expands <c>IN @Ids</c> into one parameter per item for SQLite and SQL Server; PostgreSQL takes an array (<c>= ANY(@Ids)</c>).
    /// </summary>
    public abstract string InList(string column, string parameter);

    /// <summary>
    /// The most items one <see cref="InList"/> parameter carries in one statement: where Dapper expands the list into a
    /// parameter per item the database's limit on a statement's parameters, less room for the statement's others (SQL
    /// Server: 2,100 per request); unbounded where the list is one array parameter (PostgreSQL).
    /// </summary>
    public abstract int MaxListItems { get; }

    /// <summary>The items in chunks of at most <see cref="MaxListItems"/> (none for no items), each one statement's list.</summary>
    public IEnumerable<IReadOnlyList<T>> ListChunks<T>(IEnumerable<T> items) => items.Chunk(MaxListItems);

    /// <summary>
    /// A read by a list (<see cref="InList"/>): the rows of <paramref name="sql"/> for every item, one statement per
    /// chunk (<see cref="ListChunks{T}"/>), so that no statement passes the database's parameter limit whatever the list's
    /// length; <paramref name="parameters"/> makes a statement's parameters from its chunk. The rows come chunk after chunk:
    /// an order the statement gives holds within a chunk (group or sort across them where that matters).
    /// </summary>
    public async Task<List<TRow>> QueryListAsync<TRow>(
        DbConnection connection, string sql, IEnumerable<string> items, Func<IReadOnlyList<string>, object> parameters, DbTransaction? transaction = null)
    {
        var rows = new List<TRow>();
        foreach (var chunk in ListChunks(items))
        {
            rows.AddRange(await Dapper.SqlMapper.QueryAsync<TRow>(connection, sql, parameters(chunk), transaction));
        }

        return rows;
    }

    // ---- Many rows in one statement ---------------------------------------------------------------------------------

    /// <summary>
    /// The statement a <c>static string XxxSql(SqlDialect, int rows)</c> composes for this dialect and that many rows,
    /// composed once and kept (pass the static method itself). Where the statement is the same for any number of rows
    /// (<see cref="RowsShareOneStatement"/>) it is composed and kept once.
    /// </summary>
    public string Sql(Func<SqlDialect, int, string> statement, int rows) =>
        _rowStatements.GetOrAdd((statement, RowsShareOneStatement ? 0 : rows), static (key, dialect) => key.Statement(dialect, Math.Max(1, key.Rows)), this);

    private readonly ConcurrentDictionary<(Func<SqlDialect, int, string> Statement, int Rows), string> _rowStatements = new();

    /// <summary>
    /// Whether <see cref="InsertRows"/> and <see cref="InsertRowsReturningIdentity"/> are the same statement for any number
    /// of rows (one parameter a column) rather than one a row count (one parameter a value).
    /// </summary>
    public virtual bool RowsShareOneStatement => false;

    /// <summary>
    /// Inserts <paramref name="rows"/> rows into <paramref name="table"/> in one statement (ending with its semicolon),
    /// in their order, their values bound by <see cref="AddRows{T}"/>: here a <c>VALUES</c> list of one parameter a value
    /// (<c>@{parameter}{row}</c>). Callers keep within the database's limit on a statement's parameters (SQL Server:
    /// 2,100 a request). PostgreSQL binds one array a column instead (<c>unnest</c>).
    /// </summary>
    public virtual string InsertRows(string table, IReadOnlyList<RowColumn> columns, int rows) =>
        $"INSERT INTO {table} ({ColumnNames(columns)}) VALUES "
        + string.Join(", ", Enumerable.Range(0, rows).Select(row => $"({RowValues(columns, row)})")) + ";";

    /// <summary>
    /// Inserts <paramref name="rows"/> rows as <see cref="InsertRows"/> does and answers the <paramref name="identity"/>
    /// each got, read by <see cref="ReadIdentitiesAsync"/> in the rows' order. Here one statement a row, one after
    /// another (a multi-row insert does not promise the order in which it returns them: SQLite's <c>RETURNING</c>, SQL
    /// Server's <c>OUTPUT</c>), each answering one result set.
    /// </summary>
    public virtual string InsertRowsReturningIdentity(string table, IReadOnlyList<RowColumn> columns, int rows, string identity) =>
        string.Join('\n', Enumerable.Range(0, rows).Select(row => InsertReturningIdentity(table, ColumnNames(columns), RowValues(columns, row), identity) + ";"));

    /// <summary>The identities <see cref="InsertRowsReturningIdentity"/> answered, in the rows' order.</summary>
    public virtual async Task<IReadOnlyList<long>> ReadIdentitiesAsync(Dapper.SqlMapper.GridReader grid, int rows)
    {
        var identities = new long[rows];
        for (var row = 0; row < rows; row++)
        {
            identities[row] = await grid.ReadSingleAsync<long>();
        }

        return identities;
    }

    /// <summary>
    /// Binds the values of <paramref name="rows"/> for <see cref="InsertRows"/> or <see cref="InsertRowsReturningIdentity"/>:
    /// <paramref name="value"/> gives a row's value of the column at an index of <paramref name="columns"/>.
    /// </summary>
    public virtual void AddRows<T>(Dapper.DynamicParameters parameters, IReadOnlyList<RowColumn> columns, IReadOnlyList<T> rows, Func<T, int, object?> value)
    {
        for (var row = 0; row < rows.Count; row++)
        {
            var suffix = row.ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (var column = 0; column < columns.Count; column++)
            {
                parameters.Add(columns[column].Parameter + suffix, value(rows[row], column));
            }
        }
    }

    /// <summary>The columns' names, as an insert lists them.</summary>
    protected static string ColumnNames(IReadOnlyList<RowColumn> columns) => string.Join(", ", columns.Select(c => c.Name));

    private static string RowValues(IReadOnlyList<RowColumn> columns, int row) =>
        string.Join(", ", columns.Select(c => $"@{c.Parameter}{row.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));

    // ---- Waking the other instances -------------------------------------------------------------------------------

    /// <summary>
    /// A statement, in the writer's transaction, that wakes whoever listens on <paramref name="channel"/> in any process
    /// once the transaction commits (and never when it rolls back): PostgreSQL's <c>NOTIFY</c>. Empty where the database
    /// has no such thing: the listeners' poll finds the rows instead.
    /// </summary>
    public abstract string Wake(string channel);

    /// <summary>
    /// Listens on every channel of <paramref name="channels"/> (one connection for all) until cancelled, calling that
    /// channel's action for each wake-up (and every action after every (re)connection), and <paramref name="lost"/> when
    /// the connection fails before it connects again. Returns at once where the database cannot tell other processes
    /// anything (they poll).
    /// </summary>
    public abstract Task ListenForWakeUpsAsync(string connectionString, IReadOnlyDictionary<string, Action> channels, Action<Exception> lost, CancellationToken cancellationToken);

    // ---- Migrations ----------------------------------------------------------------------------------------------

    /// <summary>The folder of migrations written for this dialect only: <c>Storage/Migrations/{Provider}</c>.</summary>
    public string MigrationFolder => Provider.ToString();

    /// <summary>How this dialect spells the type tokens of a shared migration (<see cref="DatabaseMigrator.Render"/>).</summary>
    public abstract MigrationTypes MigrationTypes { get; }

    /// <summary>
    /// Readies the database for the migrations (SQLite: write-ahead logging; SQL Server: creates the database when asked
    /// and takes the migration lock, so that instances starting together migrate one at a time). Dispose to let go.
    /// </summary>
    public abstract IDisposable PrepareMigration(string connectionString, bool ensureDatabase);

    /// <summary>DbUp's engine for this database.</summary>
    public abstract UpgradeEngineBuilder Migrations(string connectionString);
}

/// <summary>How a dialect spells the tokens of a shared migration (<c>Storage/Migrations/Shared</c>).</summary>
/// <param name="Text">Unbounded text: <c>{text}</c>.</param>
/// <param name="BoundedText">Text of at most N characters: <c>{text:N}</c> (a key or an indexed column must be bounded on SQL Server).</param>
/// <param name="Timestamp">A moment, kept in UTC: <c>{timestamp}</c> (SQLite: ISO-8601 text, so text order is time order).</param>
/// <param name="Integer">A 32-bit integer: <c>{int}</c>.</param>
/// <param name="BigInteger">A 64-bit integer: <c>{bigint}</c>.</param>
/// <param name="Identity">A 64-bit key the database numbers ascending, with its PRIMARY KEY: <c>{bigint-identity}</c>.</param>
/// <param name="Boolean">0 or 1: <c>{bool}</c> (portable SQL compares it with 0 and 1 and binds it from a C# bool).</param>
/// <param name="Real">A double: <c>{real}</c>.</param>
/// <param name="Schema">What qualifies a table name: <c>{schema}</c> (SQL Server: <c>dbo.</c>).</param>
/// <param name="AddColumn">The words that add a column: <c>ALTER TABLE t {add-column} c …</c>.</param>
/// <param name="BatchSeparator">Between statements that must run in separate batches (a column added, then used): <c>{go}</c>.</param>
public sealed record MigrationTypes(
    string Text,
    Func<int, string> BoundedText,
    string Timestamp,
    string Integer,
    string BigInteger,
    string Identity,
    string Boolean,
    string Real,
    string Schema,
    string AddColumn,
    string BatchSeparator);

/// <summary>
/// A column of a multi-row insert (<see cref="SqlDialect.InsertRows"/>): its name, the parameter its values are bound
/// to (a prefix: unique within the command) and its type.
/// </summary>
public sealed record RowColumn(string Name, string Parameter, RowType Type);

/// <summary>The type of a <see cref="RowColumn"/>'s values.</summary>
public enum RowType
{
    /// <summary>Text, or null.</summary>
    Text,

    /// <summary>A 64-bit integer, never null.</summary>
    BigInteger,

    /// <summary>A moment (a <see cref="DateTimeOffset"/>, stored in UTC), never null.</summary>
    Timestamp,
}

/// <summary>A property of the objects of a JSON batch (<see cref="SqlDialect.UpdateFromJson"/>): its name and whether it is text (else a 64-bit integer).</summary>
public sealed record JsonColumn(string Name, bool Text = false);
