using Whistle.Core.Storage;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15, group commit on SQLite: a write commits without flushing the write-ahead log and then waits for one flush
/// that began after its commit; writers that wait together share the next flush. What decides durability is the order
/// of flushes and callers, watched here with a flush that waits for the specification's go-ahead (no clock, no sleeps).
/// </summary>
[TestFixture]
public sealed class When_SQLite_writers_share_a_flush_of_the_log
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>A flush that reports its start and waits until released; counts its rounds.</summary>
    private sealed class GatedFlush
    {
        private readonly SemaphoreSlim _started = new(0);
        private readonly SemaphoreSlim _release = new(0);
        private int _rounds;

        public int Rounds => Volatile.Read(ref _rounds);

        public Exception? FailNext { get; set; }

        public void Run()
        {
            Interlocked.Increment(ref _rounds);
            _started.Release();
            if (!_release.Wait(Bound))
            {
                throw new TimeoutException("the specification never released the flush");
            }

            if (FailNext is { } failure)
            {
                FailNext = null;
                throw failure;
            }
        }

        public async Task StartedAsync() => Assert.That(await _started.WaitAsync(Bound), Is.True, "a flush began");

        public void Release() => _release.Release();
    }

    [Test]
    public async Task Should_answer_a_writer_only_after_a_flush_that_began_after_it_called()
    {
        var flush = new GatedFlush();
        var log = new SqliteWalFlush(flush.Run);

        var first = Task.Run(log.FlushedAsync); // alone, it flushes on its own thread
        await flush.StartedAsync();
        var second = log.FlushedAsync(); // its commit came after the first flush began: that flush does not cover it
        flush.Release();

        await first.WaitAsync(Bound);
        await flush.StartedAsync();
        Assert.That(second.IsCompleted, Is.False, "the second writer waits for a flush that began after it called");
        flush.Release();
        await second.WaitAsync(Bound);
        Assert.That(flush.Rounds, Is.EqualTo(2));
    }

    [Test]
    public async Task Should_give_the_writers_that_wait_together_one_flush()
    {
        var flush = new GatedFlush();
        var log = new SqliteWalFlush(flush.Run);

        var first = Task.Run(log.FlushedAsync);
        await flush.StartedAsync();
        var waiting = Enumerable.Range(0, 20).Select(_ => log.FlushedAsync()).ToArray();
        flush.Release();
        await first.WaitAsync(Bound);
        await flush.StartedAsync();
        flush.Release();
        await Task.WhenAll(waiting).WaitAsync(Bound);

        Assert.That(flush.Rounds, Is.EqualTo(2), "twenty writers that waited during one flush shared the next");
    }

    [Test]
    public async Task Should_fail_the_writers_of_a_failed_flush_and_flush_again_for_the_next()
    {
        var flush = new GatedFlush { FailNext = new IOException("disk gone") };
        var log = new SqliteWalFlush(flush.Run);

        var failed = Task.Run(log.FlushedAsync);
        await flush.StartedAsync();
        flush.Release();
        Assert.That(async () => await failed.WaitAsync(Bound), Throws.TypeOf<IOException>(), "a writer is never told its commit is on disk when the flush failed");

        var next = Task.Run(log.FlushedAsync);
        await flush.StartedAsync();
        flush.Release();
        await next.WaitAsync(Bound);
        Assert.That(flush.Rounds, Is.EqualTo(2));
    }

    [Test]
    public void Should_flush_on_the_writers_own_thread_when_no_flush_is_under_way()
    {
        var rounds = 0;
        var log = new SqliteWalFlush(() => rounds++);

        var alone = log.FlushedAsync();

        Assert.That(alone.IsCompletedSuccessfully, Is.True, "a writer alone waits for no other thread: one flush, as FULL made");
        Assert.That(rounds, Is.EqualTo(1));
    }

    [Test]
    public async Task Should_flush_a_log_that_exists_and_pass_over_one_that_does_not()
    {
        var folder = Directory.CreateTempSubdirectory("whistle-log-flush-");
        try
        {
            var path = Path.Combine(folder.FullName, "whistle.db-wal");
            await new SqliteWalFlush(path).FlushedAsync().WaitAsync(Bound); // no log: every frame is in the database file

            await File.WriteAllBytesAsync(path, new byte[4096]);
            await new SqliteWalFlush(path).FlushedAsync().WaitAsync(Bound);
            Assert.That(new FileInfo(path).Length, Is.EqualTo(4096), "the flush writes nothing to the log");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
