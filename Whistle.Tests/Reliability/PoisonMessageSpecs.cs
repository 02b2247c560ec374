using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Contracts;
using Whistle.Core.Options;
using Whistle.Dispatcher;
using Whistle.Tests.Support;

namespace Whistle.Tests.Reliability;

/// <summary>A message that keeps failing goes to the error queue after limited retries, and back once fixed.</summary>
[NonParallelizable]
public sealed class When_a_message_cannot_be_handled
{
    [Test]
    public async Task Should_park_it_in_the_error_queue_and_send_it_back_with_the_operator_command()
    {
        await using var system = await WhistleSystem.DistributedAsync();
        var rabbit = new RabbitMqOptions { Host = "127.0.0.1", Port = system.Broker!.Port, VirtualHost = system.Broker.VirtualHost };
        var whistleId = Guid.CreateVersion7().ToString();
        var now = DateTimeOffset.UtcNow;

        // A whistle the database does not know: the dispatcher cannot route it, however often it tries.
        await system.Apis[0].Services.GetRequiredService<IBus>().Publish(new WhistleRaised(whistleId, "chengguan", "street-vending", "routine", [], now));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await ErrorQueueTool.CountAsync(rabbit, "whistle-raised_error", CancellationToken.None) == 0)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the poison message never reached the error queue");
            await Task.Delay(250);
        }

        Assert.That(await ErrorQueueTool.CountAsync(rabbit, "whistle-raised_error", CancellationToken.None), Is.EqualTo(1));

        // The operator fixes the cause (here: the missing row), then sends the message back.
        await system.Database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(
                    """
                    INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, status, raised_by_user, raised_by_name, raised_at, updated_at, version)
                    VALUES (@Id, 'chengguan', 'street-vending', 'routine', '补录哨单', '', '人民路', 'raised', 'township.chengguan', '城关街道 值班员', @Now, @Now, 0)
                    """,
                    new { Id = whistleId, Now = now },
                    unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);
        using var output = new StringWriter();
        var moved = await ErrorQueueTool.RequeueAsync(rabbit, "whistle-raised", output, CancellationToken.None);
        Assert.That(moved, Is.EqualTo(1), output.ToString());

        using var township = await system.SignInAsync("township.chengguan");
        var dispatched = await township.WaitForWhistleAsync(whistleId, w => w.Str("status") == "dispatched", TimeSpan.FromSeconds(60));
        Assert.That(dispatched["assignments"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(await ErrorQueueTool.CountAsync(rabbit, "whistle-raised_error", CancellationToken.None), Is.Zero);
    }
}
