using System.Data.Common;
using Polly;
using Polly.Retry;
using Whistle.Contracts;
using Whistle.Core.Messaging;
using Whistle.Core.Options;
using Whistle.Core.Telemetry;

namespace Whistle.Core.Storage;

/// <summary>
/// The one <see cref="DbDataSource"/> of a process, with the <see cref="SqlDialect"/> it speaks. A connection per
/// operation; writes run in one transaction, retried as a whole on transient failures (the dialect says which).
/// A transaction that wrote outbox rows wakes the relay after commit; the timeline events it committed are handed
/// to <paramref name="committed"/> (the metrics), once.
/// </summary>
public sealed class WhistleDatabase(
    DbDataSource dataSource,
    SqlDialect dialect,
    OutboxSignal outboxSignal,
    Action<IReadOnlyList<WhistleEvent>>? committed = null) : IAsyncDisposable
{
    private readonly ResiliencePipeline _transient = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(dialect.IsTransient),
            MaxRetryAttempts = 5,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(50),
        })
        .Build();

    // SQLite has one writer: this process's writers take their turn here, in order and without sleeping, instead of in
    // SQLite's busy handler (which sleeps 1, 2, 5, 10 … ms between tries, leaving the lock idle while a dozen writers
    // sleep). Writers in other processes sharing the file still meet the busy handler. Taken for the transaction only:
    // the flush of the log (group commit) comes after it is released.
    private readonly SemaphoreSlim? _writer = dialect.IsEmbedded ? new SemaphoreSlim(1, 1) : null;

    // The database whose writer turn the current flow holds: a write asked for inside a write of this process would wait
    // for itself for ever, so it is refused at once instead (before the gate, SQLite refused it after its busy timeout).
    private static readonly AsyncLocal<WhistleDatabase?> HoldingTurn = new();

    // SQLite: the connection this process's write transactions run on, used only by the holder of the writer's turn.
    private DbConnection? _writerConnection;

    // SQLite: idle connections for reads that keep their SQL compiled, each taken by one read at a time; at most
    // MaxIdleReaders are kept (more reads at once open more, closed when they finish). Guarded by itself.
    private readonly Stack<DbConnection> _readers = new();

    private bool _disposed;

    // Whether this process's outbox relay can publish now; null when this process runs none (RelayHere).
    private volatile Func<bool>? _relayCanPublish;

    /// <summary>
    /// Says that this process runs an outbox relay, woken after each commit here, and how to ask whether it can publish
    /// (null: it runs none, or stopped). While it can, a commit does not wake the relays of other processes (issue 15).
    /// </summary>
    public void RelayHere(Func<bool>? canPublish) => _relayCanPublish = canPublish;

    /// <summary>
    /// A transaction that writes outbox rows wakes the relays of other processes too (PostgreSQL: <c>NOTIFY</c>) only when
    /// this process has no relay that can publish: its own relay, woken after commit, publishes them; a relay of another
    /// process that holds their stream claims again after its batch; so every other process's relay need not read the
    /// outbox after every commit (issue 15: two wake-ups, reads and often claims of every relay per whistle).
    /// </summary>
    internal bool WakeOtherProcesses => _relayCanPublish is not { } canPublish || !canPublish();

    /// <summary>
    /// Runs <paramref name="body"/> in this process's turn for the writer (SQLite; elsewhere at once), its flow marked as
    /// holding the turn so that a write asked for inside it is refused rather than waiting for itself.
    /// </summary>
    private async Task<T> InTurnAsync<T>(Func<Task<T>> body, CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            return await body();
        }

        if (HoldingTurn.Value == this)
        {
            throw new InvalidOperationException("A write was asked for inside a write transaction of this process; it would wait for itself. Write in the transaction already open (its connection), or after it.");
        }

        using (WhistleTelemetry.DatabaseSource.StartActivity("db writer turn wait"))
        {
            await _writer.WaitAsync(cancellationToken);
        }

        try
        {
            HoldingTurn.Value = this; // flows into body; this method's own flow ends with it
            return await body();
        }
        finally
        {
            _writer.Release();
        }
    }

    public DatabaseProvider Provider => dialect.Provider;

    /// <summary>What this database spells differently: paging, locking selects, upserts, commit order, errors.</summary>
    public SqlDialect Dialect => dialect;

    public DbDataSource DataSource => dataSource;

    /// <summary>A unique index or primary key refused a row (a concurrent duplicate).</summary>
    public bool IsUniqueViolation(Exception exception) => dialect.IsUniqueViolation(exception);

    /// <summary>How many idle read connections (SQLite) this process keeps for the next reads.</summary>
    public const int MaxIdleReaders = 16;

    /// <summary>
    /// Runs <paramref name="read"/> on a connection of its own (retried as a whole on transient failures). SQLite: an idle
    /// read connection that keeps its SQL compiled (<see cref="SqliteCompiledConnection"/>; issue 15: compiling each read
    /// anew, and the pragmas of every pooled open, cost CPU the writer and the requests need); a server database: a pooled one.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        using var span = WhistleTelemetry.DatabaseSource.StartActivity("db read");
        return await _transient.ExecuteAsync(
            async ct =>
            {
                if (_writer is not null)
                {
                    return await OnReaderConnectionAsync(read, ct);
                }

                await using var connection = await OpenAsync(ct);
                return await read(connection);
            },
            cancellationToken);
    }

    /// <summary>
    /// Statements that write in a transaction of their own (the outbox relay's bookkeeping): on SQLite in this process's
    /// turn for the writer and on its connection (their SQL kept compiled, as <see cref="WriteAsync{T}"/>'s); otherwise on
    /// a pooled connection, as <see cref="ReadAsync{T}"/>.
    /// </summary>
    public async Task<T> WriteStatementsAsync<T>(Func<DbConnection, Task<T>> write, CancellationToken cancellationToken)
    {
        return await _transient.ExecuteAsync(
            async ct =>
            {
                if (_writer is not null)
                {
                    return await InTurnAsync(() => OnWriterConnectionAsync(write, ct), ct);
                }

                await using var connection = await OpenAsync(ct);
                return await write(connection);
            },
            cancellationToken);
    }

    public async Task<T> WriteAsync<T>(Func<UnitOfWork, Task<T>> write, CancellationToken cancellationToken)
    {
        var wroteOutbox = false;
        var committedAny = false;
        IReadOnlyList<WhistleEvent> recorded = [];
        var result = await _transient.ExecuteAsync(
            async ct =>
            {
                // SQLite: this process's writer transactions run one at a time, on the one writer connection that keeps
                // their SQL compiled (SqliteCompiledConnection); a server database: a pooled connection each.
                if (_writer is not null)
                {
                    return await InTurnAsync(() => OnWriterConnectionAsync(Transact, ct), ct);
                }

                await using var connection = await OpenAsync(ct, forWrite: true);
                return await Transact(connection);

                async Task<T> Transact(DbConnection connection)
                {
                    using var span = WhistleTelemetry.DatabaseSource.StartActivity("db write transaction");
                    await using var transaction = await connection.BeginTransactionAsync(dialect.WriteIsolation, ct);
                    var unit = new UnitOfWork(connection, transaction, this);
                    var value = await write(unit);
                    if (unit.Completed)
                    {
                        // The events deferred to commit: the timeline's lock is taken here, just before the commit.
                        await Timeline.FlushAsync(unit);
                        await transaction.CommitAsync(ct);
                        committedAny = true;
                        wroteOutbox = unit.WroteOutbox;
                        recorded = unit.Recorded;
                    }
                    else
                    {
                        await transaction.RollbackAsync(ct);
                    }

                    return value;
                }
            },
            cancellationToken);

        // On disk before anyone acts on it: the caller's answer, the push, the relay's wake-up (SQLite: group commit).
        if (committedAny)
        {
            using var span = WhistleTelemetry.DatabaseSource.StartActivity("db durable");
            await DurableAsync();
        }

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
    /// Runs <paramref name="body"/> on this process's SQLite writer connection (opened, with the write pragmas, at its
    /// first use), holding the writer's turn. After a failure the connection is closed and the next write opens another:
    /// nothing of a failed transaction, nor a connection SQLite may have given up on, is carried into the next one.
    /// </summary>
    private async Task<T> OnWriterConnectionAsync<T>(Func<DbConnection, Task<T>> body, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = _writerConnection;
        if (connection is null)
        {
            connection = _writerConnection = await dialect.OpenWriterConnectionAsync(dataSource, cancellationToken)
                ?? throw new InvalidOperationException("This database has no writer connection; its writes take a pooled connection each.");
        }

        try
        {
            return await body(connection);
        }
        catch
        {
            _writerConnection = null;
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/> on an idle SQLite read connection, or a new one when none is idle, and keeps it for the
    /// next read (up to <see cref="MaxIdleReaders"/>). A read that fails closes its connection: nothing it left behind (an
    /// open transaction, a reader) reaches the next read.
    /// </summary>
    private async Task<T> OnReaderConnectionAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        DbConnection? connection;
        lock (_readers)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _readers.TryPop(out connection);
        }

        connection ??= await dialect.OpenReaderConnectionAsync(dataSource, cancellationToken)
            ?? throw new InvalidOperationException("This database has no read connections of its own; its reads take a pooled connection each.");
        T value;
        try
        {
            value = await read(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        lock (_readers)
        {
            if (!_disposed && _readers.Count < MaxIdleReaders && connection.State == System.Data.ConnectionState.Open)
            {
                _readers.Push(connection);
                return value;
            }
        }

        await connection.DisposeAsync();
        return value;
    }

    /// <summary>How many idle read connections this process keeps now (SQLite; none elsewhere).</summary>
    public int IdleReaders
    {
        get
        {
            lock (_readers)
            {
                return _readers.Count;
            }
        }
    }

    /// <summary>Closes this process's SQLite writer connection and idle read connections (the host disposes the database at its end).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_writer is null)
        {
            return;
        }

        // Not while a write holds it; a write after this one fails (ObjectDisposedException) instead of opening another.
        await _writer.WaitAsync(CancellationToken.None);
        try
        {
            List<DbConnection> idle;
            lock (_readers)
            {
                _disposed = true;
                idle = [.. _readers];
                _readers.Clear();
            }

            // A read still running closes its own connection when it ends (it finds the database disposed).
            foreach (var reader in idle)
            {
                await reader.DisposeAsync();
            }

            if (_writerConnection is { } connection)
            {
                _writerConnection = null;
                await connection.DisposeAsync();
            }
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Returns once every transaction committed before the call is on disk (<see cref="SqlDialect.DurableAsync"/>).</summary>
    public Task DurableAsync() => dialect.DurableAsync(dataSource.ConnectionString);

    /// <summary>Opens a connection, readied by the dialect (SQLite: its busy handler and durability pragmas).</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await OpenAsync(cancellationToken, forWrite: false);

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken, bool forWrite)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await (forWrite ? dialect.OpenedForWriteAsync(connection, cancellationToken) : dialect.OpenedAsync(connection, cancellationToken));
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}

/// <summary>One write transaction. Call <see cref="Complete"/> to commit; otherwise it rolls back.</summary>
public sealed class UnitOfWork(DbConnection connection, DbTransaction transaction, WhistleDatabase database)
{
    public DbConnection Connection => connection;

    public DbTransaction Transaction => transaction;

    public WhistleDatabase Database => database;

    /// <summary>The dialect of this transaction's database.</summary>
    public SqlDialect Dialect => database.Dialect;

    internal bool Completed { get; private set; }

    internal bool WroteOutbox { get; private set; }

    /// <summary>The timeline's lock is held (taken with this transaction's first event, held to its end).</summary>
    internal bool HoldsTimelineLock { get; set; }

    /// <summary>The timeline events appended in this transaction (reported once it commits).</summary>
    internal List<WhistleEvent> Recorded { get; } = [];

    /// <summary>The timeline events this transaction appends when it commits (<see cref="Timeline.Defer"/>).</summary>
    internal List<DeferredEvent> Deferred { get; } = [];

    /// <summary>The messages this transaction writes to the outbox when it commits, before its events' (<see cref="Outbox.Defer"/>).</summary>
    internal List<DeferredMessage> DeferredMessages { get; } = [];

    public void Complete() => Completed = true;

    internal void MarkOutboxWritten() => WroteOutbox = true;
}
