namespace Whistle.Api.Push;

/// <summary>A token bucket for one hub connection's CatchUp calls: <c>burst</c> at once, refilled at <c>perMinute</c>.</summary>
public sealed class CatchUpBucket(int burst, int perMinute, TimeProvider time)
{
    private readonly Lock _lock = new();
    private double _tokens = burst;
    private DateTimeOffset _last = time.GetUtcNow();

    public bool TryTake()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (now > _last)
            {
                _tokens = Math.Min(burst, _tokens + (now - _last).TotalMinutes * perMinute);
                _last = now;
            }

            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }
}
