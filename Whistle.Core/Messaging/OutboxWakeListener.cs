using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>
/// Wakes this process's outbox relay when another process commits outbox rows, where the database can say so
/// (PostgreSQL: one <c>LISTEN</c> connection per process on <see cref="Outbox.WakeChannel"/>; a transaction that writes an
/// outbox row sends <c>NOTIFY</c>, delivered when it commits, when its own process has no relay that can publish it —
/// <see cref="WhistleDatabase.WakeOtherProcesses"/>). A lost connection is opened again; the relay
/// also wakes after each reconnection, and its poll (<c>Whistle:Outbox:PollInterval</c>) stays as the fallback.
/// Elsewhere (SQLite, SQL Server) it ends at once and the relays poll.
/// </summary>
public sealed partial class OutboxWakeListener(SqlDialect dialect, WhistlePaths paths, OutboxSignal signal, ILogger<OutboxWakeListener> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        dialect.ListenForWakeUpsAsync(paths.ConnectionString, Outbox.WakeChannel, signal.Notify, e => ListenerLost(logger, e.Message), stoppingToken);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The outbox wake-up listener lost its database connection ({Reason}); it connects again, and the relay polls meanwhile.")]
    private static partial void ListenerLost(ILogger logger, string reason);
}
