using RabbitMQ.Client;
using Whistle.Core.Options;

namespace Whistle.Dispatcher;

/// <summary>
/// Sends the messages that ended in a queue's error queue (<c>{queue}_error</c>, after MassTransit's
/// retries gave up) back to the queue, once the cause is fixed:
/// <c>dotnet Whistle.Dispatcher.dll requeue-errors [queue]</c> (default queue: <c>whistle-raised</c>).
/// Each message is republished with publisher confirms before it is acknowledged in the error queue,
/// so a crash in between leaves it in both places at worst (consumers are idempotent), never in neither.
/// </summary>
public static class ErrorQueueTool
{
    public const string Command = "requeue-errors";
    public const string DefaultQueue = "whistle-raised";

    public static async Task<int> RequeueAsync(RabbitMqOptions rabbit, string queue, TextWriter output, CancellationToken cancellationToken)
    {
        var factory = rabbit.ConnectionFactory("whistle-requeue-errors");
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);
        var errorQueue = $"{queue}_error";
        var moved = 0;
        while (await channel.BasicGetAsync(errorQueue, autoAck: false, cancellationToken) is { } message)
        {
            var properties = new BasicProperties(message.BasicProperties);
            if (properties.Headers is { } headers)
            {
                foreach (var key in headers.Keys.Where(k => k.StartsWith("MT-Fault", StringComparison.Ordinal) || k == "MT-Reason").ToList())
                {
                    headers.Remove(key);
                }
            }

            await channel.BasicPublishAsync(queue, string.Empty, mandatory: true, properties, message.Body, cancellationToken);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
            moved++;
        }

        await output.WriteLineAsync($"Moved {moved} message(s) from {errorQueue} back to {queue}.");
        return moved;
    }

    /// <summary>How many messages wait in a queue (an error queue, for operators and tests).</summary>
    public static async Task<uint> CountAsync(RabbitMqOptions rabbit, string queue, CancellationToken cancellationToken)
    {
        var factory = rabbit.ConnectionFactory("whistle-count-queue");
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // no such queue yet: nothing failed
        }
    }
}
