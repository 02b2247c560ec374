using MassTransit;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Whistle.Contracts;
using Whistle.Core.Options;

namespace Whistle.Dispatcher.Notices;

/// <summary>
/// Removes what a release before the notice change of 2026-12-01 (commit 4544cdc) left on the broker (issue 15): its dispatchers bound the notice queue
/// (<c>whistle-notices</c>) to every push message, so each dispatch was delivered there as well as to the Apis. Now each
/// transaction queues its own notices, and the dispatcher unbinds the push messages' exchanges from the queue's once
/// its bus has started — unless <see cref="NoticeOptions.ConsumePushMessages"/> keeps them during a rolling upgrade.
/// What the queue still holds is consumed (<see cref="NoticeConsumer"/>). Removing a binding that is not there is
/// harmless: a fresh broker, or one already cleaned, is left as it is. RabbitMQ only; the broker not answering is
/// retried with back-off until it does.
/// </summary>
public sealed partial class EarlierNoticeBindings(
    IOptions<BusOptions> bus,
    IOptions<NoticeOptions> notices,
    IBus busInstance,
    ILogger<EarlierNoticeBindings> logger) : BackgroundService
{
    /// <summary>The notice consumer's endpoint: its queue and the exchange in front of it.</summary>
    public const string Endpoint = "whistle-notices";

    /// <summary>The push messages an earlier dispatcher bound to <see cref="Endpoint"/>.</summary>
    public IReadOnlyList<string> PushExchanges =>
    [
        busInstance.Topology.Message<WhistleEventRecorded>().EntityName,
        busInstance.Topology.Message<WhistleEventsRecorded>().EntityName,
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (bus.Value.Transport != BusTransport.RabbitMq || notices.Value.ConsumePushMessages)
        {
            return;
        }

        var factory = bus.Value.RabbitMq.ConnectionFactory("whistle-notice-bindings", TimeSpan.FromSeconds(5));
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(30),
                OnRetry = args =>
                {
                    LogRetrying(logger, args.Outcome.Exception, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        try
        {
            await pipeline.ExecuteAsync(
                async ct =>
                {
                    await using var connection = await factory.CreateConnectionAsync(ct);
                    foreach (var source in PushExchanges)
                    {
                        // A channel each: an exchange that does not exist (NOT_FOUND) closes the channel it was named on.
                        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
                        try
                        {
                            await channel.ExchangeUnbindAsync(Endpoint, source, string.Empty, cancellationToken: ct);
                        }
                        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == Constants.NotFound)
                        {
                            // No such exchange: nothing was ever bound from it (or to it).
                        }
                    }

                    await connection.CloseAsync(ct);
                },
                stoppingToken);
            LogRemoved(logger, Endpoint);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The push messages are not bound to queue {Queue}: each transaction queues its own notices (Whistle:Notices:ConsumePushMessages keeps them bound during a rolling upgrade from a release before the notice change of 2026-12-01, commit 4544cdc).")]
    private static partial void LogRemoved(ILogger logger, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the push messages' bindings to the notice queue yet; trying again in {Delay}.")]
    private static partial void LogRetrying(ILogger logger, Exception? exception, TimeSpan delay);
}
