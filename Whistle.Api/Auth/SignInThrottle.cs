using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Whistle.Api.Auth;

/// <summary>
/// Sign-in attempts per account name and client address per minute (the per-address limit is the rate-limiting
/// middleware's). Not per name alone: then anybody could keep an account from signing in by spending its allowance.
/// </summary>
public sealed class SignInThrottle(IOptions<AuthOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(
            key,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = options.Value.LoginAttemptsPerMinute, Window = TimeSpan.FromMinutes(1) }));

    public bool TryAcquire(string userName, string? remoteAddress)
    {
        using var lease = _limiter.AttemptAcquire($"{userName.ToUpperInvariant()}\n{remoteAddress ?? Accounts.UnknownAddress}");
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
