using Whistle.Core.Messaging;

namespace Whistle.Tests.Unit;

/// <summary>
/// Issue 15: a process may run several outbox relays (<c>Whistle:Outbox:Relays</c>, two on SQLite). One commit's wake-up
/// reaches every relay, each once; wake-ups that come while a relay is busy wake it once more afterwards.
/// </summary>
[TestFixture]
public sealed class When_the_outbox_signal_wakes_relays
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    [Test]
    public async Task Should_wake_every_relay_once_for_one_commit()
    {
        var signal = new OutboxSignal();
        var lanes = Enumerable.Range(0, OutboxSignal.MaxLanes).Select(lane => signal.WaitAsync(lane, Long, TimeProvider.System, CancellationToken.None)).ToList();
        Assert.That(lanes.Any(l => l.IsCompleted), Is.False, "nobody is woken before a commit");

        signal.Notify();
        await Task.WhenAll(lanes).WaitAsync(TimeSpan.FromSeconds(10));

        // The wake-up was taken by each lane: the next wait is for the next commit.
        var again = signal.WaitAsync(0, Long, TimeProvider.System, CancellationToken.None);
        await Task.Yield();
        Assert.That(again.IsCompleted, Is.False);
        signal.Notify();
        await again.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task Should_keep_one_wake_up_for_a_relay_that_was_busy_when_commits_came()
    {
        var signal = new OutboxSignal();
        signal.Notify();
        signal.Notify();
        signal.Notify();

        await signal.WaitAsync(1, Long, TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var next = signal.WaitAsync(1, Long, TimeProvider.System, CancellationToken.None);
        await Task.Yield();
        Assert.That(next.IsCompleted, Is.False, "three commits while busy are one more look, not three");
        signal.Notify();
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
