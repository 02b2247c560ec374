using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Contracts;
using Whistle.Core.Whistles;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: the dispatch records its message in the inbox and locks the whistle in one command (one round trip less
/// for every whistle: on a busy machine each round trip is a wake-up of the dispatcher, and its transactions were seen
/// waiting for it — docs/benchmarks/2026-12-02-stalls.md), and writes the whistle's status and duties in the command
/// that appends their events at commit, with the read of the notice channels (two round trips less). The inbox still
/// makes a message delivered twice have one effect, a whistle dispatched already is not dispatched again, and a write
/// sent at commit that wrote nothing rolls the whole transaction back. On SQLite and PostgreSQL.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_a_raised_whistle_is_dispatched(string database)
{
    private readonly ConcurrentQueue<string> _commands = new();
    private ActivityListener _listener = null!;
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        // Npgsql's span of each command it sends, with the command's text (PostgreSQL; SQLite has no such spans).
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                foreach (var tag in a.TagObjects)
                {
                    if (tag.Value is string text && (text.Contains("INSERT INTO inbox", StringComparison.Ordinal) || text.Contains("INSERT INTO assignments", StringComparison.Ordinal))) _commands.Enqueue(text);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
        _system = await WhistleSystem.EmbeddedAsync(database: database);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _listener?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_dispatch_once_however_often_its_message_comes()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync())["id"]!.GetValue<string>();
        var dispatched = await DutiesOnceDispatchedAsync(id);
        Assert.That(dispatched, Is.GreaterThan(0), "the dispatcher dispatched it (its message recorded the first time)");

        var store = _system.Apis[0].Services.GetRequiredService<WhistleStore>();
        var again = new WhistleRaised(id, "chengguan", "illegal-construction", "emergency", [], DateTimeOffset.UtcNow);
        var messageId = Guid.NewGuid();
        Assert.That(await store.DispatchRaisedAsync(messageId, "spec-consumer", again, CancellationToken.None), Is.Zero, "a new message for a whistle dispatched already: recorded, nothing dispatched");
        Assert.That(await store.DispatchRaisedAsync(messageId, "spec-consumer", again, CancellationToken.None), Is.EqualTo(-1), "the same message again: handled before");
        Assert.That(await DutiesAsync(id), Is.EqualTo(dispatched), "no duty added");
        Assert.That(
            await _system.Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE message_id = @Id", new { Id = messageId.ToString() }), CancellationToken.None),
            Is.EqualTo(1));
    }

    [Test]
    public async Task Should_record_its_message_and_lock_the_whistle_in_one_command()
    {
        if (database == "sqlite")
        {
            Assert.Ignore("SQLite runs in the process: a command is no round trip, and Microsoft.Data.Sqlite sends no span per command to count.");
        }

        using var township = await _system.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync())["id"]!.GetValue<string>();
        await DutiesOnceDispatchedAsync(id);
        var inbox = _commands.Where(c => c.Contains("INSERT INTO inbox", StringComparison.Ordinal)).ToList();
        Assert.That(inbox, Is.Not.Empty, "the dispatch's inbox record was seen");
        Assert.That(inbox, Has.All.Contain("FOR UPDATE").And.All.Contain("FROM whistles"), "the inbox record shares its command with the whistle's lock");
    }

    [Test]
    public async Task Should_write_the_status_and_duties_with_their_events_and_the_channels_read_in_one_command()
    {
        if (database == "sqlite")
        {
            Assert.Ignore("SQLite runs in the process: a command is no round trip, and Microsoft.Data.Sqlite sends no span per command to count.");
        }

        using var township = await _system.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync())["id"]!.GetValue<string>();
        Assert.That(await DutiesOnceDispatchedAsync(id), Is.GreaterThan(0));
        Assert.That(_commands.Where(c => c.Contains("INSERT INTO assignments", StringComparison.Ordinal)), Is.Not.Empty, "the dispatch's duties were seen");
        Assert.That(
            _commands.Where(c => c.Contains("INSERT INTO assignments", StringComparison.Ordinal)),
            Has.All.Contain("UPDATE whistles SET status").And.All.Contain("FROM notice_channels").And.All.Contain("INSERT INTO timeline ("),
            "the status, the duties, the channels' read and the events' rows go in one command");
    }

    [Test]
    public async Task Should_roll_the_transaction_back_when_a_write_sent_at_commit_wrote_nothing()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync())["id"]!.GetValue<string>();
        await DutiesOnceDispatchedAsync(id);
        var before = await EventsAsync(id);
        var now = DateTimeOffset.UtcNow;
        var refused = Assert.ThrowsAsync<InvalidOperationException>(() => _system.Database.WriteAsync(
            unit =>
            {
                Whistle.Core.Messaging.Timeline.Defer(
                    unit,
                    new WhistleEvent(0, WhistleEventTypes.WhistleRaised, id, null, now, new("u", "n", "chengguan"), new(id, "t", "dispatched", "chengguan", "street-vending", "routine"), null, "never"),
                    ["township:chengguan"],
                    now);
                var parameters = new DynamicParameters(new { Id = id, Title = "changed" });
                unit.DeferWrite(unit.Dialect.UpdateAnswering("whistles", "title = @Title", "id = @Id AND version = -1", "version") + ";", parameters, "changed meanwhile");
                unit.Complete();
                return Task.FromResult(0);
            },
            CancellationToken.None));
        Assert.That(refused!.Message, Is.EqualTo("changed meanwhile"));
        Assert.That(await EventsAsync(id), Is.EqualTo(before), "the event sent with the write was rolled back with it");
        Assert.That(
            await _system.Database.ReadAsync(c => c.ExecuteScalarAsync<string>("SELECT title FROM whistles WHERE id = @id", new { id }), CancellationToken.None),
            Is.Not.EqualTo("changed"));
    }

    [Test]
    public async Task Should_apply_a_write_sent_at_commit_in_a_transaction_without_events()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync())["id"]!.GetValue<string>();
        await DutiesOnceDispatchedAsync(id);
        var before = await EventsAsync(id);
        var version = await _system.Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT version FROM whistles WHERE id = @id", new { id }), CancellationToken.None);
        await _system.Database.WriteAsync(
            unit =>
            {
                var parameters = new DynamicParameters(new { Id = id, Title = "sent at commit", Version = version });
                unit.DeferWrite(unit.Dialect.UpdateAnswering("whistles", "title = @Title", "id = @Id AND version = @Version", "version") + ";", parameters, "changed meanwhile");
                unit.Complete();
                return Task.FromResult(0);
            },
            CancellationToken.None);
        Assert.That(await TitleAsync(id), Is.EqualTo("sent at commit"), "the deferred write was sent although no event was");
        Assert.That(await EventsAsync(id), Is.EqualTo(before));
    }

    [Test]
    public async Task Should_roll_back_a_transaction_without_events_when_its_write_sent_at_commit_wrote_nothing()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync())["id"]!.GetValue<string>();
        await DutiesOnceDispatchedAsync(id);
        var title = await TitleAsync(id);
        var refused = Assert.ThrowsAsync<InvalidOperationException>(() => _system.Database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync("UPDATE whistles SET title = @Title WHERE id = @Id", new { Id = id, Title = "written at once" }, unit.Transaction);
                var parameters = new DynamicParameters(new { Id = id, Title = "sent at commit" });
                unit.DeferWrite(unit.Dialect.UpdateAnswering("whistles", "title = @Title", "id = @Id AND version = -1", "version") + ";", parameters, "changed meanwhile");
                unit.Complete();
                return 0;
            },
            CancellationToken.None));
        Assert.That(refused!.Message, Is.EqualTo("changed meanwhile"));
        Assert.That(await TitleAsync(id), Is.EqualTo(title), "the write made at once was rolled back with the transaction");
    }

    private Task<string?> TitleAsync(string id) =>
        _system.Database.ReadAsync(c => c.ExecuteScalarAsync<string?>("SELECT title FROM whistles WHERE id = @id", new { id }), CancellationToken.None);

    private Task<long> EventsAsync(string id) =>
        _system.Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM timeline WHERE whistle_id = @id", new { id }), CancellationToken.None);

    private Task<long> DutiesAsync(string id) =>
        _system.Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM assignments WHERE whistle_id = @id", new { id }), CancellationToken.None);

    private async Task<long> DutiesOnceDispatchedAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var status = await _system.Database.ReadAsync(c => c.ExecuteScalarAsync<string>("SELECT status FROM whistles WHERE id = @id", new { id }), CancellationToken.None);
            if (status != "raised") return await DutiesAsync(id);
            if (DateTime.UtcNow > deadline) Assert.Fail($"Whistle {id} was not dispatched within 30 s.");
            await Task.Delay(20);
        }
    }
}
