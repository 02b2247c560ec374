using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Contracts;
using Whistle.Core.Messaging;
using Whistle.Dispatcher.Notices;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Issue 15: a duty's notices are queued by the transaction that records the duty, as its outbox rows are — not by
/// the dispatcher's notice consumer, to which every dispatch was delivered (and which, in a benchmark, read the
/// channels of the units to find none). The notice sender is woken by the commit (in its process, and on PostgreSQL
/// from another's): the poll is set to ten minutes here, so every notice sent proves a wake-up. An earlier release's
/// push messages are still turned into notices while a rolling upgrade keeps the notice queue bound to them
/// (<c>Whistle:Notices:ConsumePushMessages</c>); otherwise the dispatcher removes those bindings.
/// </summary>
[TestFixture("embedded")]
[TestFixture("distributed")]
[NonParallelizable]
public sealed class When_a_duty_is_recorded_for_a_unit_with_a_notice_channel(string mode)
{
    private const string HookSecret = "hook-test-secret";
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Whistle:Notices:AllowedNetworks"] = "127.0.0.0/8",
        ["Whistle:Notices:PollInterval"] = "00:10:00",
    };

    private static readonly Dictionary<string, string?> EarlierRelease = new() { ["Whistle:Notices:ConsumePushMessages"] = "true" };

    private readonly ConcurrentQueue<string> _consumed = new();
    private MeterListener _listener = null!;
    private NoticeReceiver _receiver = null!;
    private WhistleSystem _system = null!;
    private WhistleClient _sysadmin = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        // Which consumers consumed a message (every consumer records its lag, by name).
        _listener = new MeterListener();
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Whistle" && instrument.Name == "whistle.consumer.lag")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags) if (tag.Key == "consumer") _consumed.Enqueue($"{tag.Value}");
        });
        _listener.Start();

        _receiver = await NoticeReceiver.StartAsync();
        _system = mode == "embedded"
            ? await WhistleSystem.EmbeddedAsync(settings: Settings)
            : await WhistleSystem.DistributedAsync(settings: Settings);
        _sysadmin = await _system.SignInAsync("sysadmin");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _sysadmin?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
        _listener?.Dispose();
    }

    private async Task ChannelAsync(string id, string branch, string path)
    {
        var (status, body, _) = await _sysadmin.SendAsync(HttpMethod.Put, $"/api/notice-channels/{id}", new
        {
            unitKind = "branch", unitId = branch, kind = "webhook", url = _receiver.Url(path), secret = HookSecret,
            events = new[] { "AssignmentDispatched", "AssignmentReminded" },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
    }

    private async Task<(string Id, string Duty)> RaiseAsync(string township, string title)
    {
        using var client = await _system.SignInAsync($"township.{township}");
        var id = (await client.RaiseAsync(WhistleClient.Raise(title, "street-vending", "urgent"))).Str("id");
        var whistle = await client.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        return (id, whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!.Str("id"));
    }

    private async Task<IReadOnlyList<long>> DeliveredSequencesAsync(string channel)
    {
        var (_, log, _) = await _sysadmin.GetAsync($"/api/notice-channels/{channel}/deliveries");
        return log!.AsArray().Select(d => d!["sequence"]!.GetValue<long>()).ToList();
    }

    [Test]
    public async Task Should_queue_its_notice_with_the_duty_and_send_it_without_the_dispatchers_notice_consumer()
    {
        await ChannelAsync("nq-dispatch", "urban-management.liuhe", "/nq-dispatch");
        _consumed.Clear();

        var (id, _) = await RaiseAsync("liuhe", $"通知随职责写入{Guid.NewGuid():N}"[..12]);
        var request = await _receiver.WaitForAsync("/nq-dispatch", id, succeeded: true);
        var sent = JsonSerializer.Deserialize<WhistleEvent>(request.Body, MessageTypes.Json)!;

        Assert.Multiple(() =>
        {
            Assert.That(sent.Type, Is.EqualTo("AssignmentDispatched"));
            Assert.That(_consumed, Does.Contain("WhistleRaisedConsumer"), "the dispatch was consumed (the listener hears the consumers)");
            Assert.That(_consumed, Does.Not.Contain(nameof(NoticeConsumer)), "no message was delivered to the notice consumer");
        });
    }

    [Test]
    public async Task Should_wake_the_sender_when_an_Api_records_the_duty()
    {
        await ChannelAsync("nq-urge", "urban-management.qingshi", "/nq-urge");
        var (id, duty) = await RaiseAsync("qingshi", $"催办通知唤醒{Guid.NewGuid():N}"[..12]);
        await _receiver.WaitForAsync("/nq-urge", id, succeeded: true);

        using var agency = await _system.SignInAsync("agency.urban-management");
        var (status, body, _) = await agency.PostAsync($"/api/assignments/{duty}/urge", new { note = "请半小时内到场" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());

        var urged = await _receiver.WaitForAsync("/nq-urge", "AssignmentReminded", succeeded: true);
        Assert.That(urged.Body, Does.Contain(id));
    }

    [Test]
    public async Task Should_still_queue_an_earlier_releases_duty_once_per_channel_while_the_queue_is_kept_bound()
    {
        if (mode == "distributed")
        {
            // The rolling upgrade: the dispatcher keeps the notice queue bound to the push messages.
            await _system.StopDispatcherAsync(_system.Dispatchers[0]);
            await _system.StartDispatcherAsync(EarlierRelease);
        }
        else
        {
            Assert.Ignore("The embedded way is one process: no earlier release's instance runs beside it.");
        }

        await ChannelAsync("nq-earlier", "urban-management.dongfeng", "/nq-earlier");
        var (id, _) = await RaiseAsync("dongfeng", $"旧版本通知{Guid.NewGuid():N}"[..12]);
        var first = await _receiver.WaitForAsync("/nq-earlier", id, succeeded: true);
        var dispatched = JsonSerializer.Deserialize<WhistleEvent>(first.Body, MessageTypes.Json)!;

        // An earlier release's writer: a reminder of the duty, whose transaction queued nothing, published twice; and
        // a newer writer's message, whose transaction queued its notices (none here), which the consumer leaves unread.
        var reminded = dispatched with { Sequence = dispatched.Sequence + 1_000_000, Type = "AssignmentReminded" };
        var newer = dispatched with { Sequence = dispatched.Sequence + 2_000_000, Type = "AssignmentReminded" };
        var bus = _system.Apis[0].Services.GetRequiredService<IBus>();
        await bus.Publish(new WhistleEventRecorded(reminded, []));
        await bus.Publish(new WhistleEventsRecorded([new WhistleEventRecorded(reminded, [])]));
        await bus.Publish(new WhistleEventRecorded(newer, []) { NoticesQueued = true });
        await SentAsync("/nq-earlier", reminded.Sequence);
        var marker = dispatched with { Sequence = dispatched.Sequence + 3_000_000, Type = "AssignmentReminded" };
        await bus.Publish(new WhistleEventRecorded(marker, []));
        await SentAsync("/nq-earlier", marker.Sequence);

        // The consumer takes one message at a time in queue order: by the marker's delivery the others were consumed.
        var sequences = await DeliveredSequencesAsync("nq-earlier");
        Assert.Multiple(() =>
        {
            Assert.That(sequences.Count(s => s == reminded.Sequence), Is.EqualTo(1), "once per channel, though consumed twice");
            Assert.That(sequences, Does.Not.Contain(newer.Sequence), "a newer writer's message is not read for notices");
            Assert.That(sequences.Count(s => s == dispatched.Sequence), Is.EqualTo(1), "the dispatch's own notice, queued by its transaction, not again");
        });
    }

    [Test]
    public async Task Should_remove_the_bindings_an_earlier_releases_dispatcher_left_and_keep_its_queue()
    {
        if (mode == "embedded")
        {
            Assert.Ignore("Bindings are RabbitMQ's: the embedded way has none to remove.");
        }

        var broker = _system.Broker!;
        await _system.StopDispatcherAsync(_system.Dispatchers[0]);
        var earlier = await _system.StartDispatcherAsync(EarlierRelease);
        Assert.That(PushBindings(broker), Has.Count.EqualTo(2), "an earlier release's dispatcher binds both push messages to the notice queue");

        await _system.StopDispatcherAsync(earlier);
        await _system.StartDispatcherAsync();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (PushBindings(broker).Count > 0 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Multiple(() =>
        {
            Assert.That(PushBindings(broker), Is.Empty, "this release's dispatcher removed them");
            Assert.That(broker.Bindings(), Does.Contain((EarlierNoticeBindings.Endpoint, EarlierNoticeBindings.Endpoint)), "the queue stays, bound to its own exchange, for what it still holds");
        });
    }

    [Test]
    public void Should_not_bind_the_notice_queue_to_the_push_messages()
    {
        if (mode == "embedded")
        {
            Assert.Ignore("Bindings are RabbitMQ's.");
        }

        Assert.That(PushBindings(_system.Broker!), Is.Empty);
    }

    /// <summary>Waits (30 s at most) for the receiver to take the notice of the event of <paramref name="sequence"/>.</summary>
    private async Task SentAsync(string path, long sequence)
    {
        for (var waited = 0; waited < 300; waited++)
        {
            if (_receiver.Requests.Any(r => r.Path == path && r.Answered == 200 && JsonSerializer.Deserialize<WhistleEvent>(r.Body, MessageTypes.Json)!.Sequence == sequence))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"No notice of sequence {sequence} arrived at {path}.");
    }

    /// <summary>The bindings of the push messages' exchanges to the notice endpoint's exchange.</summary>
    private static List<(string Source, string Destination)> PushBindings(RabbitBroker broker) =>
        broker.Bindings().Where(b => b.Destination == EarlierNoticeBindings.Endpoint && b.Source.Contains("WhistleEvent", StringComparison.Ordinal)).ToList();
}
