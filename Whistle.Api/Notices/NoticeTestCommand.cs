using Whistle.Core.Domain;
using Whistle.Core.Notices;
using Whistle.Dispatcher.Notices;

namespace Whistle.Api.Notices;

/// <summary>
/// "Send a test notice" (issue 13): the channel's owner queues it (<see cref="NoticeStore.QueueTestAsync"/>); a sender in
/// this process (the embedded way) is woken to send it at once, one elsewhere finds it within <c>Whistle:Notices:PollInterval</c>.
/// </summary>
public sealed class NoticeTestCommand(NoticeStore notices, IServiceProvider services)
{
    public async Task<NoticeStore.TestOutcome> QueueAsync(Caller caller, string channelId, CancellationToken ct)
    {
        var outcome = await notices.QueueTestAsync(caller, channelId, ct);
        if (outcome == NoticeStore.TestOutcome.Queued) services.GetService<NoticeSignal>()?.Wake();
        return outcome;
    }
}
