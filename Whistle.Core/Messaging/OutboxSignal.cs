using System.Threading.Channels;

namespace Whistle.Core.Messaging;

/// <summary>
/// Wakes the outbox relay's loops the moment a transaction that wrote outbox rows commits: every loop (a lane each)
/// is woken by one notification, and notifications that come while a loop is busy wake it once more afterwards.
/// </summary>
public sealed class OutboxSignal
{
    /// <summary>The most relay loops one process runs (<see cref="Options.OutboxOptions.Relays"/>).</summary>
    public const int MaxLanes = 8;

    private readonly Channel<bool>[] _lanes = Enumerable.Range(0, MaxLanes)
        .Select(_ => Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true }))
        .ToArray();

    public void Notify()
    {
        foreach (var lane in _lanes)
        {
            lane.Writer.TryWrite(true);
        }
    }

    /// <summary>Waits for a wake-up or the fallback poll interval, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan pollInterval, TimeProvider time, CancellationToken cancellationToken) =>
        WaitAsync(0, pollInterval, time, cancellationToken);

    /// <summary>Waits on <paramref name="lane"/> (0 to <see cref="MaxLanes"/> − 1) for a wake-up or the fallback poll interval.</summary>
    public async Task WaitAsync(int lane, TimeSpan pollInterval, TimeProvider time, CancellationToken cancellationToken)
    {
        var reader = _lanes[lane].Reader;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(pollInterval);
        try
        {
            await reader.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval passed without a wake-up.
        }

        reader.TryRead(out _);
    }
}
