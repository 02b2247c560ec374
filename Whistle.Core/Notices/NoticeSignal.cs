namespace Whistle.Core.Notices;

/// <summary>
/// Wakes this process's notice sender (where the dispatcher runs) when a transaction of this process queued deliveries
/// (<see cref="Storage.WhistleDatabase"/>, after commit) or another process's did (PostgreSQL: <c>NOTIFY</c> on
/// <see cref="NoticeStore.WakeChannel"/>). The sender polls as well.
/// </summary>
public sealed class NoticeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
