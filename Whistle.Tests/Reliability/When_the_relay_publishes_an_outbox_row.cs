using System.Collections.Concurrent;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Contracts;
using Whistle.Core.Messaging;
using Whistle.Tests.Support;

namespace Whistle.Tests.Reliability;

/// <summary>
/// Issue 15: an outbox row's body, the message's JSON as its transaction wrote it, is the message on the wire (raw
/// JSON, its id, type and send time in the transport's headers) — the relay does not serialize it again into
/// MassTransit's envelope, and consumers do not parse an envelope to reach it. Consumers still read envelopes (an
/// earlier release's relay), and <c>Whistle:Outbox:PublishEnvelope</c> keeps the relay on them for a rolling upgrade.
/// </summary>
[TestFixture("embedded")]
[TestFixture("distributed")]
[NonParallelizable]
public sealed class When_the_relay_publishes_an_outbox_row(string mode)
{
    [Test]
    public async Task Should_send_the_rows_stored_json_as_the_message_with_its_id_and_send_time_in_the_headers()
    {
        await using var system = await StartAsync(envelope: false);
        var (messages, before) = await RaiseAndConsumeAsync(system);

        foreach (var message in messages)
        {
            var row = await system.Database.ReadAsync(
                c => c.QuerySingleAsync<(string MessageType, string Body)>("SELECT message_type, body FROM outbox WHERE message_id = @Id", new { Id = message.MessageId.ToString() }),
                CancellationToken.None);
            Assert.Multiple(() =>
            {
                Assert.That(message.ContentType, Is.EqualTo("application/json"), $"{message.Type} travels as raw JSON, not in MassTransit's envelope");
                Assert.That(message.Type, Is.EqualTo(row.MessageType), "the message published under the row's type");
                Assert.That(message.Body, Is.EqualTo(row.Body), $"{message.Type} is the row's body, byte for byte");
                Assert.That(message.SentTime, Is.InRange(before.AddSeconds(-1), DateTime.UtcNow.AddSeconds(1)),
                    "the consumer's lag is measured from the relay's send time (its header), not from the message id");
            });
        }
    }

    [Test]
    public async Task Should_publish_and_read_MassTransits_envelope_while_a_rolling_upgrade_asks_for_it()
    {
        await using var system = await StartAsync(envelope: true);
        var (messages, before) = await RaiseAndConsumeAsync(system);

        Assert.Multiple(() =>
        {
            Assert.That(messages.Select(m => m.ContentType), Is.All.EqualTo("application/vnd.masstransit+json"), "an earlier release reads only envelopes");
            Assert.That(messages.Select(m => m.SentTime), Is.All.InRange(before.AddSeconds(-1), DateTime.UtcNow.AddSeconds(1)), "the envelope's send time");
        });
    }

    private readonly ConcurrentQueue<Consumed> _consumed = new();

    /// <summary>
    /// Raises a whistle and answers the raise's message and the dispatch's, as their consumers received them (the Api's
    /// push, the dispatcher), once the township's page got the dispatch; and the time just before the raise.
    /// </summary>
    private async Task<(List<Consumed> Messages, DateTime Before)> RaiseAndConsumeAsync(WhistleSystem system)
    {
        using var township = await system.SignInAsync("township.chengguan");
        await using var push = await system.ConnectAsync(township);
        var before = DateTime.UtcNow;
        var id = (await township.RaiseAsync()).Str("id");
        await push.WaitForAsync("AssignmentDispatched", id);
        return (await WaitForRaiseAndDispatchAsync(id), before);
    }

    private async Task<List<Consumed>> WaitForRaiseAndDispatchAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var mine = _consumed.Where(m => m.WhistleId == id).ToList();
            if (mine.Any(m => m.Type == nameof(WhistleRaised)) && mine.Any(m => m.Type != nameof(WhistleRaised)))
            {
                return mine;
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"the raise and the dispatch of {id} were consumed; seen: {string.Join(", ", mine.Select(m => m.Type))}");
            await Task.Delay(50);
        }
    }

    private async Task<WhistleSystem> StartAsync(bool envelope)
    {
        _consumed.Clear();
        var settings = new Dictionary<string, string?> { ["Whistle:Outbox:PublishEnvelope"] = envelope ? "true" : "false" };
        var system = mode == "embedded"
            ? await WhistleSystem.EmbeddedAsync(settings: settings)
            : await WhistleSystem.DistributedAsync(apis: 1, dispatchers: 1, settings: settings);
        foreach (var services in system.Apis.Select(a => a.Services).Concat(system.Dispatchers.Select(d => d.Services)))
        {
            services.GetRequiredService<IBus>().ConnectConsumeObserver(new Recorder(_consumed));
        }

        return system;
    }

    private sealed record Consumed(string Type, string? WhistleId, Guid MessageId, string ContentType, string Body, DateTime? SentTime);

    private sealed class Recorder(ConcurrentQueue<Consumed> consumed) : IConsumeObserver
    {
        public Task PreConsume<T>(ConsumeContext<T> context)
            where T : class
        {
            if (context.Message is WhistleRaised or WhistleEventRecorded or WhistleEventsRecorded)
            {
                consumed.Enqueue(new Consumed(
                    typeof(T).Name, Outbox.WhistleIdOf(context.Message), context.MessageId ?? Guid.Empty,
                    context.ReceiveContext.ContentType?.MediaType ?? "", context.ReceiveContext.Body.GetString(), OutboxWire.SentTime(context)));
            }

            return Task.CompletedTask;
        }

        public Task PostConsume<T>(ConsumeContext<T> context)
            where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;
    }
}
