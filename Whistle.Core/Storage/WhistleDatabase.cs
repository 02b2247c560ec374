using System.Data.Common;
using Dapper;
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
/// A transaction that wrote outbox rows wakes the relay after commit, one that queued notice deliveries this process's
/// notice sender (<paramref name="noticesQueued"/>); the timeline events it committed are handed to
/// <paramref name="committed"/> (the metrics), once.
/// </summary>
public sealed class WhistleDatabase(
    DbDataSource dataSource,
    SqlDialect dialect,
    OutboxSignal outboxSignal,
    Action<IReadOnlyList<WhistleEvent>>? committed = null,
    Action? noticesQueued = null) : IAsyncDisposable
{
    private readonly ResiliencePipeline _transient = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is WriteBatchRolledBackException || dialect.IsTransient(e)),
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

    // SQLite: the transaction the writes of this process share while writers wait for the turn (issue 15: one commit for
    // several writes). Open only between writes in turn: the holder of the turn that ends it commits it, or leaves it
    // open for the next writer when one waits. Used only by the holder of the writer's turn.
    private WriteBatch? _batch;

    // SQLite: writes waiting for the writer's turn (they will take it; a batch is left open only for one of them).
    private int _writesWaiting;

    /// <summary>SQLite: at most this many writes share one commit (the first of them waits for the last).</summary>
    public const int MaxWritesPerCommit = 16;

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

        RefuseInsideOwnWrite();

        using (WhistleTelemetry.DatabaseSource.StartActivity("db writer turn wait"))
        {
            await _writer.WaitAsync(cancellationToken);
        }

        try
        {
            HoldingTurn.Value = this; // flows into body; this method's own flow ends with it
            if (_batch is { } batch)
            {
                await EndBatchAsync(batch); // statements of their own are not part of the writes' transaction
            }

            return await body();
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>A write asked for inside a write of this process would wait for itself: refused at once instead.</summary>
    private void RefuseInsideOwnWrite()
    {
        if (HoldingTurn.Value == this)
        {
            throw new InvalidOperationException("A write was asked for inside a write transaction of this process; it would wait for itself. Write in the transaction already open (its connection), or after it.");
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
        var queuedNotices = false;
        var committedAny = false;
        WriteBatch? sharedCommit = null;
        IReadOnlyList<WhistleEvent> recorded = [];
        var result = await _transient.ExecuteAsync(
            async ct =>
            {
                // SQLite: this process's writer transactions run one at a time, on the one writer connection that keeps
                // their SQL compiled (SqliteCompiledConnection); a server database: a pooled connection each.
                if (_writer is not null)
                {
                    var (value, unit, batch) = await WriteInBatchAsync(write, ct);
                    if (unit.Completed)
                    {
                        // A write that did not complete rolled back what it appended: no events to report, nothing to relay.
                        sharedCommit = batch;
                        committedAny = true;
                        wroteOutbox = unit.WroteOutbox;
                        queuedNotices = unit.QueuedNotices > 0;
                        recorded = unit.Recorded;
                    }

                    return value;
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
                        queuedNotices = unit.QueuedNotices > 0;
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
            await (sharedCommit?.DurableAsync(this) ?? DurableAsync());
        }

        if (wroteOutbox)
        {
            outboxSignal.Notify();
        }

        if (queuedNotices)
        {
            noticesQueued?.Invoke();
        }

        if (recorded.Count > 0)
        {
            committed?.Invoke(recorded);
        }

        return result;
    }

    /// <summary>
    /// SQLite: runs <paramref name="write"/> in this process's turn for the writer, in the transaction the writes of this
    /// process share (begun by the first of them), between a savepoint and its release: a write that fails or does not
    /// complete undoes its own statements only (one that fails ends the batch: the writes before it commit, and the writer
    /// connection is closed). The holder of the turn that ends the batch commits it — the last write when no write waits
    /// for the turn, or the <see cref="MaxWritesPerCommit"/>th —; otherwise it leaves the transaction open for the next.
    /// Every write of a batch returns once the batch has committed (and, in <see cref="WriteAsync{T}"/>, is on disk); when a
    /// failure ends the transaction itself, the others are written again
    /// (<see cref="WriteBatchRolledBackException"/>, retried as a transient failure). Issue 15: committing was the largest
    /// part of a write's turn; under load one commit now writes the pages the writes share (each table's and index's
    /// last pages, the timeline's) once for many.
    /// </summary>
    private async Task<(T Value, UnitOfWork Unit, WriteBatch Batch)> WriteInBatchAsync<T>(Func<UnitOfWork, Task<T>> write, CancellationToken cancellationToken)
    {
        RefuseInsideOwnWrite();

        Interlocked.Increment(ref _writesWaiting);
        using (WhistleTelemetry.DatabaseSource.StartActivity("db writer turn wait"))
        {
            try
            {
                await _writer!.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The write that holds the turn may have left the batch open for this one: it is ended in a turn of its own.
                Interlocked.Decrement(ref _writesWaiting);
                _ = EndOpenBatchInTurnAsync();
                throw;
            }

            Interlocked.Decrement(ref _writesWaiting);
        }

        WriteBatch? batch = null;
        UnitOfWork unit;
        T value;
        try
        {
            HoldingTurn.Value = this;
            batch = _batch;
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(_disposed, this);
            batch ??= _batch = await BeginBatchAsync(cancellationToken);
            using var span = WhistleTelemetry.DatabaseSource.StartActivity("db write transaction");
            unit = new UnitOfWork(batch.Connection, batch.Transaction, this);
            try
            {
                await batch.Connection.ExecuteAsync(SavepointStatement, transaction: batch.Transaction);
                value = await write(unit);
                if (unit.Completed)
                {
                    // The events deferred to commit: the timeline's lock is taken here, just before the commit.
                    await Timeline.FlushAsync(unit);
                    await batch.Connection.ExecuteAsync(ReleaseStatement, transaction: batch.Transaction);
                    batch.Writes++;
                }
                else
                {
                    await batch.Connection.ExecuteAsync(UndoStatement, transaction: batch.Transaction);
                }
            }
            catch (Exception failure)
            {
                try
                {
                    await batch.Connection.ExecuteAsync(UndoStatement, transaction: batch.Transaction);
                }
                catch (Exception)
                {
                    batch.Failure = failure; // the transaction itself is gone: the batch ends with it
                }

                // The writes before it commit now; the connection is not used again (nothing a failed write left on it, nor
                // a connection SQLite may have given up on, is carried into the next write).
                batch.CloseConnection = true;

                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
                throw;
            }

            span?.SetTag("whistle.batch.writes", batch.Writes);
        }
        finally
        {
            HoldingTurn.Value = null;
            try
            {
                if (batch is not null && (batch.CloseConnection || batch.Writes >= MaxWritesPerCommit || Volatile.Read(ref _writesWaiting) == 0))
                {
                    await EndBatchAsync(batch);
                }
            }
            finally
            {
                _writer!.Release();
            }
        }

        await batch.Ended.Task;
        return (value, unit, batch);
    }

    /// <summary>Takes the writer's turn and ends the batch open, if one is (for a write that stopped waiting for its turn).</summary>
    private async Task EndOpenBatchInTurnAsync()
    {
        await _writer!.WaitAsync(CancellationToken.None);
        try
        {
            if (_batch is { } batch)
            {
                await EndBatchAsync(batch);
            }
        }
        catch (Exception)
        {
            // EndBatchAsync hands its failure to the batch's writes; nothing is left to tell here
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>SQLite: writes waiting for this process's writer turn now.</summary>
    internal int WritesWaiting => Volatile.Read(ref _writesWaiting);

    /// <summary>SQLite: the write transactions this process's writer has committed (a batch of writes is one).</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    private long _commits;

    // SQLite's spelling (the batches are SQLite's only; not named …Sql, which marks the portable statements).
    private const string SavepointStatement = "SAVEPOINT unit_of_work;";
    private const string ReleaseStatement = "RELEASE unit_of_work;";
    private const string UndoStatement = "ROLLBACK TO unit_of_work; RELEASE unit_of_work;";

    private async Task<WriteBatch> BeginBatchAsync(CancellationToken cancellationToken)
    {
        var connection = await WriterConnectionAsync(cancellationToken);
        try
        {
            return new WriteBatch(connection, await connection.BeginTransactionAsync(dialect.WriteIsolation, cancellationToken));
        }
        catch
        {
            _writerConnection = null;
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Ends the open batch (in the writer's turn): commits it, or rolls it back when a failure ended its transaction, and
    /// lets its writes return. After a write of it failed the writer connection is closed and the next write opens another.
    /// </summary>
    private async Task EndBatchAsync(WriteBatch batch)
    {
        _batch = null;
        try
        {
            if (batch.Failure is null)
            {
                using var span = WhistleTelemetry.DatabaseSource.StartActivity("db commit");
                span?.SetTag("whistle.batch.writes", batch.Writes);
                await batch.Transaction.CommitAsync(CancellationToken.None);
                Interlocked.Increment(ref _commits);
                batch.Ended.TrySetResult();
                if (batch.CloseConnection)
                {
                    await CloseWriterConnectionAsync(batch.Connection);
                }

                return;
            }
        }
        catch (Exception failure)
        {
            batch.Failure = failure;
        }

        try
        {
            await batch.Transaction.DisposeAsync();
        }
        catch (Exception)
        {
            // the connection goes with it
        }

        await CloseWriterConnectionAsync(batch.Connection);
        batch.Ended.TrySetException(new WriteBatchRolledBackException(batch.Failure));
    }

    private async Task CloseWriterConnectionAsync(DbConnection connection)
    {
        if (_writerConnection == connection)
        {
            _writerConnection = null;
        }

        await connection.DisposeAsync();
    }

    /// <summary>SQLite: the transaction the writes of this process share (<see cref="WriteInBatchAsync{T}"/>).</summary>
    private sealed class WriteBatch(DbConnection connection, DbTransaction transaction)
    {
        public DbConnection Connection => connection;

        public DbTransaction Transaction => transaction;

        /// <summary>The writes it holds (completed; released savepoints).</summary>
        public int Writes { get; set; }

        /// <summary>What ended its transaction, when something did.</summary>
        public Exception? Failure { get; set; }

        /// <summary>A write of it failed: it ends after that write, and its connection is closed.</summary>
        public bool CloseConnection { get; set; }

        /// <summary>Completes when it commits; fails when it rolled back.</summary>
        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private readonly TaskCompletionSource _durable = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _flushing;

        /// <summary>
        /// Completes once its commit is on disk: the first of its writes to ask (after the commit) flushes the log, the
        /// others wait for that flush instead of each asking for one of their own (which would wait for a second round).
        /// </summary>
        public async Task DurableAsync(WhistleDatabase database)
        {
            if (Interlocked.Exchange(ref _flushing, 1) == 0)
            {
                try
                {
                    await database.DurableAsync();
                    _durable.TrySetResult();
                }
                catch (Exception e)
                {
                    _durable.TrySetException(e);
                }
            }

            await _durable.Task;
        }
    }

    /// <summary>This process's SQLite writer connection, opened (with the write pragmas) at its first use or after a failure closed it.</summary>
    private async Task<DbConnection> WriterConnectionAsync(CancellationToken cancellationToken) =>
        _writerConnection ??= await dialect.OpenWriterConnectionAsync(dataSource, cancellationToken)
            ?? throw new InvalidOperationException("This database has no writer connection; its writes take a pooled connection each.");

    /// <summary>
    /// Runs <paramref name="body"/> on this process's SQLite writer connection (opened, with the write pragmas, at its
    /// first use), holding the writer's turn. After a failure the connection is closed and the next write opens another:
    /// nothing of a failed transaction, nor a connection SQLite may have given up on, is carried into the next one.
    /// </summary>
    private async Task<T> OnWriterConnectionAsync<T>(Func<DbConnection, Task<T>> body, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = await WriterConnectionAsync(cancellationToken);
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
            if (_batch is { } batch)
            {
                await EndBatchAsync(batch); // writes that wait for it; a write after them finds the database disposed
            }

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

    /// <summary>
    /// A write sent at the head of the command that appends the deferred events when the transaction commits
    /// (<see cref="DeferWrite"/>), with what to say when it wrote nothing.
    /// </summary>
    internal (string Sql, Dapper.DynamicParameters Parameters, string Changed)? DeferredWrite { get; private set; }

    /// <summary>
    /// Sends <paramref name="sql"/> at the head of the command that appends this transaction's deferred events when it
    /// commits (issue 15: the dispatch's status and duties with its events, a round trip less). Its first result set
    /// must answer a row (a dialect's <c>UpdateAnswering</c>); none fails the commit with <paramref name="changed"/> and
    /// the transaction rolls back. Only for a write nothing in the transaction reads after it: no statement sees it
    /// before the commit.
    /// </summary>
    internal void DeferWrite(string sql, Dapper.DynamicParameters parameters, string changed)
    {
        if (DeferredWrite is not null)
        {
            throw new InvalidOperationException("A transaction defers one write to its commit.");
        }

        DeferredWrite = (sql, parameters, changed);
    }

    /// <summary>The deferred write, handed to the one who sends it.</summary>
    internal (string Sql, Dapper.DynamicParameters Parameters, string Changed)? TakeDeferredWrite()
    {
        var write = DeferredWrite;
        DeferredWrite = null;
        return write;
    }

    public void Complete() => Completed = true;

    internal void MarkOutboxWritten() => WroteOutbox = true;

    /// <summary>The notice deliveries this transaction queued (<see cref="Notices.NoticeStore.AddDeliveryAsync"/>).</summary>
    internal int QueuedNotices { get; set; }
}

/// <summary>
/// A failure ended the transaction a write shared with others (SQLite, <see cref="WhistleDatabase"/>): nothing of the
/// batch was written, and each of its writes is run again (retried as a transient failure).
/// </summary>
public sealed class WriteBatchRolledBackException(Exception? cause)
    : Exception("A failure ended the transaction this write shared with others; nothing of it was written.", cause);
