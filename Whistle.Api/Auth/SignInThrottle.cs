using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Whistle.Api.Auth;

/// <summary>Sign-in attempts per account name per minute (the per-address limit is the rate-limiting middleware's).</summary>
public sealed class SignInThrottle(IOptions<AuthOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(name =>
        RateLimitPartition.GetFixedWindowLimiter(
            name.ToUpperInvariant(),
            _ => new FixedWindowRateLimiterOptions { PermitLimit = options.Value.LoginAttemptsPerMinute, Window = TimeSpan.FromMinutes(1) }));

    public bool TryAcquire(string userName)
    {
        using var lease = _limiter.AttemptAcquire(userName);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
