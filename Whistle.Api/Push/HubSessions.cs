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
/// </summary>
public sealed class HubSessions(ActiveAccounts accounts, ILogger<HubSessions> logger)
{
    private sealed record Session(string UserName, string? Stamp, HubCallerContext Context);

    private readonly ConcurrentDictionary<string, Session> _open = new(StringComparer.Ordinal);

    public int Count => _open.Count;

    public void Opened(HubCallerContext context, string userName, string? stamp) => _open[context.ConnectionId] = new(userName, stamp, context);

    public void Closed(string connectionId) => _open.TryRemove(connectionId, out _);

    /// <summary>Checks every open connection's account now (one read per 500 accounts) and closes the stale ones. Returns how many it closed.</summary>
    public Task<int> SweepAsync(CancellationToken ct) => SweepAsync(_open.Values.ToList(), ct);

    /// <summary>Checks one account's connections now (after a change made on this instance).</summary>
    public Task<int> SweepAsync(string userName, CancellationToken ct) =>
        SweepAsync(_open.Values.Where(s => s.UserName == userName).ToList(), ct);

    private async Task<int> SweepAsync(IReadOnlyList<Session> sessions, CancellationToken ct)
    {
        if (sessions.Count == 0) return 0;
        var stamps = await accounts.RefreshAsync(sessions.Select(s => s.UserName).Distinct(StringComparer.Ordinal).ToList(), ct);
        var closed = 0;
        foreach (var session in sessions)
        {
            if (stamps.TryGetValue(session.UserName, out var stamp) && string.Equals(stamp, session.Stamp, StringComparison.Ordinal)) continue;
            logger.LogInformation("Closing hub connection {ConnectionId} of {UserName}: the account was disabled or changed.", session.Context.ConnectionId, session.UserName);
            _open.TryRemove(session.Context.ConnectionId, out _);
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
