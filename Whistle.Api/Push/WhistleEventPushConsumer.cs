using System.Diagnostics;
using System.Threading.Channels;
using MassTransit;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Whistle.Api.Hosting;
using Whistle.Contracts;
using Whistle.Core.Telemetry;

namespace Whistle.Api.Push;

/// <summary>
/// Runs on an endpoint of this Api instance's own (a queue per instance), so every instance receives every
/// event and pushes it to the clients connected to it: no separate SignalR backplane is needed. The endpoint is
/// consumed one message at a time, in queue order, and each message is handed to its whistle's
/// <see cref="PushLanes">lane</see>: one whistle's events are pushed in the order the relay published them, while
/// another whistle's do not wait behind them. A <see cref="WhistleEventsRecorded"/> (several events of one whistle
/// from one transaction) is pushed event by event, in order, and so are the events a <see cref="WhistleRaised"/> carries
/// (the raise's own entries: issue 15, one message a raise for the dispatcher and the push alike).
/// </summary>
public sealed class WhistleEventPushConsumer(PushLanes lanes, PushDeduplicator deduplicator, WhistleMetrics metrics, TimeProvider time)
    : IConsumer<WhistleEventRecorded>, IConsumer<WhistleEventsRecorded>, IConsumer<WhistleRaised>
{
    public Task Consume(ConsumeContext<WhistleEventRecorded> context)
    {
        metrics.Consumed(nameof(WhistleEventPushConsumer), context, time.GetUtcNow());
        var recorded = context.Message;
        // A redelivered message (relay crash between publish and mark-sent) is pushed once per instance.
        return deduplicator.FirstTime(recorded.Event.Sequence)
            ? lanes.EnqueueAsync(recorded.Event.WhistleId, [recorded], context.CancellationToken).AsTask()
            : Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<WhistleEventsRecorded> context)
    {
        metrics.Consumed(nameof(WhistleEventPushConsumer), context, time.GetUtcNow());
        return PushAsync(context.Message.Events, context.CancellationToken);
    }

    /// <summary>A raise: the events it carries (none from an earlier version, whose raise had its own push message).</summary>
    public Task Consume(ConsumeContext<WhistleRaised> context)
    {
        metrics.Consumed(nameof(WhistleEventPushConsumer), context, time.GetUtcNow());
        return context.Message.Events is { Count: > 0 } events ? PushAsync(events, context.CancellationToken) : Task.CompletedTask;
    }

    private Task PushAsync(IReadOnlyList<WhistleEventRecorded> events, CancellationToken cancellationToken)
    {
        var fresh = events.Where(e => deduplicator.FirstTime(e.Event.Sequence)).ToList();
        return fresh.Count == 0 ? Task.CompletedTask : lanes.EnqueueAsync(fresh[0].Event.WhistleId, fresh, cancellationToken).AsTask();
    }
}

/// <summary>
/// This instance's push lanes (<c>Whistle:Api:PushLanes</c>): a whistle's events always go to the same lane, which
/// pushes them one after another in the order they were handed in; the lanes push side by side. Before (one push at a
/// time for the whole instance) a push that took long (a slow connection) held back every later event of any whistle;
/// now only the whistles of its lane (issue 15; not a speed-up under load, where whistles waited in front of the
/// dispatch: docs/benchmarks/2026-11-30-compiled.md). A lane holds a bounded number of messages; when it is full, the
/// consumer waits, and the queue's prefetch holds the rest.
/// Events of different whistles may pass one another; the client orders by sequence (PRODUCT.md §5,
/// docs/RELIABILITY.md). What is in a lane when the instance stops is not pushed: the instance's connections close
/// with it and their clients catch up where they reconnect.
/// </summary>
public sealed partial class PushLanes : BackgroundService
{
    private const int Capacity = 256;

    private readonly Channel<Item>[] _lanes;
    private readonly IHubContext<WhistleHub, IWhistleClient> _hub;
    private readonly WhistleMetrics _metrics;
    private readonly ILogger<PushLanes> _logger;

    public PushLanes(IHubContext<WhistleHub, IWhistleClient> hub, WhistleMetrics metrics, IOptions<ApiOptions> options, ILogger<PushLanes> logger)
    {
        _hub = hub;
        _metrics = metrics;
        _logger = logger;
        _lanes = Enumerable.Range(0, options.Value.PushLanes)
            .Select(_ => Channel.CreateBounded<Item>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait }))
            .ToArray();
    }

    /// <summary>The lane of <paramref name="whistleId"/> (a meeting's events carry the meeting's id): the same one for as long as this instance runs.</summary>
    public int LaneOf(string whistleId) => (int)((uint)string.GetHashCode(whistleId, StringComparison.Ordinal) % (uint)_lanes.Length);

    /// <summary>
    /// Hands events of one whistle, in sequence order, to its lane. One caller at a time (the push endpoint consumes
    /// one message at a time): the order of the calls is the order of the pushes within a lane.
    /// </summary>
    public ValueTask EnqueueAsync(string whistleId, IReadOnlyList<WhistleEventRecorded> events, CancellationToken cancellationToken) =>
        _lanes[LaneOf(whistleId)].Writer.WriteAsync(new Item(events, Activity.Current?.Context ?? default), cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_lanes.Select(lane => Task.Run(() => RunAsync(lane.Reader, stoppingToken), CancellationToken.None)));

    private async Task RunAsync(ChannelReader<Item> reader, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var item in reader.ReadAllAsync(stoppingToken))
            {
                foreach (var recorded in item.Events)
                {
                    await PushAsync(recorded, item.Parent);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PushAsync(WhistleEventRecorded message, ActivityContext parent)
    {
        using var scope = _logger.BeginScope(WhistleTelemetry.Scope(message.Event.WhistleId));
        using var activity = WhistleTelemetry.Source.StartActivity($"push {message.Event.Type}", ActivityKind.Internal, parent);
        activity?.SetTag(WhistleTelemetry.WhistleIdTag, message.Event.WhistleId);
        activity?.SetTag("whistle.sequence", message.Event.Sequence);
        try
        {
            await _hub.Clients.Groups(message.Audience).whistleEvent(message.Event);
            _metrics.Pushed(message.Event.Type);
            LogPushed(_logger, message.Event.Type, message.Event.Sequence, message.Audience.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The clients catch up what a failed push did not bring them; the lane goes on with the next event.
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            LogPushFailed(_logger, e, message.Event.Type, message.Event.Sequence);
        }
    }

    private readonly record struct Item(IReadOnlyList<WhistleEventRecorded> Events, ActivityContext Parent);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pushed {Type} #{Sequence} to {Groups} groups.")]
    private static partial void LogPushed(ILogger logger, string type, long sequence, int groups);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pushing {Type} #{Sequence} failed; its clients catch it up.")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, string type, long sequence);
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
