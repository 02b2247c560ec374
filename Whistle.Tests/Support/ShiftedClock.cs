namespace Whistle.Tests.Support;

/// <summary>
/// The real clock moved forward by the test: time keeps flowing (timers, rate limits and token buckets behave as in
/// production), and <see cref="Shift"/> jumps ahead — e.g. past a meeting's start, without waiting for it. Tokens are
/// issued and checked on the same clock, so a jump shorter than their lifetime keeps them valid.
/// </summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>Moves the clock forward (never back: the server's times only grow).</summary>
    public void Shift(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _offsetTicks, by.Ticks);
    }
}
