using Whistle.Core.Hosting;
using Whistle.Core.Notices;
using Whistle.Core.Storage;

namespace Whistle.Dispatcher.Notices;

/// <summary>
/// Wakes this process's notice sender when another process commits a transaction that queued deliveries (PostgreSQL:
/// one <c>LISTEN</c> connection on <see cref="NoticeStore.WakeChannel"/>; the transaction sends <c>NOTIFY</c>, delivered
/// at commit — an Api's reassignment, 催办 or test notice). A lost connection is opened again; the sender also wakes after
/// each reconnection, and its poll (<c>Whistle:Notices:PollInterval</c>) stays as the fallback. Elsewhere (SQLite: one
/// process; SQL Server) it ends at once and the sender polls.
/// </summary>
public sealed partial class NoticeWakeListener(SqlDialect dialect, WhistlePaths paths, NoticeSignal signal, ILogger<NoticeWakeListener> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        dialect.ListenForWakeUpsAsync(paths.ConnectionString, NoticeStore.WakeChannel, signal.Wake, e => ListenerLost(logger, e.Message), stoppingToken);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The notice wake-up listener lost its database connection ({Reason}); it connects again, and the notice sender polls meanwhile.")]
    private static partial void ListenerLost(ILogger logger, string reason);
}
