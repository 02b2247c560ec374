using System.Text.Json;
using Dapper;
using Whistle.Api.Auth;
using Whistle.Contracts;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Notices;
using Whistle.Core.Storage;
using Whistle.Dispatcher.Notices;

namespace Whistle.Api.Notices;

/// <summary>
/// "Send a test notice" (issue 13): queues one delivery of a <see cref="NoticeVocabulary.TestEvent"/> on the channel,
/// which the notice sender (where the dispatcher runs) sends like any other — decrypted, its address checked again when it
/// connects, no redirect, no proxy — and tries once; its outcome is in the channel's delivery log. On the audit trail.
/// </summary>
public sealed class NoticeTestCommand(WhistleDatabase database, CountyCatalogHolder county, TimeProvider time, IServiceProvider services)
{
    public enum Outcome
    {
        Queued,
        NoSuchChannel,
        AlreadyPending,
    }

    /// <summary>One test at a time per channel: a chat group is not flooded by an impatient finger.</summary>
    private const string PendingTestSql = "SELECT COUNT(*) FROM notice_deliveries WHERE channel_id = @ChannelId AND event_type = @TestEvent AND status = 'pending';";

    public async Task<Outcome> QueueAsync(CurrentUser user, string channelId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var outcome = await database.WriteAsync(
            async unit =>
            {
                var channel = await NoticeStore.GetChannelAsync(unit.Connection, channelId, unit.Transaction);
                if (channel is null) return Outcome.NoSuchChannel;
                if (await unit.Connection.ExecuteScalarAsync<int>(PendingTestSql, new { ChannelId = channel.Id, TestEvent = NoticeVocabulary.TestEvent }, unit.Transaction) > 0)
                {
                    return Outcome.AlreadyPending;
                }

                var catalog = county.Catalog;
                var unitName = channel.UnitKind == NoticeVocabulary.Branch
                    ? catalog.FindBranch(channel.UnitId)?.Name ?? channel.UnitId
                    : catalog.FindAgency(channel.UnitId)?.Name ?? channel.UnitId;
                // No timeline event stands behind a test: a negative sequence, unique per channel, newest the lowest.
                var sequence = -now.ToUnixTimeMilliseconds();
                var @event = new WhistleEvent(sequence, NoticeVocabulary.TestEvent, "", null, now, user.Actor, null, null, $"{catalog.County.Name}吹哨报到系统发往「{unitName}」的通知渠道");
                var queued = await NoticeStore.AddDeliveryAsync(unit, channel.Id, sequence, NoticeVocabulary.TestEvent, JsonSerializer.Serialize(@event, MessageTypes.Json), now);
                if (!queued) return Outcome.AlreadyPending; // a test of the same millisecond
                await AuditTrail.WriteAsync(unit, user.Audit, "notice-channel", channel.Id, "test-sent", null, new { Sequence = sequence }, now);
                unit.Complete();
                return Outcome.Queued;
            },
            ct);
        // The in-process sender (the embedded way) starts at once; a dispatcher elsewhere within Whistle:Notices:PollInterval.
        if (outcome == Outcome.Queued) services.GetService<NoticeSignal>()?.Wake();
        return outcome;
    }
}
