using System.Data;
using System.Data.Common;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Polly;
using Polly.Retry;
using Whistle.Contracts;
using Whistle.Core.Messaging;
using Whistle.Core.Options;

namespace Whistle.Core.Storage;

/// <summary>
/// The one <see cref="DbDataSource"/> of a process, with the dialect it speaks. A connection per
/// operation; writes run in one transaction, retried as a whole on transient failures (SQLite busy,
/// SQL Server's transient error numbers). A transaction that wrote outbox rows wakes the relay after commit;
/// the timeline events it committed are handed to <paramref name="committed"/> (the metrics), once.
/// </summary>
public sealed class WhistleDatabase(
    DbDataSource dataSource,
    DatabaseProvider provider,
    OutboxSignal outboxSignal,
    Action<IReadOnlyList<WhistleEvent>>? committed = null)
{
    /// <summary>
    /// Thrown by our own statements when <c>sp_getapplock</c> did not grant its lock (a timeout, a deadlock victim):
    /// the transaction is rolled back and run again, like a deadlock.
    /// </summary>
    public const int ApplicationLockNotGranted = 50001;

    private static readonly HashSet<int> SqlServerTransientErrors =
        [-2, 1205, 1222, 40197, 40501, 40613, 49918, 49919, 49920, 4060, 4221, 10928, 10929, 10053, 10054, 10060, 233, 64, ApplicationLockNotGranted];

    private readonly ResiliencePipeline _transient = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = 5,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(50),
        })
        .Build();

    public DatabaseProvider Provider => provider;

    public DbDataSource DataSource => dataSource;

    /// <summary>Picks the statement for this database where the dialects differ.</summary>
    public string Sql(string sqlite, string sqlServer) => provider == DatabaseProvider.Sqlite ? sqlite : sqlServer;

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        return await _transient.ExecuteAsync(
            async ct =>
            {
                await using var connection = await OpenAsync(ct);
                return await read(connection);
            },
            cancellationToken);
    }

    public async Task<T> WriteAsync<T>(Func<UnitOfWork, Task<T>> write, CancellationToken cancellationToken)
    {
        var wroteOutbox = false;
        IReadOnlyList<WhistleEvent> recorded = [];
        var result = await _transient.ExecuteAsync(
            async ct =>
            {
                await using var connection = await OpenAsync(ct);
                // SQLite: BEGIN IMMEDIATE (the writer lock up front, so a read-then-write never deadlocks).
                // SQL Server: read committed; writers lock the whistle row first (UPDLOCK) to serialise per whistle.
                var isolation = provider == DatabaseProvider.Sqlite ? IsolationLevel.Serializable : IsolationLevel.ReadCommitted;
                await using var transaction = await connection.BeginTransactionAsync(isolation, ct);
                var unit = new UnitOfWork(connection, transaction, this);
                var value = await write(unit);
                if (unit.Completed)
                {
                    await transaction.CommitAsync(ct);
                    wroteOutbox = unit.WroteOutbox;
                    recorded = unit.Recorded;
                }
                else
                {
                    await transaction.RollbackAsync(ct);
                }

                return value;
            },
            cancellationToken);
        if (wroteOutbox)
        {
            outboxSignal.Notify();
        }

        if (recorded.Count > 0)
        {
            committed?.Invoke(recorded);
        }

        return result;
    }

    /// <summary>
    /// Opens a connection. SQLite: SQLite's own busy handler waits for the writer lock (it retries within a
    /// millisecond or a few); without it Microsoft.Data.Sqlite retries a busy statement after sleeping 150 ms,
    /// which across three processes sharing one file made every contended write cost 150 ms or more.
    /// Every connection also starts with synchronous = FULL (see <see cref="SqliteConnectionPragmas"/>).
    /// </summary>
    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (provider == DatabaseProvider.Sqlite)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = SqliteConnectionPragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return connection;
    }

    // synchronous = FULL is SQLite's default; it is set on every open because the outbox relay lowers it to
    // NORMAL for its own bookkeeping (claims, sent marks) on a pooled connection that may serve a write next.
    private const string SqliteConnectionPragmas = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL;";

    public static bool IsTransient(Exception exception) => exception switch
    {
        SqliteException e => e.SqliteErrorCode is 5 or 6, // SQLITE_BUSY, SQLITE_LOCKED
        SqlException e => e.Errors.Cast<SqlError>().Any(error => IsTransientSqlServerError(error.Number)),
        TimeoutException => true,
        _ => false,
    };

    /// <summary>A SQL Server error number after which the whole transaction is run again.</summary>
    public static bool IsTransientSqlServerError(int number) => SqlServerTransientErrors.Contains(number);

    public static bool IsUniqueViolation(Exception exception) => exception switch
    {
        SqliteException e => e.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        SqlException e => e.Number is 2627 or 2601,
        _ => false,
    };
}

/// <summary>One write transaction. Call <see cref="Complete"/> to commit; otherwise it rolls back.</summary>
public sealed class UnitOfWork(DbConnection connection, DbTransaction transaction, WhistleDatabase database)
{
    public DbConnection Connection => connection;

    public DbTransaction Transaction => transaction;

    public WhistleDatabase Database => database;

    internal bool Completed { get; private set; }

    internal bool WroteOutbox { get; private set; }

    /// <summary>The timeline events appended in this transaction (reported once it commits).</summary>
    internal List<WhistleEvent> Recorded { get; } = [];

    public void Complete() => Completed = true;

    internal void MarkOutboxWritten() => WroteOutbox = true;
}
