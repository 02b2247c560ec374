using Microsoft.Extensions.DependencyInjection;
using Whistle.Core.Messaging;
using Whistle.Tests.Support;

namespace Whistle.Tests.Reliability;

/// <summary>
/// Issue 15: on SQLite a process runs two outbox relays (a relay mostly waits for the one writer and the log's flush;
/// the second one's work overlaps the first one's wait). Each has an id of its own and claims other streams, as the
/// relays of two processes do: every whistle's events still reach a listener once each and in their order.
/// </summary>
[NonParallelizable]
public sealed class When_one_process_runs_two_relays
{
    [Test]
    public async Task Should_carry_every_whistle_once_and_in_order()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        Assert.That(system.Apis[0].Services.GetRequiredService<OutboxRelay>().Relays, Is.EqualTo(2), "two relays by default on SQLite");

        using var supervisor = await system.SignInAsync("supervisor");
        await using var push = await system.ConnectAsync(supervisor);
        using var township = await system.SignInAsync("township.chengguan");
        var ids = (await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            township.RaiseAsync(WhistleClient.Raise($"两个中继 {i}", "street-vending", "routine"))))).Select(w => w.Str("id")).ToList();

        // Raised, then one dispatch event per duty: every whistle's events, each once, in the order of its sequences.
        foreach (var id in ids)
        {
            await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        }

        await push.WaitUntilAsync(received => ids.All(id => received.Count(e => e["whistleId"]?.GetValue<string>() == id) >= 2), TimeSpan.FromSeconds(60));
        await Task.Delay(300); // a duplicate would arrive right behind the original
        Assert.Multiple(() =>
        {
            foreach (var id in ids)
            {
                var sequences = push.ReceivedAbout(id).Select(e => e.Seq()).ToList();
                Assert.That(sequences, Is.Ordered.And.Unique, $"whistle {id}: once each, in order");
                Assert.That(sequences, Has.Count.GreaterThanOrEqualTo(2));
            }
        });
    }
}
