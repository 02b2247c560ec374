using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Whistle.Api.Auth;

namespace Whistle.Api.Whistles;

/// <summary>
/// Whistles one account raises per minute (<c>Whistle:Auth:RaisesPerMinute</c>): one counter per account, shared by
/// <c>POST /api/whistles</c> (through the rate-limiting middleware's <see cref="WhistlesApi.RaiseRateLimit"/> policy)
/// and Open311's <c>POST requests</c> (raised as an API key's account, which only the handler knows).
/// </summary>
public sealed class RaiseThrottle(IOptions<AuthOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(account =>
        RateLimitPartition.GetFixedWindowLimiter(
            account,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = options.Value.RaisesPerMinute, Window = TimeSpan.FromMinutes(1) }));

    /// <summary>Takes one raise of <paramref name="account"/>'s minute; false when none is left.</summary>
    public bool TryAcquire(string account)
    {
        using var lease = _limiter.AttemptAcquire(account);
        return lease.IsAcquired;
    }

    /// <summary>The middleware's partition for <paramref name="account"/>: a view of this throttle's counter, owning nothing.</summary>
    public RateLimitPartition<string> Partition(string account) => RateLimitPartition.Get(account, key => new Lane(_limiter, key));

    public void Dispose() => _limiter.Dispose();

    private sealed class Lane(PartitionedRateLimiter<string> limiter, string key) : RateLimiter
    {
        // Never idle: the middleware keeps one small lane per account instead of disposing and re-creating it.
        public override TimeSpan? IdleDuration => null;

        public override RateLimiterStatistics? GetStatistics() => limiter.GetStatistics(key);

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => limiter.AttemptAcquire(key, permitCount);

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            limiter.AcquireAsync(key, permitCount, cancellationToken);
    }
}
