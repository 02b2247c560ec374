using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Whistle.Core.Messaging;
using Whistle.Core.Notices;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: a process hears every wake-up other processes' commits send it (PostgreSQL <c>NOTIFY</c>: the outbox
/// relay's channel, in a dispatcher the notice sender's too) on one <c>LISTEN</c> connection, not one per worker; each
/// notification wakes only the worker of its channel, and every worker is woken again after the connection is lost
/// and opened anew (for what was notified meanwhile).
/// </summary>
[NonParallelizable]
public sealed class When_a_process_listens_for_wake_ups
{
    private const string First = "spec_wake_first";
    private const string Second = "spec_wake_second";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private PostgresDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await PostgresServer.Require().CreateDatabaseAsync();

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Should_listen_for_every_channel_on_one_connection_and_wake_only_the_channel_notified()
    {
        await using var listening = Listening.Start(_database.ConnectionString);
        await Until(() => listening.Woken.Count == 2, "each woken once on connecting");
        Assert.That(listening.Woken, Is.EquivalentTo(new[] { First, Second }));
        Assert.That(await listening.BackendsAsync(), Has.Count.EqualTo(1), "one connection for both channels");

        // Notifications arrive in commit order; a notification that woke every channel would wake the first first.
        await NotifyAsync(Second);
        await NotifyAsync(First);
        await Until(() => listening.Woken.Count >= 4, "both notifications heard");
        Assert.Multiple(() =>
        {
            Assert.That(listening.Woken.Skip(2), Is.EqualTo(new[] { Second, First }), "each notification wakes its own channel only");
            Assert.That(listening.Lost, Is.Empty);
        });
    }

    [Test]
    public async Task Should_wake_every_channel_again_after_its_connection_is_lost()
    {
        await using var listening = Listening.Start(_database.ConnectionString);
        await Until(() => listening.Woken.Count == 2, "each woken once on connecting");
        var backend = (await listening.BackendsAsync()).Single();

        await using (var admin = new NpgsqlConnection(_database.ConnectionString))
        {
            await admin.ExecuteAsync("SELECT pg_terminate_backend(@backend);", new { backend });
        }

        await Until(() => listening.Woken.Count == 4, "each woken again on connecting again");
        Assert.That(listening.Woken.Skip(2), Is.EquivalentTo(new[] { First, Second }));
        Assert.That(listening.Lost, Is.Not.Empty, "the loss reported");
        var deadline = DateTime.UtcNow + Patience;
        List<int> now;
        while ((now = await listening.BackendsAsync()).Contains(backend) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.That(now, Has.Count.EqualTo(1).And.Not.Contain(backend), "one new connection");
    }

    [TestCase("embedded")]
    [TestCase("distributed")]
    public async Task Should_give_a_dispatcher_one_listener_for_the_outbox_relay_and_the_notice_sender(string mode)
    {
        await using var system = mode == "embedded" ? await WhistleSystem.EmbeddedAsync() : await WhistleSystem.DistributedAsync();
        var dispatcher = mode == "embedded" ? system.Apis[0].Services : system.Dispatchers[0].Services;
        Assert.Multiple(() =>
        {
            Assert.That(dispatcher.GetServices<IHostedService>().Count(s => s is WakeListener), Is.EqualTo(1));
            Assert.That(dispatcher.GetServices<WakeSubscription>().Select(s => s.Channel), Is.EquivalentTo(new[] { Outbox.WakeChannel, NoticeStore.WakeChannel }));
        });
        if (mode == "distributed")
        {
            Assert.That(system.Apis[0].Services.GetServices<WakeSubscription>().Select(s => s.Channel), Is.EqualTo(new[] { Outbox.WakeChannel }), "an Api sends no notices");
        }
    }

    private async Task NotifyAsync(string channel)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.ExecuteAsync($"NOTIFY {channel};");
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Not within {Patience.TotalSeconds} s: {what}.");
            await Task.Delay(20);
        }
    }

    /// <summary>The dialect listening on two channels under an application name of its own, recording its wake-ups.</summary>
    private sealed class Listening : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly string _connectionString;
        private readonly string _application = "wake-spec-" + Guid.NewGuid().ToString("N")[..8];
        private Task _task = Task.CompletedTask;

        private Listening(string connectionString) =>
            _connectionString = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = _application }.ConnectionString;

        /// <summary>The channels woken, in order.</summary>
        public ConcurrentQueue<string> Woken { get; } = new();

        public ConcurrentQueue<Exception> Lost { get; } = new();

        public static Listening Start(string connectionString)
        {
            var listening = new Listening(connectionString);
            var channels = new Dictionary<string, Action>
            {
                [First] = () => listening.Woken.Enqueue(First),
                [Second] = () => listening.Woken.Enqueue(Second),
            };
            listening._task = PostgreSqlDialect.Instance.ListenForWakeUpsAsync(listening._connectionString, channels, listening.Lost.Enqueue, listening._stop.Token);
            return listening;
        }

        /// <summary>The server's processes of this listener's connections.</summary>
        public async Task<List<int>> BackendsAsync()
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_connectionString) { ApplicationName = "wake-spec-observer", Pooling = false }.ConnectionString);
            return (await connection.QueryAsync<int>("SELECT pid FROM pg_stat_activity WHERE application_name = @application;", new { application = _application })).ToList();
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _task;
            _stop.Dispose();
        }
    }
}
