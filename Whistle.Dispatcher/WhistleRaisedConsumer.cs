using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Contracts;
using Whistle.Core.Options;
using Whistle.Core.Telemetry;
using Whistle.Core.Whistles;

namespace Whistle.Dispatcher;

/// <summary>
/// Routes a raised whistle to its branches through the whistle's owner (<see cref="WhistleStore.DispatchRaisedAsync"/>:
/// the assignments with their deadlines and an <c>AssignmentDispatched</c> event for each, in one transaction).
/// Idempotent twice over: the inbox remembers the message id, and only a whistle still <c>raised</c> is dispatched.
/// </summary>
public sealed partial class WhistleRaisedConsumer(
    WhistleStore whistles,
    TimeProvider time,
    WhistleMetrics metrics,
    ILogger<WhistleRaisedConsumer> logger) : IConsumer<WhistleRaised>
{
    public async Task Consume(ConsumeContext<WhistleRaised> context)
    {
        var message = context.Message;
        var messageId = context.MessageId ?? throw new InvalidOperationException("A WhistleRaised message arrived without a message id.");
        metrics.Consumed(nameof(WhistleRaisedConsumer), context, time.GetUtcNow());
        using var scope = logger.BeginScope(WhistleTelemetry.Scope(message.WhistleId));
        using var activity = WhistleTelemetry.Source.StartActivity("dispatch");
        activity?.SetTag(WhistleTelemetry.WhistleIdTag, message.WhistleId);
        var dispatched = await whistles.DispatchRaisedAsync(messageId, nameof(WhistleRaisedConsumer), message, context.CancellationToken);
        activity?.SetTag("whistle.assignments", dispatched);
        if (dispatched < 0)
        {
            LogDuplicate(logger, messageId, message.WhistleId);
        }
        else
        {
            LogDispatched(logger, message.WhistleId, dispatched);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Whistle {WhistleId} dispatched to {Count} units.")]
    private static partial void LogDispatched(ILogger logger, string whistleId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Message {MessageId} for whistle {WhistleId} was handled before; ignored.")]
    private static partial void LogDuplicate(ILogger logger, Guid messageId, string whistleId);
}

/// <summary>Retries for transient trouble; a message that keeps failing goes to the error queue.</summary>
public sealed class WhistleRaisedConsumerDefinition : ConsumerDefinition<WhistleRaisedConsumer>
{
    public WhistleRaisedConsumerDefinition()
    {
        // 32 dispatches at once an instance (issue 15): with 8, raised whistles queued in front of the dispatch on the
        // embedded way (p50 120-240 ms at 450/s) while the writer had room: SQLite's waiting writes share one commit, so
        // more of them waiting makes fewer commits. Each dispatch is one short transaction of its own whistle.
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WhistleRaisedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)));
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit
            && context.GetRequiredService<IOptions<BusOptions>>().Value.RabbitMq.QuorumQueues)
        {
            rabbit.SetQuorumQueue();
        }
    }
}
