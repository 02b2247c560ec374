using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using Whistle.Core.Options;

namespace Whistle.Core.Messaging;

/// <summary>
/// Holds the start of the bus (and so of the process's work) until RabbitMQ answers, retrying with
/// back-off for as long as it takes: a broker that is down at start-up makes the processes wait, not crash.
/// </summary>
public sealed partial class BrokerStartupGate(IOptions<BusOptions> options, ILogger<BrokerStartupGate> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var rabbit = options.Value.RabbitMq;
        var factory = rabbit.ConnectionFactory("whistle-startup-check", TimeSpan.FromSeconds(5));
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(10),
                OnRetry = args =>
                {
                    LogWaiting(logger, args.Outcome.Exception, rabbit.Host, rabbit.Port, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        await pipeline.ExecuteAsync(
            async ct =>
            {
                await using var connection = await factory.CreateConnectionAsync(ct);
                await connection.CloseAsync(ct);
            },
            cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ at {Host}:{Port} does not answer (attempt {Attempt}); waiting {Delay} before trying again.")]
    private static partial void LogWaiting(ILogger logger, Exception? exception, string host, int port, int attempt, TimeSpan delay);
}
