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
/// Turns an assignment's new / reassigned / reminded / escalated event into pending deliveries, one per matching
/// channel (the assignment's branch and its agency). A competing consumer: one dispatcher handles each message.
/// Idempotent: a channel gets at most one delivery per event sequence (a conditional insert, and the unique index).
/// </summary>
public sealed partial class NoticeConsumer(
    WhistleDatabase database,
    TimeProvider time,
    NoticeSignal signal,
    WhistleMetrics metrics,
    ILogger<NoticeConsumer> logger) : IConsumer<WhistleEventRecorded>, IConsumer<WhistleEventsRecorded>
{
    public Task Consume(ConsumeContext<WhistleEventRecorded> context)
    {
        metrics.Consumed(nameof(NoticeConsumer), context.SentTime, time.GetUtcNow());
        return QueueAsync(context.Message.Event, context.CancellationToken);
    }

    /// <summary>Several events of one whistle from one transaction (a dispatch of several duties): each in turn.</summary>
    public async Task Consume(ConsumeContext<WhistleEventsRecorded> context)
    {
        metrics.Consumed(nameof(NoticeConsumer), context.SentTime, time.GetUtcNow());
        foreach (var recorded in context.Message.Events)
        {
            await QueueAsync(recorded.Event, context.CancellationToken);
        }
    }

    private async Task QueueAsync(WhistleEvent @event, CancellationToken cancellationToken)
    {
        if (@event.Assignment is not { } assignment || @event.Sequence <= 0 || !NoticeVocabulary.Events.Contains(@event.Type))
        {
            return;
        }

        using var scope = logger.BeginScope(WhistleTelemetry.Scope(@event.WhistleId, assignment.Id));
        // Most duties' units have no channel that wants this event: one read says so, without a write transaction
        // (issue 15: two of them per whistle, for nothing, at every rate). The transaction reads the channels again.
        var wanted = await database.ReadAsync(c => NoticeStore.ChannelsOfAsync(c, assignment.AgencyCode, assignment.BranchId), cancellationToken);
        if (!wanted.Any(channel => channel.EventList.Contains(@event.Type)))
        {
            return;
        }

        var added = await database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                var count = 0;
                var json = JsonSerializer.Serialize(@event, MessageTypes.Json);
                foreach (var channel in await NoticeStore.ChannelsOfAsync(unit, assignment.AgencyCode, assignment.BranchId))
                {
                    if (channel.EventList.Contains(@event.Type)
                        && await NoticeStore.AddDeliveryAsync(unit, channel.Id, @event.Sequence, @event.Type, json, now))
                    {
                        count++;
                    }
                }

                unit.Complete();
                return count;
            },
            cancellationToken);
        if (added > 0)
        {
            LogQueued(logger, added, @event.Type, @event.Sequence);
            signal.Wake();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued {Count} notice(s) of {Type} (sequence {Sequence}).")]
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
        // A concurrent duplicate may hit the unique index: the retry finds the row and inserts nothing.
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)));
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit
            && context.GetRequiredService<IOptions<BusOptions>>().Value.RabbitMq.QuorumQueues)
        {
            rabbit.SetQuorumQueue();
        }
    }
}

/// <summary>Wakes the sender when deliveries were queued in this process (it polls as well).</summary>
public sealed class NoticeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
