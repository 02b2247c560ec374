using MassTransit;
using Microsoft.AspNetCore.SignalR;
using Whistle.Contracts;
using Whistle.Core.Telemetry;

namespace Whistle.Api.Push;

/// <summary>
/// Runs on an endpoint of this Api instance's own (a temporary queue), so every instance receives every
/// event and pushes it to the clients connected to it: no separate SignalR backplane is needed. A
/// <see cref="WhistleEventsRecorded"/> (several events of one whistle from one transaction) is pushed event by event, in order.
/// </summary>
public sealed partial class WhistleEventPushConsumer(
    IHubContext<WhistleHub, IWhistleClient> hub,
    PushDeduplicator deduplicator,
    WhistleMetrics metrics,
    TimeProvider time,
    ILogger<WhistleEventPushConsumer> logger) : IConsumer<WhistleEventRecorded>, IConsumer<WhistleEventsRecorded>
{
    public Task Consume(ConsumeContext<WhistleEventRecorded> context)
    {
        metrics.Consumed(nameof(WhistleEventPushConsumer), context.SentTime, time.GetUtcNow());
        return PushAsync(context.Message);
    }

    public async Task Consume(ConsumeContext<WhistleEventsRecorded> context)
    {
        metrics.Consumed(nameof(WhistleEventPushConsumer), context.SentTime, time.GetUtcNow());
        foreach (var recorded in context.Message.Events)
        {
            await PushAsync(recorded);
        }
    }

    private async Task PushAsync(WhistleEventRecorded message)
    {
        using var scope = logger.BeginScope(WhistleTelemetry.Scope(message.Event.WhistleId));
        using var activity = WhistleTelemetry.Source.StartActivity($"push {message.Event.Type}");
        activity?.SetTag(WhistleTelemetry.WhistleIdTag, message.Event.WhistleId);
        activity?.SetTag("whistle.sequence", message.Event.Sequence);
        // A redelivered message (relay crash between publish and mark-sent) is pushed once per instance.
        if (!deduplicator.FirstTime(message.Event.Sequence))
        {
            activity?.SetTag("whistle.duplicate", true);
            return;
        }

        await hub.Clients.Groups(message.Audience).whistleEvent(message.Event);
        metrics.Pushed(message.Event.Type);
        LogPushed(logger, message.Event.Type, message.Event.Sequence, message.Audience.Count);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pushed {Type} #{Sequence} to {Groups} groups.")]
    private static partial void LogPushed(ILogger logger, string type, long sequence, int groups);
}

/// <summary>Remembers the most recent sequences this instance pushed.</summary>
public sealed class PushDeduplicator
{
    private const int Capacity = 50_000;
    private readonly HashSet<long> _seen = [];
    private readonly Queue<long> _order = new();
    private readonly Lock _lock = new();

    public bool FirstTime(long sequence)
    {
        lock (_lock)
        {
            if (!_seen.Add(sequence))
            {
                return false;
            }

            _order.Enqueue(sequence);
            if (_order.Count > Capacity)
            {
                _seen.Remove(_order.Dequeue());
            }

            return true;
        }
    }
}
