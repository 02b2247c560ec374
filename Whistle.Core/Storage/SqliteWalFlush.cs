namespace Whistle.Core.Storage;

/// <summary>
/// Group commit for one SQLite file's write-ahead log. Write transactions commit with <c>synchronous = NORMAL</c>:
/// SQLite appends their frames to the log (the OS holds them) without waiting for the disk. A writer then awaits
/// <see cref="FlushedAsync"/>, which completes once a flush of the log that <em>began after the call</em> is done; that
/// flush puts on disk every frame appended before it, the writer's and those of every commit meanwhile. One writer at a
/// time flushes — the caller itself when no flush is under way, else a thread of its own for everyone waiting — and
/// the callers that arrive while one does share the next flush: under load, one flush a round for many
/// commits rather than one each; alone, one flush — as many as <c>FULL</c> made.
/// </summary>
/// <remarks>
/// The log is opened for each flush (SQLite may delete it when its last connection closes and create it again), and
/// fsync reaches the file's data whichever descriptor wrote it. A log that does not exist holds nothing: SQLite
/// checkpointed every frame into the database file and flushed that file first (with <c>NORMAL</c>, a checkpoint
/// flushes the log before it copies and the database after). SQLite takes no lock on the log itself (its locks are
/// on the database and the <c>-shm</c> index), so opening and closing it here releases none of SQLite's locks.
/// A commit is visible to other connections from its commit and durable from the flush that follows; every path that
/// acts on it outside the database (the answer, the push, the outbox relay's publish) waits for the flush.
/// </remarks>
internal sealed class SqliteWalFlush
{
    /// <summary>A flushing thread with nothing to do ends after this long (a test process opens many databases).</summary>
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private readonly Action _flush;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A flush is under way (a caller's or the thread's): callers now wait for the next round.</summary>
    private bool _flushing;

    /// <summary>Callers wait on <see cref="_next"/>.</summary>
    private bool _pending;

    private bool _threadRunning;

    /// <summary>The flusher of the log at <paramref name="logPath"/> (the database file's path and <c>-wal</c>).</summary>
    public SqliteWalFlush(string logPath)
        : this(() => Flush(logPath))
    {
    }

    /// <summary>With another flush (a specification's, which watches the rounds).</summary>
    internal SqliteWalFlush(Action flush) => _flush = flush;

    /// <summary>
    /// Completes once a flush of the log that began after this call is done. With no flush under way the caller flushes
    /// on its own thread and returns a completed task (alone, a write costs what <c>FULL</c> cost: one flush, no thread
    /// hop); during one it waits for the next round, which a thread of its own runs for everyone waiting.
    /// </summary>
    public Task FlushedAsync()
    {
        lock (_gate)
        {
            if (_flushing)
            {
                _pending = true;
                return _next.Task;
            }

            _flushing = true;
        }

        Exception? failure = null;
        try
        {
            _flush();
        }
        catch (Exception e)
        {
            failure = e;
        }

        lock (_gate)
        {
            _flushing = false;
            if (_pending)
            {
                StartRound();
            }
        }

        return failure is null ? Task.CompletedTask : Task.FromException(failure);
    }

    /// <summary>Under the gate: the thread runs the next round for the callers waiting.</summary>
    private void StartRound()
    {
        _flushing = true;
        if (_threadRunning)
        {
            Monitor.Pulse(_gate);
        }
        else
        {
            // A thread of its own, not the thread pool's: under load a flush queued behind the pool's work items kept
            // every writer waiting for a thread rather than for the disk.
            _threadRunning = true;
            new Thread(FlushRounds) { IsBackground = true, Name = "whistle-sqlite-log-flush" }.Start();
        }
    }

    private void FlushRounds()
    {
        while (true)
        {
            TaskCompletionSource round;
            lock (_gate)
            {
                while (!_pending)
                {
                    if (!Monitor.Wait(_gate, IdleExit) && !_pending)
                    {
                        _threadRunning = false;
                        return;
                    }
                }

                // The callers so far share this round; those that come during its flush wait for the next.
                round = _next;
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _pending = false;
                _flushing = true;
            }

            try
            {
                _flush();
                round.SetResult();
            }
            catch (Exception e)
            {
                round.SetException(e);
            }

            lock (_gate)
            {
                if (!_pending)
                {
                    _flushing = false;
                }
            }
        }
    }

    private static void Flush(string logPath)
    {
        FileStream log;
        try
        {
            log = new FileStream(logPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        }
        catch (FileNotFoundException)
        {
            return;
        }

        using (log)
        {
            log.Flush(flushToDisk: true);
        }
    }
}
