using Dapper;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: SQLite has one writer. The writers of one process take their turn in the process, in order and awaiting
/// without a thread, instead of in SQLite's busy handler — which sleeps 1, 2, 5, 10 … ms between tries, leaves the lock
/// idle while writers sleep, holds a thread each, and does not heed a cancelled request. No clock decides anything here:
/// the writer that holds the turn waits for the specification's go-ahead.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class When_SQLite_writers_of_one_process_take_turns : StorageFixture
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Whistle:DataFolder"] = NewDataFolder(),
        ["Whistle:Demo:Enabled"] = "true",
    };

    /// <summary>A write that holds its transaction open until released (after writing a row of its own).</summary>
    private Task<int> HoldingWriteAsync(string key, TaskCompletionSource holding, Task release, CancellationToken ct = default) =>
        Database.WriteAsync(
            async unit =>
            {
                await InsertAsync(unit, key);
                holding.TrySetResult();
                await release;
                unit.Complete();
                return 1;
            },
            ct);

    /// <summary>A row of this specification's own, written in <paramref name="unit"/>.</summary>
    private static Task InsertAsync(UnitOfWork unit, string key) =>
        unit.Connection.ExecuteAsync(
            "INSERT INTO inbox (message_id, consumer, processed_at) VALUES (@Key, 'turns', @Now);",
            new { Key = key, Now = DateTimeOffset.UtcNow }, unit.Transaction);

    private Task<long> CountAsync(string prefix) =>
        Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE consumer = 'turns' AND message_id LIKE @Prefix", new { Prefix = prefix + "%" }), CancellationToken.None);

    [Test]
    public async Task Should_begin_the_next_write_only_after_the_one_before_it_ended()
    {
        var firstHolding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = HoldingWriteAsync("order-1", firstHolding, releaseFirst.Task);
        await firstHolding.Task.WaitAsync(Bound);

        var secondBegan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = Database.WriteAsync(
            async unit =>
            {
                secondBegan.TrySetResult();
                var seen = await unit.Connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE message_id = 'order-1';", transaction: unit.Transaction);
                unit.Complete();
                return seen;
            },
            CancellationToken.None);

        await Task.Yield();
        Assert.That(secondBegan.Task.IsCompleted, Is.False, "the second write waits for its turn");
        releaseFirst.SetResult();
        Assert.That(await first.WaitAsync(Bound), Is.EqualTo(1));
        Assert.That(await second.WaitAsync(Bound), Is.EqualTo(1), "and then sees the first one's row");
    }

    /// <summary>
    /// A request that is cancelled while it waits for the writer stops waiting at once: waiting in SQLite's busy handler
    /// it would have held a thread until the busy timeout (30 s), then been retried.
    /// </summary>
    [Test]
    public async Task Should_stop_waiting_for_its_turn_when_its_request_is_cancelled()
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldingWriteAsync("cancel-1", holding, release.Task);
        await holding.Task.WaitAsync(Bound);

        using var cancel = new CancellationTokenSource();
        var waiting = Database.WriteAsync(
            async unit =>
            {
                await InsertAsync(unit, "cancel-2");
                unit.Complete();
                return 1;
            },
            cancel.Token);
        await cancel.CancelAsync();

        var stopped = await Task.WhenAny(waiting, Task.Delay(Bound));
        Assert.That(stopped, Is.SameAs(waiting), "the cancelled writer stopped waiting while the other still held the writer");
        Assert.That(waiting.IsCanceled, Is.True);

        release.SetResult();
        await holder.WaitAsync(Bound);
        Assert.That(await CountAsync("cancel-"), Is.EqualTo(1), "the cancelled write wrote nothing; the holder's row stays");
    }

    /// <summary>A write asked for inside a write of the same process would wait for itself: it is refused at once.</summary>
    [Test]
    public async Task Should_refuse_a_write_asked_for_inside_a_write_instead_of_waiting_for_itself()
    {
        var nested = Database.WriteAsync(
            async unit =>
            {
                await Database.WriteAsync(inner => { inner.Complete(); return Task.FromResult(0); }, CancellationToken.None);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);

        var ended = await Task.WhenAny(nested, Task.Delay(Bound));
        Assert.That(ended, Is.SameAs(nested), "it did not wait for itself");
        Assert.That(async () => await nested, Throws.InvalidOperationException.With.Message.Contains("inside a write transaction"));

        // The turn was given back: the next write goes through.
        Assert.That(await Database.WriteAsync(unit => { unit.Complete(); return Task.FromResult(7); }, CancellationToken.None).WaitAsync(Bound), Is.EqualTo(7));
    }

    /// <summary>Many writers at once: each is written once, none refused as busy, in the order they asked for the writer.</summary>
    [Test]
    public async Task Should_let_many_writers_each_write_once_in_the_order_they_asked()
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = HoldingWriteAsync("many-000", holding, release.Task);
        await holding.Task.WaitAsync(Bound);

        var order = new List<int>();
        var writers = Enumerable.Range(1, 40).Select(i => Database.WriteAsync(
            async unit =>
            {
                lock (order) order.Add(i);
                await InsertAsync(unit, $"many-{i:D3}");
                unit.Complete();
                return i;
            },
            CancellationToken.None)).ToList();

        release.SetResult();
        await holder.WaitAsync(Bound);
        Assert.That(await Task.WhenAll(writers).WaitAsync(Bound), Is.EqualTo(Enumerable.Range(1, 40)));
        Assert.That(order, Is.EqualTo(Enumerable.Range(1, 40)), "each writer's turn came in the order it asked");
        Assert.That(await CountAsync("many-"), Is.EqualTo(41));
    }
}
