using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Options;
using Whistle.Contracts;
using Whistle.Core.Messaging;
using Whistle.Core.Notices;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Core.Telemetry;

namespace Whistle.Dispatcher.Notices;

/// <summary>
/// The notices of an earlier version's writers. Every transaction now queues the deliveries of the duties it records
/// itself (<see cref="NoticeStore.QueueAsync"/>, issue 15); a release before the notice change of 2026-12-01 (commit 4544cdc) left that to this consumer, which
/// received every push message on queue <c>whistle-notices</c>. It stays for a rolling upgrade and what that queue still
/// holds: it turns an assignment's new / reassigned / reminded / escalated event of an older writer into pending
/// deliveries, one per matching channel (the assignment's branch and its agency), and leaves a newer writer's message
/// (<see cref="WhistleEventRecorded.NoticesQueued"/>) unread. The queue is bound to the push messages only while
/// <see cref="NoticeOptions.ConsumePushMessages"/> says so (<see cref="EarlierNoticeBindings"/>). A competing consumer:
/// one dispatcher handles each message. Idempotent: a channel gets at most one delivery per event sequence (a conditional
/// insert, and the unique index), whoever queues it.
/// </summary>
public sealed partial class NoticeConsumer(
    WhistleDatabase database,
    TimeProvider time,
    WhistleMetrics metrics,
    ILogger<NoticeConsumer> logger) : IConsumer<WhistleEventRecorded>, IConsumer<WhistleEventsRecorded>
{
    public Task Consume(ConsumeContext<WhistleEventRecorded> context)
    {
        metrics.Consumed(nameof(NoticeConsumer), context, time.GetUtcNow());
        return context.Message.NoticesQueued ? Task.CompletedTask : QueueAsync([context.Message.Event], context.CancellationToken);
    }

    /// <summary>Several events of one whistle from one transaction (a dispatch of several duties): together, in order.</summary>
    public Task Consume(ConsumeContext<WhistleEventsRecorded> context)
    {
        metrics.Consumed(nameof(NoticeConsumer), context, time.GetUtcNow());
        return context.Message.NoticesQueued
            ? Task.CompletedTask
            : QueueAsync(context.Message.Events.Select(e => e.Event).ToList(), context.CancellationToken);
    }

    private async Task QueueAsync(IReadOnlyList<WhistleEvent> events, CancellationToken cancellationToken)
    {
        var duties = events
            .Where(NoticeVocabulary.MayNotify)
            .ToList();
        if (duties.Count == 0)
        {
            return;
        }

        var units = duties.Select(e => (e.Assignment!.AgencyCode, e.Assignment.BranchId)).ToList();
        // Most duties' units have no channel that wants their event: one read for all of a message's duties says so,
        // without a write transaction (issue 15). The transaction reads the channels again.
        var wanted = await database.ReadAsync(c => NoticeStore.ChannelsOfAsync(c, database.Dialect, units), cancellationToken);
        if (!duties.Any(e => wanted.Any(channel => NoticeStore.Wants(channel, e.Assignment!.AgencyCode, e.Assignment.BranchId, e.Type))))
        {
            return;
        }

        var added = await database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                var queued = new List<(WhistleEvent Event, int Count)>();
                var channels = await NoticeStore.ChannelsOfAsync(unit.Connection, unit.Dialect, units, unit.Transaction);
                foreach (var @event in duties)
                {
                    var json = JsonSerializer.Serialize(@event, MessageTypes.Json);
                    var count = 0;
                    foreach (var channel in channels.Where(c => NoticeStore.Wants(c, @event.Assignment!.AgencyCode, @event.Assignment.BranchId, @event.Type)))
                    {
                        if (await NoticeStore.AddDeliveryAsync(unit, channel.Id, @event.Sequence, @event.Type, json, now))
                        {
                            count++;
                        }
                    }

                    if (count > 0)
                    {
                        queued.Add((@event, count));
                    }
                }

                unit.Complete();
                return queued;
            },
            cancellationToken);
        // The commit woke the notice sender (WhistleDatabase).
        foreach (var (@event, count) in added)
        {
            using var scope = logger.BeginScope(WhistleTelemetry.Scope(@event.WhistleId, @event.Assignment!.Id));
            LogQueued(logger, count, @event.Type, @event.Sequence);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued {Count} notice(s) of {Type} (sequence {Sequence}) of an earlier version's writer.")]
    private static partial void LogQueued(ILogger logger, int count, string type, long sequence);
}

public sealed class NoticeConsumerDefinition : ConsumerDefinition<NoticeConsumer>
{
    public NoticeConsumerDefinition()
    {
        EndpointName = "whistle-notices";
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<NoticeConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Bound to the push messages only during a rolling upgrade from an earlier release (EarlierNoticeBindings):
        // otherwise every dispatch would be delivered here for nothing.
        endpointConfigurator.ConfigureConsumeTopology = context.GetRequiredService<IOptions<NoticeOptions>>().Value.ConsumePushMessages;

        // A concurrent duplicate may hit the unique index: the retry finds the row and inserts nothing.
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)));
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit
            && context.GetRequiredService<IOptions<BusOptions>>().Value.RabbitMq.QuorumQueues)
        {
            rabbit.SetQuorumQueue();
        }
    }
}
