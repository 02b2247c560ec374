using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Whistle.Core.Hosting;

namespace Whistle.Core.Storage;

/// <summary>
/// What another process's commit can wake in this one: the <paramref name="Channel"/> its transaction names
/// (<see cref="SqlDialect.Wake"/>), what to call, and who that is (for the log).
/// </summary>
public sealed record WakeSubscription(string Channel, Action Wake, string Waiter);

/// <summary>
/// Wakes this process's background workers when another process commits work for them, where the database can say so
/// (PostgreSQL: one <c>LISTEN</c> connection per process for every <see cref="WakeSubscription"/> registered — the outbox
/// relay's <c>whistle_outbox</c>, in a dispatcher the notice sender's <c>whistle_notices</c>). A lost connection is opened
/// again; every worker is also woken after each (re)connection, for whatever was notified while nobody listened, and
/// their polls stay as the fallback. Elsewhere (SQLite, SQL Server) it ends at once and the workers poll.
/// </summary>
public sealed partial class WakeListener(SqlDialect dialect, WhistlePaths paths, IEnumerable<WakeSubscription> subscriptions, ILogger<WakeListener> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var channels = subscriptions
            .GroupBy(s => s.Channel, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (Action)Delegate.Combine([.. g.Select(s => s.Wake)])!, StringComparer.Ordinal);
        if (channels.Count == 0)
        {
            return Task.CompletedTask;
        }

        var waiters = string.Join(", ", subscriptions.Select(s => s.Waiter).Distinct());
        return dialect.ListenForWakeUpsAsync(paths.ConnectionString, channels, e => ListenerLost(logger, e.Message, waiters), stoppingToken);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The wake-up listener lost its database connection ({Reason}); it connects again, and {Waiters} poll meanwhile.")]
    private static partial void ListenerLost(ILogger logger, string reason, string waiters);
}
