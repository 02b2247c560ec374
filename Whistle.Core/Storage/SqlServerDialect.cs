using System.Data;
using System.Data.Common;
using DbUp;
using DbUp.Builder;
using DbUp.Engine.Output;
using Microsoft.Data.SqlClient;
using Whistle.Core.Options;

namespace Whistle.Core.Storage;

/// <summary>
/// SQL Server, the distributed way: read committed, and every writer locks the row it is about to change first
/// (<c>WITH (UPDLOCK, ROWLOCK)</c>), so writers of one whistle (or meeting, or account) run one after another while
/// others proceed. Identity values are handed out at insert but may commit out of order, so the writers of a stream
/// that readers follow by number (the timeline, the outbox's claim) take a transaction-scoped application lock
/// (<c>sp_getapplock</c>) whose result is always tested: a lock not granted throws <see cref="ApplicationLockNotGranted"/>,
/// which is retried as a transient error.
/// </summary>
public sealed class SqlServerDialect : SqlDialect
{
    public static readonly SqlServerDialect Instance = new();

    /// <summary>
    /// Thrown by our own statements when <c>sp_getapplock</c> did not grant its lock (a timeout, a deadlock victim):
    /// the transaction is rolled back and run again, like a deadlock.
    /// </summary>
    public const int ApplicationLockNotGranted = 50001;

    private static readonly HashSet<int> TransientErrors =
        [-2, 1205, 1222, 40197, 40501, 40613, 49918, 49919, 49920, 4060, 4221, 10928, 10929, 10053, 10054, 10060, 233, 64, ApplicationLockNotGranted];

    private SqlServerDialect()
    {
    }

    public override DatabaseProvider Provider => DatabaseProvider.SqlServer;

    public override bool IsEmbedded => false;

    public override string ConnectionString(string? configured, Func<string> dataFolder) =>
        string.IsNullOrWhiteSpace(configured)
            ? throw new InvalidOperationException("Whistle:Database:ConnectionString is required for SQL Server.")
            : configured;

    public override DbDataSource CreateDataSource(string connectionString) => SqlClientFactory.Instance.CreateDataSource(connectionString);

    public override Task OpenedAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public override IsolationLevel WriteIsolation => IsolationLevel.ReadCommitted;

    public override async ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

    public override bool IsTransient(Exception exception) => exception switch
    {
        SqlException e => e.Errors.Cast<SqlError>().Any(error => IsTransientError(error.Number)),
        TimeoutException => true,
        _ => false,
    };

    /// <summary>A SQL Server error number after which the whole transaction is run again.</summary>
    public static bool IsTransientError(int number) => TransientErrors.Contains(number);

    public override bool IsUniqueViolation(Exception exception) => exception is SqlException { Number: 2627 or 2601 };

    public override string Page(string orderedSelect) => $"{Trim(orderedSelect)} OFFSET @Skip ROWS FETCH NEXT @Take ROWS ONLY";

    public override string Limit(string orderedSelect, string take = "@Take") => $"{Trim(orderedSelect)} OFFSET 0 ROWS FETCH NEXT {take} ROWS ONLY";

    /// <summary>
    /// An update lock on the row, held to the end of the transaction: other writers of the row wait, readers do not.
    /// <paramref name="evenIfAbsent"/>: a key-range lock (<c>HOLDLOCK</c>), so that an insert of a missing key waits too.
    /// </summary>
    public override string SelectForUpdate(string columns, string from, string where, bool evenIfAbsent = false) =>
        $"SELECT {columns} FROM {from} WITH (UPDLOCK, {(evenIfAbsent ? "HOLDLOCK" : "ROWLOCK")}) WHERE {where}";

    public override string InsertReturningIdentity(string table, string columns, string values, string identity) =>
        $"INSERT INTO {table} ({columns}) OUTPUT INSERTED.{identity} VALUES ({values})";

    /// <summary>
    /// Under read committed two writers may both find the key absent; the second insert then fails on the unique index
    /// (<see cref="SqlDialect.IsUniqueViolation"/>) and its transaction is retried or answered as "already there".
    /// </summary>
    public override string InsertIfAbsent(string table, string columns, string values, string key) =>
        $"INSERT INTO {table} ({columns}) SELECT {values} WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {KeyMatches(columns, values, key)})";

    /// <summary><c>OUTPUT INSERTED.answer</c>: no row when nothing was inserted.</summary>
    public override string InsertIfAbsentAnswering(string table, string columns, string values, string key, string answer) =>
        $"INSERT INTO {table} ({columns}) OUTPUT INSERTED.{answer} SELECT {values} WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {KeyMatches(columns, values, key)})";

    /// <summary><c>OUTPUT INSERTED.answer</c>: no row when nothing matched.</summary>
    public override string UpdateAnswering(string table, string set, string where, string answer) =>
        $"UPDATE {table} SET {set} OUTPUT INSERTED.{answer} WHERE {where}";

    public override string Upsert(string table, string columns, string values, string key, string update) =>
        $"""
        UPDATE {table} SET {update} WHERE {KeyMatches(columns, values, key)};
        IF @@ROWCOUNT = 0
            INSERT INTO {table} ({columns}) VALUES ({values})
        """;

    public override string UnderLock(string resource, TimeSpan wait, string statements, bool shared = false) =>
        $"""
        DECLARE @lock int;
        EXEC @lock = sp_getapplock @Resource = N'{Resource(resource)}', @LockMode = N'{(shared ? "Shared" : "Exclusive")}', @LockOwner = N'Transaction', @LockTimeout = {Milliseconds(wait)};
        IF @lock < 0 THROW {ApplicationLockNotGranted}, N'The {resource} application lock was not granted; the transaction is retried.', 1;
        {statements}
        """;

    /// <summary>Rows of transactions still open are skipped (<c>READPAST</c>): they may commit after later ones.</summary>
    public override string SkippingLocked(string table) => $"{table} WITH (READPAST)";

    public override string UnderLockInOwnTransaction(string resource, TimeSpan wait, string statements) =>
        $"""
        BEGIN TRANSACTION;
        DECLARE @lock int;
        EXEC @lock = sp_getapplock @Resource = N'{Resource(resource)}', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = {Milliseconds(wait)};
        IF @lock < 0 BEGIN ROLLBACK TRANSACTION; THROW {ApplicationLockNotGranted}, N'The {resource} application lock was not granted; the statement is retried.', 1; END
        {statements}
        COMMIT TRANSACTION;
        """;

    /// <summary>The statements as they are: Whistle does not use SQL Server's delayed durability.</summary>
    public override string WithoutFlush(string statements) => statements;

    /// <summary><c>OPENJSON … WITH</c>: the batch as rows of typed columns, joined to the table.</summary>
    public override string UpdateFromJson(string table, string set, string parameter, IReadOnlyList<JsonColumn> columns, string where) =>
        $"UPDATE t SET {set} FROM {table} AS t CROSS JOIN OPENJSON({parameter}) WITH ({string.Join(", ", columns.Select(c => $"{c.Name} {(c.Text ? "nvarchar(max)" : "bigint")} '$.{c.Name}'"))}) AS s WHERE {where}";

    public override string InList(string column, string parameter) => $"{column} IN {parameter}";

    /// <summary>SQL Server takes at most 2,100 parameters per request: 2,000 for a list leaves a hundred for the statement's others.</summary>
    public override int MaxListItems => 2_000;

    /// <summary>Nothing: SQL Server cannot wake another process; its relays poll (<c>Whistle:Outbox:PollInterval</c>).</summary>
    public override string Wake(string channel) => string.Empty;

    /// <summary>Nothing to listen to: returns at once.</summary>
    public override Task ListenForWakeUpsAsync(string connectionString, IReadOnlyDictionary<string, Action> channels, Action<Exception> lost, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Unicode text, datetimeoffset to the tick, bit; batches split by <c>GO</c> (DbUp runs each apart).</summary>
    public override MigrationTypes MigrationTypes { get; } = new(
        Text: "nvarchar(max)",
        BoundedText: length => $"nvarchar({length})",
        Timestamp: "datetimeoffset(7)",
        Integer: "int",
        BigInteger: "bigint",
        Identity: "bigint IDENTITY(1, 1) NOT NULL PRIMARY KEY",
        Boolean: "bit",
        Real: "float",
        Schema: "dbo.",
        AddColumn: "ADD",
        BatchSeparator: "GO");

    // A session lock: held while the connection that took it stays open (the migrations run on connections of their own).
    private const string MigrationLockSql = """
        DECLARE @lock int;
        EXEC @lock = sp_getapplock @Resource = N'whistle-migrations', @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = 120000;
        IF @lock < 0 THROW 50001, N'The whistle-migrations application lock was not granted.', 1;
        """;

    /// <summary>Creates the database when asked; then holds the session's migration lock until disposed.</summary>
    public override IDisposable PrepareMigration(string connectionString, bool ensureDatabase)
    {
        if (ensureDatabase)
        {
            EnsureDatabase.For.SqlDatabase(connectionString, new NoOpUpgradeLog());
        }

        // Several instances may start at once: one migrates while the others wait on an application lock.
        var lockConnection = new SqlConnection(connectionString);
        try
        {
            lockConnection.Open();
            using var acquire = lockConnection.CreateCommand();
            acquire.CommandText = MigrationLockSql;
            acquire.CommandTimeout = 130;
            acquire.ExecuteNonQuery();
            return lockConnection;
        }
        catch (SqlException e) when (e.Number == ApplicationLockNotGranted)
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

    public override UpgradeEngineBuilder Migrations(string connectionString) => DeployChanges.To.SqlDatabase(connectionString);

    private static string Trim(string sql) => sql.TrimEnd().TrimEnd(';');

    private static int Milliseconds(TimeSpan wait) => (int)wait.TotalMilliseconds;

    private static string Resource(string resource) =>
        resource.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')
            ? resource
            : throw new ArgumentException($"An application lock's name is letters, digits, '-', '.' and '_': '{resource}'.", nameof(resource));

    /// <summary><c>k1 = v1 AND k2 = v2</c>: each key column with the value given for it in <paramref name="values"/>.</summary>
    private static string KeyMatches(string columns, string values, string key)
    {
        var names = Split(columns);
        var given = Split(values);
        if (names.Length != given.Length)
        {
            throw new ArgumentException($"{names.Length} columns but {given.Length} values: ({columns}) ({values}).", nameof(values));
        }

        return string.Join(" AND ", Split(key).Select(k =>
        {
            var at = Array.IndexOf(names, k);
            return at < 0 ? throw new ArgumentException($"The key column {k} is not among ({columns}).", nameof(key)) : $"{k} = {given[at]}";
        }));
    }

    private static string[] Split(string list) =>
        list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
