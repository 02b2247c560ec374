using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Whistle.Contracts;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Operations;
using Whistle.Tests.Support;

namespace Whistle.Tests.Reliability;

/// <summary>
/// Issue 11, ordering races: an Api instance pushes each whistle's events to its clients in the order the relay
/// published them, even when pushing some of them takes longer (MassTransit's default would consume the push queue
/// concurrently, and a slow push would be overtaken by later ones). Issue 15: one whistle's slow push does not hold
/// back another whistle's (the instance pushes in lanes, a whistle always in the same one).
/// </summary>
[TestFixture("embedded")]
[TestFixture("distributed")]
[NonParallelizable]
public sealed class When_pushing_some_events_takes_longer(string mode)
{
    [Test]
    public async Task Should_push_each_whistles_events_to_a_connection_in_sequence_order()
    {
        var hub = new SlowHub();
        await using var system = await StartAsync(hub);
        using var supervisor = await system.SignInAsync("supervisor");
        await using var push = await system.ConnectAsync(supervisor);
        var bus = system.Apis[0].Services.GetRequiredService<IBus>();
        // Every fourth event is slow to consume and every third slow to push (a slow consumer step, a busy
        // connection): consumed or pushed concurrently, the ones after it would overtake it.
        using var slow = bus.ConnectConsumeObserver(new SlowConsume(e => e.Sequence % 4 == 1, TimeSpan.FromMilliseconds(80)));
        hub.Delay = e => e.Sequence % 3 == 0 ? Task.Delay(50) : Task.CompletedTask;

        var first = 1_000_000_000L + Random.Shared.Next(1_000_000) * 100L;
        var sequences = Enumerable.Range(0, 48).Select(i => first + i).ToList();
        // Six whistles, their events interleaved as the relay publishes different whistles' streams.
        string WhistleOf(long sequence) => $"w-order-{first}-{(sequence - first) % 6}";
        foreach (var sequence in sequences)
        {
            // One publish after the other, each confirmed, as the relay publishes the outbox.
            await bus.Publish(new WhistleEventRecorded(Event(sequence, WhistleOf(sequence)), [AudienceGroups.County]));
        }

        await push.WaitUntilAsync(received => sequences.All(s => received.Any(e => e.Seq() == s)), TimeSpan.FromSeconds(60));
        var received = push.Received.Where(e => sequences.Contains(e.Seq())).ToList();
        Assert.That(received.Select(e => e.Seq()).Distinct().Count(), Is.EqualTo(received.Count), "each event pushed once");
        foreach (var whistle in sequences.Select(WhistleOf).Distinct())
        {
            var order = received.Where(e => (string?)e["whistleId"] == whistle).Select(e => e.Seq()).ToList();
            Assert.That(order, Is.EqualTo(sequences.Where(s => WhistleOf(s) == whistle)), $"{whistle}'s events reach the connection in the order they were published");
        }
    }

    [Test]
    public async Task Should_not_hold_one_whistles_push_behind_another_whistles_slow_one()
    {
        var hub = new SlowHub();
        await using var system = await StartAsync(hub);
        using var supervisor = await system.SignInAsync("supervisor");
        await using var push = await system.ConnectAsync(supervisor);
        var api = system.Apis[0].Services;
        var bus = api.GetRequiredService<IBus>();
        var lanes = api.GetRequiredService<Whistle.Api.Push.PushLanes>();
        var first = 2_000_000_000L + Random.Shared.Next(1_000_000) * 100L;
        var stuck = $"w-stuck-{first}";
        // Another whistle in another lane (the lane of an id is fixed while the instance runs).
        var other = Enumerable.Range(0, 100).Select(i => $"w-other-{first}-{i}").First(id => lanes.LaneOf(id) != lanes.LaneOf(stuck));
        var othersArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The stuck whistle's push waits until the other whistle's events have reached the client (at most 30 s):
        // pushed one after the other for the whole instance, they never would.
        hub.Delay = e => e.WhistleId == stuck ? othersArrived.Task.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }) : Task.CompletedTask;

        await bus.Publish(new WhistleEventRecorded(Event(first, stuck), [AudienceGroups.County]));
        var others = Enumerable.Range(1, 5).Select(i => first + i).ToList();
        foreach (var sequence in others)
        {
            await bus.Publish(new WhistleEventRecorded(Event(sequence, other), [AudienceGroups.County]));
        }

        try
        {
            await push.WaitUntilAsync(received => others.All(s => received.Any(e => e.Seq() == s)), TimeSpan.FromSeconds(20));
        }
        finally
        {
            othersArrived.TrySetResult();
        }

        Assert.That(push.Received.Select(e => e.Seq()), Does.Not.Contain(first), "the other whistle's events arrived while the stuck whistle's push still waited");
        await push.WaitUntilAsync(received => received.Any(e => e.Seq() == first), TimeSpan.FromSeconds(20));
    }

    private async Task<WhistleSystem> StartAsync(SlowHub hub)
    {
        void Services(IServiceCollection services) => hub.Install(services);
        return mode == "embedded" ? await WhistleSystem.EmbeddedAsync(Services) : await WhistleSystem.DistributedAsync(apis: 1, dispatchers: 0, services: Services);
    }

    private static WhistleEvent Event(long sequence, string whistleId) => new(
        sequence, WhistleEventTypes.WhistleRaised, whistleId, null, DateTimeOffset.UtcNow,
        new EventActor("township.chengguan", "城关镇", "chengguan"),
        new WhistleSummary(whistleId, "顺序", "raised", "chengguan", "street-vending", "routine"), null, null);

    private sealed class SlowConsume(Func<WhistleEvent, bool> slow, TimeSpan delay) : IConsumeObserver
    {
        public async Task PreConsume<T>(ConsumeContext<T> context)
            where T : class
        {
            if (context.Message is WhistleEventRecorded recorded && slow(recorded.Event))
            {
                await Task.Delay(delay);
            }
        }

        public Task PostConsume<T>(ConsumeContext<T> context)
            where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;
    }
}

/// <summary>
/// Issue 11: only one Api's link to the broker hangs (its TCP connection stalls: no reset, no error). Its relay
/// must let go of the outbox stream at once, so that another instance's relay carries it, and its readiness
/// must say that it cannot publish.
/// </summary>
[NonParallelizable]
public sealed class When_one_Api_cannot_reach_the_broker
{
    [Test]
    [CancelAfter(240_000)]
    public async Task Should_let_another_relay_take_over_the_stream_and_report_it_in_readiness()
    {
        var broker = RabbitBroker.RequireRunning();
        await using var proxy = new TcpProxy(broker.Port);
        var folder = TestSettings.NewDataFolder();
        try
        {
            Dictionary<string, string?> Settings(int port)
            {
                var settings = TestSettings.Distributed(folder, broker);
                settings["Whistle:Bus:RabbitMq:Port"] = port.ToString(CultureInfo.InvariantCulture);
                // A claim that expires only after a minute: the takeover below cannot be the claim expiring.
                settings["Whistle:Outbox:ClaimTimeout"] = "00:01:00";
                settings["Whistle:Outbox:PublishTimeout"] = "00:00:02";
                settings["Whistle:Health:Details"] = "true"; // the test reads the relay check's description
                return settings;
            }

            var stalledLogs = new Security.CapturingLoggerProvider();
            var healthyLogs = new Security.CapturingLoggerProvider();
            await using var stalled = await ApiHost.StartAsync(Settings(proxy.Port), logs: stalledLogs);
            await using var healthy = await ApiHost.StartAsync(Settings(broker.Port), logs: healthyLogs);
            var database = stalled.Services.GetRequiredService<WhistleDatabase>();
            string Logs()
            {
                var rows = database.ReadAsync(
                    c => c.QueryAsync<(long, string, string?, string?, long)>("SELECT id, message_type, sent_at, locked_by, attempts FROM outbox ORDER BY id DESC LIMIT 6"),
                    CancellationToken.None).GetAwaiter().GetResult();
                return $"stalled Api:\n{Relevant(stalledLogs.Text)}\nother Api:\n{Relevant(healthyLogs.Text)}\noutbox (newest first): {string.Join("; ", rows)}";
            }

            await using var dispatcher = await DispatcherHost.StartAsync(Settings(broker.Port));
            await Probe.WaitForAsync(stalled.BaseAddress, "/health/ready", "Healthy");
            await Probe.WaitForAsync(healthy.BaseAddress, "/health/ready", "Healthy");
            using var township = await WhistleClient.SignInAsync(stalled.BaseAddress, "township.chengguan");
            using var branch = await WhistleClient.SignInAsync(healthy.BaseAddress, "branch.urban-management.chengguan");
            await using var branchPush = await PushClient.ConnectAsync(healthy.BaseAddress, branch.Token);

            proxy.Stall();
            // Whistles raised through the stalled Api: its relay, woken first after the commit, claims the first one;
            // its publish hangs. Each must be dispatched (through the other relays) long before that claim would expire.
            var started = DateTime.UtcNow;
            for (var i = 0; i < 3; i++)
            {
                var id = (await township.RaiseAsync(WhistleClient.Raise($"断链 {i}", "street-vending", "routine"))).Str("id");
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while ((await township.GetAsync($"/api/whistles/{id}")).Body!.Str("status") != "dispatched")
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        Assert.Fail($"whistle {i} was not dispatched in 20 s while one Api's broker link hung\n{Logs()}");
                    }

                    await Task.Delay(100);
                }

                await branchPush.WaitForAsync("AssignmentDispatched", id, TimeSpan.FromSeconds(20));
            }

            TestContext.Out.WriteLine($"three whistles dispatched and pushed through the other instances in {(DateTime.UtcNow - started).TotalSeconds:0.0} s while one Api's broker link hung (claim timeout: 60 s)");
            var (status, ready) = await Probe.WaitForAsync(stalled.BaseAddress, "/health/ready", "Unhealthy", TimeSpan.FromSeconds(15));
            var (healthyStatus, _) = await Probe.GetAsync(healthy.BaseAddress, "/health/ready");
            Assert.Multiple(() =>
            {
                Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
                Assert.That(ready.Check("relay"), Is.EqualTo("Unhealthy"), ready.ToJsonString());
                Assert.That(ready["checks"]!["relay"]!.Str("description"), Does.Contain("cannot publish"));
                Assert.That(healthyStatus, Is.EqualTo(HttpStatusCode.OK));
            });

            proxy.Resume();
            var (_, recovered) = await Probe.WaitForAsync(stalled.BaseAddress, "/health/ready", "Healthy", TimeSpan.FromSeconds(90));
            Assert.That(recovered.Check("relay"), Is.EqualTo("Healthy"));
        }
        finally
        {
            broker.Delete();
        }
    }

    private static string Relevant(string logs)
    {
        var lines = logs.Split('\n').Where(l => l.StartsWith("Whistle.", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal)).ToList();
        return string.Join('\n', lines.TakeLast(40));
    }
}

/// <summary>
/// Issue 11: two relays share the outbox while the broker is slow. A relay's claim must not expire under a
/// batch it is still publishing (it renews it), a relay that lost its claim must stop publishing that batch,
/// and a relay whose publish failed must let go of its claim at once. Time is a fake clock that the slow
/// "broker" (a publish observer) moves on; the second relay tries to claim while the first one publishes.
/// </summary>
[NonParallelizable]
public sealed class When_two_relays_share_the_outbox_and_the_broker_is_slow
{
    private IHost _host = null!;
    private FakeTimeProvider _time = null!;

    private WhistleDatabase Database => _host.Services.GetRequiredService<WhistleDatabase>();

    private OutboxOptions Options => _host.Services.GetRequiredService<IOptions<OutboxOptions>>().Value;

    [SetUp]
    public async Task StartStorage()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Whistle:DataFolder"] = TestSettings.NewDataFolder(),
            // The outbox holds only this spec's rows: no demo county data (its closed period's forms are outbox rows too).
            ["Whistle:Demo:Enabled"] = "false",
            ["Whistle:Outbox:BatchSize"] = "10",
            ["Whistle:Outbox:ClaimTimeout"] = "00:00:15",
            ["Whistle:Outbox:PublishTimeout"] = "00:00:05",
        });
        builder.Logging.ClearProviders();
        builder.AddWhistleCore();
        _host = builder.Build();
        await _host.StartAsync();
        _time = new FakeTimeProvider(DateTimeOffset.UtcNow);
    }

    [TearDown]
    public async Task StopStorage()
    {
        await _host.StopAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Test]
    public async Task Should_never_let_two_relays_publish_the_same_row_while_one_holds_it()
    {
        var ids = await AddRowsAsync(10);
        await using var b = await Relay.StartAsync(this);
        // Each publish of relay A takes four seconds of the broker's time; meanwhile relay B tries to claim.
        await using var a = await Relay.StartAsync(this, async () =>
        {
            _time.Advance(TimeSpan.FromSeconds(4));
            await b.RelayBatchAsync(Options);
        });

        await a.RelayBatchAsync(Options);
        Assert.Multiple(() =>
        {
            Assert.That(a.Published, Is.EqualTo(ids), "A published its whole batch, in order, over 40 s of a 15 s claim");
            Assert.That(b.Published, Is.Empty, "B never got a row that A held");
        });
        Assert.That(await UnsentAsync(), Is.Zero);
    }

    [Test]
    public async Task Should_stop_publishing_a_batch_whose_claim_was_lost()
    {
        var ids = await AddRowsAsync(10);
        await using var b = await Relay.StartAsync(this);
        var publishes = 0;
        // A's third publish hangs past its claim (a broker that swallowed the confirm): B claims the rows and publishes them.
        await using var a = await Relay.StartAsync(this, async () =>
        {
            if (++publishes == 3)
            {
                _time.Advance(TimeSpan.FromSeconds(20));
                await b.RelayBatchAsync(Options);
            }
        });

        await a.RelayBatchAsync(Options);
        Assert.Multiple(() =>
        {
            Assert.That(b.Published, Is.EqualTo(ids), "B took over the expired claim and published the batch");
            Assert.That(a.Published, Is.EqualTo(ids.Take(3)), "A stopped at the first row after it lost its claim");
        });
    }

    [Test]
    public async Task Should_let_go_of_the_claim_at_once_when_a_publish_fails()
    {
        var ids = await AddRowsAsync(10);
        await using var b = await Relay.StartAsync(this);
        var publishes = 0;
        await using var a = await Relay.StartAsync(this, () =>
            ++publishes == 3 ? throw new TimeoutException("The broker did not confirm the publish.") : Task.CompletedTask);

        Assert.That(async () => await a.RelayBatchAsync(Options), Throws.InstanceOf<TimeoutException>());
        // No time passes: A's claim would still be live for 15 s, had A not released it.
        await b.RelayBatchAsync(Options);
        Assert.Multiple(() =>
        {
            Assert.That(a.Published, Is.EqualTo(ids.Take(2)));
            Assert.That(b.Published, Is.EqualTo(ids.Skip(2)), "B carries on from the row A could not publish, without waiting for A's claim to expire");
        });
    }

    [Test]
    public async Task Should_not_need_the_writer_to_find_that_nothing_is_left_to_claim()
    {
        // Issue 15: most claims find nothing (every commit wakes every relay). A's live claim holds every row; while
        // another writer holds the database, B must come back empty without waiting for that writer.
        await AddRowsAsync(10);
        var now = _time.GetUtcNow();
        Assert.That(await Outbox.ClaimAsync(Database, "relay-a", now, now.AddSeconds(15), 100, 64, knownClaimable: false, CancellationToken.None), Has.Count.EqualTo(10));
        await using var writer = await Database.OpenAsync(CancellationToken.None);
        // BEGIN IMMEDIATE: this connection is the writer until it rolls back.
        await using var held = ((Microsoft.Data.Sqlite.SqliteConnection)writer).BeginTransaction(deferred: false);
        var claim = Outbox.ClaimAsync(Database, "relay-b", now, now.AddSeconds(15), 100, 64, knownClaimable: false, CancellationToken.None);
        // Held until B answers, or for 5 s at most (then B, had it waited for the writer, would claim after the release).
        await Task.WhenAny(claim, Task.Delay(TimeSpan.FromSeconds(5)));
        var answeredWhileHeld = claim.IsCompleted;
        await held.RollbackAsync();
        var b = await claim;
        Assert.Multiple(() =>
        {
            Assert.That(answeredWhileHeld, Is.True, "B answered while another writer held the database");
            Assert.That(b, Is.Empty, "nothing is free: A holds every row");
        });
    }

    [Test]
    public async Task Should_learn_at_the_end_of_a_batch_whether_rows_are_left_to_claim()
    {
        // Issue 15: a relay claims again after every batch (rows committed meanwhile, here or by a process whose relay found
        // this one's claim live, are not left to the poll); its finish answers in the same round trip whether any is left,
        // so that the claim after it needs no read of its own, and a relay with nothing left goes back to waiting.
        await AddRowsAsync(3);
        var now = _time.GetUtcNow();
        var first = await Outbox.ClaimAsync(Database, "relay-a", now, now.AddSeconds(15), 100, 64, knownClaimable: false, CancellationToken.None);
        await AddRowsAsync(2); // committed while A holds the stream
        var left = await Outbox.FinishAsync(Database, "relay-a", first.Select(r => r.Id).ToList(), now);
        var second = await Outbox.ClaimAsync(Database, "relay-a", now, now.AddSeconds(15), 100, 64, knownClaimable: left, CancellationToken.None);
        var none = await Outbox.FinishAsync(Database, "relay-a", second.Select(r => r.Id).ToList(), now);
        Assert.Multiple(async () =>
        {
            Assert.That(first, Has.Count.EqualTo(3));
            Assert.That(left, Is.True, "the rows committed during the batch are left to claim");
            Assert.That(second.Select(r => r.Id).ToList(), Is.Ordered.And.Count.EqualTo(2), "and the next claim takes them");
            Assert.That(none, Is.False, "nothing is left after the second batch");
            Assert.That(await UnsentAsync(), Is.Zero);
        });
    }

    [Test]
    public async Task Should_let_a_second_relay_carry_the_streams_the_first_does_not_hold()
    {
        // Issue 15: rows of twelve whistles, three rows each, in commit order; A claims a batch of ten.
        var whistles = Enumerable.Range(0, 12).Select(i => $"w-{i}").ToList();
        // Shuffled, but the same shuffle every run (a failure can be replayed).
        var shuffle = new Random(15);
        await AddWhistleRowsAsync(whistles.SelectMany(w => new[] { w, w, w }).OrderBy(_ => shuffle.Next()).ToList());
        var now = _time.GetUtcNow();
        var a = await Outbox.ClaimAsync(Database, "relay-a", now, now.AddSeconds(15), 10, 64, knownClaimable: false, CancellationToken.None);
        // A relay configured with another number of streams (a rolling change of the setting) never takes a whistle A holds
        // either — it claims before B, with a small batch, so that it takes something and B must keep clear of it too.
        var c = await Outbox.ClaimAsync(Database, "relay-c", now, now.AddSeconds(15), 5, 5, knownClaimable: false, CancellationToken.None);
        var b = await Outbox.ClaimAsync(Database, "relay-b", now, now.AddSeconds(15), 100, 64, knownClaimable: false, CancellationToken.None);
        var all = await Database.ReadAsync(c2 => c2.QueryAsync<(long Id, long StreamKey)>("SELECT id, stream_key FROM outbox ORDER BY id"), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(a, Has.Count.EqualTo(10), "A took a batch");
            Assert.That(b, Is.Not.Empty, "B carries other streams while A holds its claim");
            Assert.That(c, Is.Not.Empty, "C carries streams of its own count while A holds its claim");
            Assert.That(a.Select(r => r.StreamKey % 64).Intersect(b.Select(r => r.StreamKey % 64)), Is.Empty, "no stream is claimed by both");
            Assert.That(a.Select(r => r.StreamKey).Intersect(c.Select(r => r.StreamKey)), Is.Empty, "nor a whistle, whatever the other relay's number of streams");
            Assert.That(b.Select(r => r.StreamKey).Intersect(c.Select(r => r.StreamKey)), Is.Empty);
            foreach (var claim in new[] { a, b, c })
            {
                // Within each stream a relay takes a prefix: the oldest unsent rows of that stream, none skipped.
                foreach (var stream in claim.GroupBy(r => r.StreamKey))
                {
                    var ofKey = all.Where(r => r.StreamKey == stream.Key).Select(r => r.Id).ToList();
                    Assert.That(stream.Select(r => r.Id), Is.EqualTo(ofKey.Take(stream.Count())), $"the oldest rows of key {stream.Key}, in order");
                }
            }
        });
    }

    [Test]
    public void Should_put_every_row_of_a_whistle_in_one_stream()
    {
        var key = Outbox.StreamKeyOf("0193a5f2-7c1e-7a4b-9f00-000000000001");
        Assert.Multiple(() =>
        {
            Assert.That(Outbox.StreamKeyOf("0193a5f2-7c1e-7a4b-9f00-000000000001"), Is.EqualTo(key), "stable");
            Assert.That(key, Is.InRange(0, 65535));
            Assert.That(Outbox.StreamKeyOf(null), Is.Zero);
            Assert.That(Outbox.WhistleIdOf(new WhistleRaised("w-1", "t", "m", "routine", [], DateTimeOffset.UnixEpoch)), Is.EqualTo("w-1"));
            Assert.That(Outbox.WhistleIdOf(new CountyChanged(1)), Is.Null);
            // Spread: 1,000 whistle ids over 64 streams leave no stream empty.
            Assert.That(Enumerable.Range(0, 1000).Select(i => Outbox.StreamKeyOf($"0193a5f2-7c1e-7a4b-9f00-{i:D12}") % 64).Distinct().Count(), Is.EqualTo(64));
        });
    }

    private async Task AddWhistleRowsAsync(IReadOnlyList<string> whistleIds) =>
        await Database.ReadAsync(
            c => c.ExecuteAsync(
                "INSERT INTO outbox (message_id, message_type, body, created_at, attempts, stream_key) VALUES (@Id, 'CountyChanged', '{\"catalogVersion\":1}', @At, 0, @Key)",
                whistleIds.Select(w => new { Id = Guid.NewGuid().ToString(), At = _time.GetUtcNow(), Key = (long)Outbox.StreamKeyOf(w) })),
            CancellationToken.None);

    private async Task<List<Guid>> AddRowsAsync(int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToList();
        await Database.ReadAsync(
            c => c.ExecuteAsync(
                "INSERT INTO outbox (message_id, message_type, body, created_at, attempts) VALUES (@Id, 'CountyChanged', '{\"catalogVersion\":1}', @At, 0)",
                ids.Select(id => new { Id = id.ToString(), At = _time.GetUtcNow() })),
            CancellationToken.None);
        return ids;
    }

    private Task<long> UnsentAsync() =>
        Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"), CancellationToken.None);

    /// <summary>An outbox relay of its own over the shared database, publishing to an in-memory bus of its own.</summary>
    private sealed class Relay : IAsyncDisposable, IPublishObserver
    {
        private readonly IBusControl _bus;
        private readonly Func<Task>? _duringPublish;
        private readonly ConcurrentQueue<Guid> _published = new();
        private OutboxRelay _relay = null!;

        private Relay(IBusControl bus, Func<Task>? duringPublish)
        {
            _bus = bus;
            _duringPublish = duringPublish;
        }

        /// <summary>The outbox rows this relay published (the broker confirmed them), in order.</summary>
        public IReadOnlyList<Guid> Published => [.. _published];

        public static async Task<Relay> StartAsync(When_two_relays_share_the_outbox_and_the_broker_is_slow fixture, Func<Task>? duringPublish = null)
        {
            var bus = MassTransit.Bus.Factory.CreateUsingInMemory(_ => { });
            await bus.StartAsync();
            var relay = new Relay(bus, duringPublish);
            bus.ConnectPublishObserver(relay);
            relay._relay = ActivatorUtilities.CreateInstance<OutboxRelay>(fixture._host.Services, bus, new OutboxSignal(), (TimeProvider)fixture._time);
            return relay;
        }

        public Task<int> RelayBatchAsync(OutboxOptions options) => _relay.RelayBatchAsync(options, CancellationToken.None);

        public async Task PrePublish<T>(PublishContext<T> context)
            where T : class
        {
            if (context.Message is CountyChanged && _duringPublish is not null)
            {
                await _duringPublish();
            }
        }

        public Task PostPublish<T>(PublishContext<T> context)
            where T : class
        {
            if (context.Message is CountyChanged && context.MessageId is { } id)
            {
                _published.Enqueue(id);
            }

            return Task.CompletedTask;
        }

        public Task PublishFault<T>(PublishContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;

        public async ValueTask DisposeAsync() => await _bus.StopAsync();
    }
}

/// <summary>
/// Issue 11: one outbox row no relay can read (a message type written by a newer version during a rolling
/// upgrade) must not stop dispatch, pushes and notices for everyone: after <c>Whistle:Outbox:MaxAttempts</c>
/// it is set aside, an operator is told (readiness Degraded naming it, a metric, an error in the log), and the
/// stream goes on.
/// </summary>
[NonParallelizable]
public sealed class When_an_outbox_row_cannot_be_read
{
    [Test]
    public async Task Should_set_it_aside_after_the_attempts_allowed_and_go_on_with_the_rest()
    {
        var setAside = new ConcurrentBag<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Whistle" && instrument.Name == "whistle.outbox.set_aside")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags) if (tag.Key == "type") setAside.Add($"{tag.Value}");
        });
        listener.Start();

        await using var system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?> { ["Whistle:Outbox:MaxAttempts"] = "3", ["Whistle:Health:Details"] = "true" });
        await Probe.WaitForAsync(system.Api, "/health/ready", "Healthy");
        using var township = await system.SignInAsync("township.chengguan");
        using var branch = await system.SignInAsync("branch.urban-management.chengguan");
        await using var push = await system.ConnectAsync(branch);

        // A row of a type this version does not know, at the head of the stream.
        var unreadable = Guid.NewGuid().ToString();
        await system.Database.ReadAsync(
            c => c.ExecuteAsync(
                "INSERT INTO outbox (message_id, message_type, body, created_at, attempts) VALUES (@Id, 'WhistleArchived', '{\"whistleId\":\"w-1\"}', @At, 0)",
                new { Id = unreadable, At = DateTimeOffset.UtcNow }),
            CancellationToken.None);
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var id = (await township.RaiseAsync(WhistleClient.Raise($"升级后 {i}", "street-vending", "routine"))).Str("id");
            ids.Add(id);
            await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
            await push.WaitForAsync("AssignmentDispatched", id);
        }

        var row = await system.Database.ReadAsync(
            c => c.QuerySingleAsync<(long Attempts, string? SentAt)>("SELECT attempts, sent_at FROM outbox WHERE message_id = @Id", new { Id = unreadable }),
            CancellationToken.None);
        var setAsideAt = await system.Database.ReadAsync(
            c => c.ExecuteScalarAsync<string?>("SELECT set_aside_at FROM outbox WHERE message_id = @Id", new { Id = unreadable }),
            CancellationToken.None);
        var (status, ready) = await Probe.WaitForAsync(system.Api, "/health/ready", "Degraded");
        Assert.Multiple(() =>
        {
            Assert.That(row.Attempts, Is.EqualTo(3), "tried as often as allowed, not more");
            Assert.That(row.SentAt, Is.Null, "never published");
            Assert.That(setAsideAt, Is.Not.Null, "set aside");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), "Degraded still takes traffic");
            Assert.That(ready.Check("relay"), Is.EqualTo("Degraded"), ready.ToJsonString());
            Assert.That(ready["checks"]!["relay"]!.Str("description"), Does.Contain("WhistleArchived").And.Contain("set aside"));
            Assert.That(ready.Check("outbox"), Is.EqualTo("Healthy"), "a row set aside is no backlog");
            Assert.That(setAside, Is.EquivalentTo(new[] { "WhistleArchived" }), "whistle.outbox.set_aside counted it once");
        });
    }
}
