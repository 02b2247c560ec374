using Dapper;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: on SQLite the writes that wait for this process's writer turn share the transaction of the write before
/// them, each between a savepoint and its release, and one commit writes them all (committing was the largest part of a
/// turn). Each still returns only once that commit is done; a write that fails or does not complete undoes only its own
/// statements; a failure that ends the transaction itself has the others written again. No clock decides anything here:
/// the write that holds the turn waits for the specification's go-ahead.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class When_SQLite_writes_of_one_process_share_a_commit : StorageFixture
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Whistle:DataFolder"] = NewDataFolder(),
        ["Whistle:Demo:Enabled"] = "true",
    };

    // A database of the specification's own on the host's file: its writer turn, writes and commits are this
    // specification's alone (the host's background work writes through the host's).
    private WhistleDatabase _database = null!;

    private new WhistleDatabase Database => _database;

    [SetUp]
    public void OpenDatabase() => _database = new WhistleDatabase(base.Database.DataSource, SqliteDialect.Instance, new Whistle.Core.Messaging.OutboxSignal());

    [TearDown]
    public async Task CloseDatabase() => await _database.DisposeAsync();

    private static Task InsertAsync(UnitOfWork unit, string key) =>
        unit.Connection.ExecuteAsync(
            "INSERT INTO inbox (message_id, consumer, processed_at) VALUES (@Key, 'batch', @Now);",
            new { Key = key, Now = DateTimeOffset.UtcNow }, unit.Transaction);

    private Task<List<string>> KeysAsync(string prefix) =>
        Database.ReadAsync(
            async c => (await c.QueryAsync<string>("SELECT message_id FROM inbox WHERE consumer = 'batch' AND message_id LIKE @Prefix ORDER BY message_id", new { Prefix = prefix + "%" })).ToList(),
            CancellationToken.None);

    /// <summary>A write of one row that holds the writer's turn until released; <paramref name="attempts"/> counts its runs.</summary>
    private Task<int> HoldingWriteAsync(string key, TaskCompletionSource holding, Task release, Counter? attempts = null) =>
        Database.WriteAsync(
            async unit =>
            {
                attempts?.Increment();
                await InsertAsync(unit, key);
                holding.TrySetResult();
                await release;
                unit.Complete();
                return 1;
            },
            CancellationToken.None);

    private Task<int> RowWriteAsync(string key, int value = 1) =>
        Database.WriteAsync(
            async unit =>
            {
                await InsertAsync(unit, key);
                unit.Complete();
                return value;
            },
            CancellationToken.None);

    private sealed class Counter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Increment() => Interlocked.Increment(ref _count);
    }

    [Test]
    public async Task Should_commit_the_writes_that_waited_for_the_turn_together_and_return_each_after_that_commit()
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldingWriteAsync("share-0", holding, release.Task);
        await holding.Task.WaitAsync(Bound);
        var commitsBefore = Database.Commits;

        var writes = Enumerable.Range(1, 4).Select(i => RowWriteAsync($"share-{i}", i)).ToList();
        List<string>? committedWhenTheLastRan = null;
        writes.Add(Database.WriteAsync(
            async unit =>
            {
                committedWhenTheLastRan = await KeysAsync("share-");   // another connection: what is committed
                await InsertAsync(unit, "share-5");
                unit.Complete();
                return 5;
            },
            CancellationToken.None));
        Assert.That(Database.WritesWaiting, Is.EqualTo(5), "every write asked for the turn while the first held it");

        release.SetResult();
        Assert.That(await holder.WaitAsync(Bound), Is.EqualTo(1));
        Assert.That(await Task.WhenAll(writes).WaitAsync(Bound), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(committedWhenTheLastRan, Is.Empty, "the writes before the last were not committed yet when it ran: they share its transaction");
        Assert.That(Database.Commits - commitsBefore, Is.EqualTo(1), "one commit for the six");
        Assert.That(await KeysAsync("share-"), Is.EqualTo(Enumerable.Range(0, 6).Select(i => $"share-{i}")));
    }

    [Test]
    public async Task Should_commit_at_most_the_most_writes_a_commit_holds_at_once()
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldingWriteAsync("cap-00", holding, release.Task);
        await holding.Task.WaitAsync(Bound);
        var commitsBefore = Database.Commits;

        var count = WhistleDatabase.MaxWritesPerCommit + 3;
        var writes = Enumerable.Range(1, count).Select(i => RowWriteAsync($"cap-{i:D2}")).ToList();
        release.SetResult();
        await holder.WaitAsync(Bound);
        await Task.WhenAll(writes).WaitAsync(Bound);

        Assert.That(Database.Commits - commitsBefore, Is.EqualTo(2), $"{WhistleDatabase.MaxWritesPerCommit} in the first commit, the other {count + 1 - WhistleDatabase.MaxWritesPerCommit} in the next");
        Assert.That(await KeysAsync("cap-"), Has.Count.EqualTo(count + 1));
    }

    /// <summary>
    /// A write that fails undoes its own statements (its savepoint); the writes before it commit then, and the writer
    /// connection is closed (nothing a failed write left on it is carried into the next). A write that does not complete
    /// undoes its own and ends nothing.
    /// </summary>
    [Test]
    public async Task Should_undo_only_the_write_that_failed_or_did_not_complete()
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        System.Data.Common.DbConnection? before = null, after = null;
        var holder = Database.WriteAsync(
            async unit =>
            {
                before = unit.Connection;
                await InsertAsync(unit, "undo-0");
                holding.TrySetResult();
                await release.Task;
                unit.Complete();
                return 0;
            },
            CancellationToken.None);
        await holding.Task.WaitAsync(Bound);
        var commitsBefore = Database.Commits;

        var failing = Database.WriteAsync<int>(
            async unit =>
            {
                await InsertAsync(unit, "undo-1");
                throw new InvalidOperationException("refused after its insert");
            },
            CancellationToken.None);
        var incomplete = Database.WriteAsync(
            async unit =>
            {
                await InsertAsync(unit, "undo-2");
                return 2; // not completed: rolled back
            },
            CancellationToken.None);
        var last = Database.WriteAsync(
            async unit =>
            {
                after = unit.Connection;
                await InsertAsync(unit, "undo-3");
                unit.Complete();
                return 3;
            },
            CancellationToken.None);

        release.SetResult();
        Assert.That(async () => await failing.WaitAsync(Bound), Throws.InvalidOperationException.With.Message.EqualTo("refused after its insert"));
        Assert.That(await holder.WaitAsync(Bound), Is.EqualTo(0));
        Assert.That(await incomplete.WaitAsync(Bound), Is.EqualTo(2));
        Assert.That(await last.WaitAsync(Bound), Is.EqualTo(3));
        Assert.That(await KeysAsync("undo-"), Is.EqualTo(new[] { "undo-0", "undo-3" }));
        Assert.That(Database.Commits - commitsBefore, Is.EqualTo(2), "the write before the failed one committed with it; the two after it in the next commit");
        Assert.That(after, Is.Not.SameAs(before), "the writes after the failure run on another writer connection");
    }

    /// <summary>The events a write appended are reported (the metrics) only when it completed: one that did not rolled them back.</summary>
    [Test]
    public async Task Should_report_the_events_of_completed_writes_only()
    {
        var reported = new List<string?>();
        await using var database = new WhistleDatabase(base.Database.DataSource, SqliteDialect.Instance, new Whistle.Core.Messaging.OutboxSignal(), events =>
        {
            lock (reported) reported.AddRange(events.Select(e => e.Note));
        });
        var id = Guid.NewGuid().ToString();
        Contracts.WhistleEvent Event(string note) =>
            new(0, Contracts.WhistleEventTypes.WhistleRaised, id, null, DateTimeOffset.UtcNow, new("u", "n", "batch"), new(id, "t", "raised", "batch", "street-vending", "routine"), null, note);

        await database.WriteAsync(
            async unit =>
            {
                await Whistle.Core.Messaging.Timeline.AppendAsync(unit, Event("kept"), ["township:batch"], DateTimeOffset.UtcNow);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);
        await database.WriteAsync(
            async unit =>
            {
                await Whistle.Core.Messaging.Timeline.AppendAsync(unit, Event("undone"), ["township:batch"], DateTimeOffset.UtcNow);
                return 0; // not completed
            },
            CancellationToken.None);

        Assert.That(reported, Is.EqualTo(new[] { "kept" }));
    }

    /// <summary>
    /// A failure that ends the shared transaction itself (as SQLite does on a full disk or an I/O error) takes the writes
    /// before it with it: they are written again, and each returns once its row is committed.
    /// </summary>
    [Test]
    public async Task Should_write_again_the_writes_of_a_transaction_a_failure_ended()
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holderAttempts = new Counter();
        var holder = HoldingWriteAsync("ended-0", holding, release.Task, holderAttempts);
        await holding.Task.WaitAsync(Bound);

        var ending = Database.WriteAsync<int>(
            async unit =>
            {
                await InsertAsync(unit, "ended-1");
                await unit.Connection.ExecuteAsync("ROLLBACK;", transaction: unit.Transaction);   // the transaction is gone
                throw new IOException("the disk went away");
            },
            CancellationToken.None);
        var after = RowWriteAsync("ended-2", 2);

        release.SetResult();
        Assert.That(async () => await ending.WaitAsync(Bound), Throws.TypeOf<IOException>());
        Assert.That(await holder.WaitAsync(Bound), Is.EqualTo(1));
        Assert.That(await after.WaitAsync(Bound), Is.EqualTo(2));
        Assert.That(holderAttempts.Count, Is.EqualTo(2), "the first write ran again after its transaction was lost");
        Assert.That(await KeysAsync("ended-"), Is.EqualTo(new[] { "ended-0", "ended-2" }));
        Assert.That(await RowWriteAsync("ended-3", 3).WaitAsync(Bound), Is.EqualTo(3), "and the next write opens a writer connection again");
    }

    /// <summary>A write cancelled while it waits for its turn leaves no transaction open: the writes around it commit.</summary>
    [Test]
    public async Task Should_commit_the_batch_when_the_write_it_waited_for_was_cancelled()
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldingWriteAsync("cancelled-0", holding, release.Task);
        await holding.Task.WaitAsync(Bound);

        using var cancel = new CancellationTokenSource();
        var cancelled = Database.WriteAsync(
            async unit =>
            {
                await InsertAsync(unit, "cancelled-1");
                unit.Complete();
                return 1;
            },
            cancel.Token);
        await cancel.CancelAsync();
        Assert.That(async () => await cancelled.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>());

        release.SetResult();
        Assert.That(await holder.WaitAsync(Bound), Is.EqualTo(1));
        Assert.That(await KeysAsync("cancelled-"), Is.EqualTo(new[] { "cancelled-0" }));
        Assert.That(await RowWriteAsync("cancelled-2", 2).WaitAsync(Bound), Is.EqualTo(2));
        Assert.That(await KeysAsync("cancelled-"), Is.EqualTo(new[] { "cancelled-0", "cancelled-2" }));
    }
}
