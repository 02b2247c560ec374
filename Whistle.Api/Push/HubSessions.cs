using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Whistle.Api.Auth;

namespace Whistle.Api.Push;

/// <summary>
/// The hub connections open on this instance, with the account and security stamp of the token each opened with.
/// A connection whose account was disabled or changed (its stamp is no longer the account's) is closed: on this
/// instance at once when the change was made here, and on every instance by <see cref="HubSessionSweeper"/> within
/// <see cref="AuthOptions.AccountCheckInterval"/>. (A connection whose token expires is closed by SignalR itself:
/// <c>CloseOnAuthenticationExpiration</c>.)
/// A session also holds what the hub keeps per connection (the role it counts the connection under, the catch-up
/// bucket): here rather than in <c>Context.Items</c>, whose dictionary, made on first use, cost an idle connection
/// ~0.6 KB (docs/benchmarks/2026-12-03-memory.md).
/// </summary>
public sealed class HubSessions(ActiveAccounts accounts, ILogger<HubSessions> logger)
{
    /// <summary>One open connection. <see cref="Closing"/>: a sweep has aborted it; it stays until the hub's <c>OnDisconnectedAsync</c>.</summary>
    public sealed record Session(string UserName, string? Stamp, string Role, CatchUpBucket Bucket, HubCallerContext Context)
    {
        public bool Closing { get; set; }
    }

    private readonly ConcurrentDictionary<string, Session> _open = new(StringComparer.Ordinal);

    public int Count => _open.Count;

    public void Opened(HubCallerContext context, string userName, string? stamp, string role, CatchUpBucket bucket) =>
        _open[context.ConnectionId] = new(userName, stamp, role, bucket, context);

    /// <summary>The open connection's session; null once it has closed.</summary>
    public Session? Find(string connectionId) => _open.TryGetValue(connectionId, out var session) ? session : null;

    /// <summary>Forgets the connection; returns its session (null if it never opened, or was already closed).</summary>
    public Session? Closed(string connectionId) => _open.TryRemove(connectionId, out var session) ? session : null;

    /// <summary>Checks every open connection's account now (one read per 500 accounts) and closes the stale ones. Returns how many it closed.</summary>
    public Task<int> SweepAsync(CancellationToken ct) => SweepAsync(_open.Values.Where(s => !s.Closing).ToList(), ct);

    /// <summary>Checks one account's connections now (after a change made on this instance).</summary>
    public Task<int> SweepAsync(string userName, CancellationToken ct) =>
        SweepAsync(_open.Values.Where(s => !s.Closing && s.UserName == userName).ToList(), ct);

    private async Task<int> SweepAsync(IReadOnlyList<Session> sessions, CancellationToken ct)
    {
        if (sessions.Count == 0) return 0;
        var stamps = await accounts.RefreshAsync(sessions.Select(s => s.UserName).Distinct(StringComparer.Ordinal).ToList(), ct);
        var closed = 0;
        foreach (var session in sessions)
        {
            if (stamps.TryGetValue(session.UserName, out var stamp) && string.Equals(stamp, session.Stamp, StringComparison.Ordinal)) continue;
            logger.LogInformation("Closing hub connection {ConnectionId} of {UserName}: the account was disabled or changed.", session.Context.ConnectionId, session.UserName);
            // Kept until OnDisconnectedAsync (which counts it out under its role); not checked again meanwhile.
            session.Closing = true;
            session.Context.Abort();
            closed++;
        }

        return closed;
    }
}

/// <summary>Sweeps this instance's hub connections once per <see cref="AuthOptions.AccountCheckInterval"/> (at least a second apart).</summary>
public sealed class HubSessionSweeper(HubSessions sessions, IOptions<AuthOptions> options, TimeProvider time, ILogger<HubSessionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.Value.AccountCheckInterval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : options.Value.AccountCheckInterval;
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await sessions.SweepAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "The sweep of hub connections failed; the next one tries again.");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
