using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Dapper;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Push;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 11, finding 6: a session does not outlive its account as it was. Disabling an account or setting its password
/// ends its tokens and closes its hub connections on every instance within the check interval; a hub connection closes
/// when its token expires; CatchUp checks the account before it answers.
/// </summary>
[NonParallelizable]
public sealed class When_an_account_changes_while_it_is_signed_in
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> Settings(string folder, string checkInterval)
    {
        var settings = TestSettings.Embedded(folder);
        settings["Whistle:Auth:AccountCheckInterval"] = checkInterval;
        return settings;
    }

    /// <summary>Polls until the token is refused over HTTP, within the deadline.</summary>
    private static async Task<bool> RefusedWithinAsync(WhistleClient client, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if ((await client.GetAsync("/api/whistles")).Status == HttpStatusCode.Unauthorized) return true;
            await Task.Delay(100);
        }

        return false;
    }

    [Test]
    public async Task Should_end_a_disabled_accounts_tokens_and_close_its_hub_connections_on_every_instance()
    {
        // Two instances over one database: the account is disabled on A; B learns it from its own check.
        var folder = TestSettings.NewDataFolder();
        await using var a = await ApiHost.StartAsync(Settings(folder, "00:00:01"));
        var second = Settings(folder, "00:00:01");
        second["Whistle:Dispatcher:InProcess"] = "false";
        await using var b = await ApiHost.StartAsync(second);

        using var supervisor = await WhistleClient.SignInAsync(a.BaseAddress, "secadmin");
        using var onA = await WhistleClient.SignInAsync(a.BaseAddress, "township.baiyun");
        using var onB = await WhistleClient.SignInAsync(b.BaseAddress, "township.baiyun");
        await using var pushA = await PushClient.ConnectAsync(a.BaseAddress, onA.Token);
        await using var pushB = await PushClient.ConnectAsync(b.BaseAddress, onB.Token);
        Assert.That((await onB.GetAsync("/api/whistles")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await pushB.CatchUpAsync(0), Is.Not.Null);

        Assert.That((await supervisor.PostAsync("/api/users/township.baiyun/disable")).Status, Is.EqualTo(HttpStatusCode.NoContent));

        await Assert.MultipleAsync(async () =>
        {
            Assert.That((await onA.GetAsync("/api/whistles")).Status, Is.EqualTo(HttpStatusCode.Unauthorized), "at once where it was disabled");
            Assert.That(await pushA.ClosesWithinAsync(Deadline), Is.True, "the hub connection on the instance that disabled it closes");
            Assert.That(await RefusedWithinAsync(onB, Deadline), Is.True, "the other instance refuses the token within its check interval");
            Assert.That(await pushB.ClosesWithinAsync(Deadline), Is.True, "the other instance closes the hub connection within its check interval");
        });
    }

    [Test]
    public async Task Should_count_a_connection_the_sweep_closed_out_of_its_role_once()
    {
        // The session stays until the hub's OnDisconnectedAsync counts the connection out under its role, through
        // the sweeps in between (one a second here): the count goes back to zero, not below, and the session goes.
        await using var api = await ApiHost.StartAsync(Settings(TestSettings.NewDataFolder(), "00:00:01"));
        var meters = api.Services.GetRequiredService<IMeterFactory>();
        var connected = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "whistle.push.connections" && ReferenceEquals(instrument.Meter.Scope, meters)) l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "role") connected.AddOrUpdate((string)tag.Value!, value, (_, sum) => sum + value);
            }
        });
        listener.Start();
        var sessions = api.Services.GetRequiredService<HubSessions>();

        using var supervisor = await WhistleClient.SignInAsync(api.BaseAddress, "secadmin");
        using var branch = await WhistleClient.SignInAsync(api.BaseAddress, "branch.health.chengguan");
        await using var push = await PushClient.ConnectAsync(api.BaseAddress, branch.Token);
        // The client is connected once the handshake is answered; the hub's OnConnectedAsync runs after it.
        var until = DateTime.UtcNow + Deadline;
        while (sessions.Count == 0 && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.That(sessions.Count, Is.EqualTo(1));
        Assert.That(connected.Values.Sum(), Is.EqualTo(1), "counted in when it connected");

        Assert.That((await supervisor.PostAsync("/api/users/branch.health.chengguan/disable")).Status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await push.ClosesWithinAsync(Deadline), Is.True, "the connection is closed");
        until = DateTime.UtcNow + Deadline;
        while (sessions.Count > 0 && DateTime.UtcNow < until) await Task.Delay(50);
        await Task.Delay(TimeSpan.FromSeconds(2)); // two more sweeps
        Assert.Multiple(() =>
        {
            Assert.That(sessions.Count, Is.EqualTo(0), "the session is gone once the connection closed");
            Assert.That(connected.Count, Is.EqualTo(1), "one role");
            Assert.That(connected.Values.Single(), Is.EqualTo(0), "counted out once, under the role it was counted in");
        });
    }

    [Test]
    public async Task Should_end_the_old_tokens_when_a_supervisor_sets_the_password_and_let_the_new_password_sign_in()
    {
        await using var api = await ApiHost.StartAsync(Settings(TestSettings.NewDataFolder(), "00:00:15"));
        using var supervisor = await WhistleClient.SignInAsync(api.BaseAddress, "secadmin");
        using var before = await WhistleClient.SignInAsync(api.BaseAddress, "township.shuangqiao");
        await using var push = await PushClient.ConnectAsync(api.BaseAddress, before.Token);

        var (status, body, _) = await supervisor.PostAsync("/api/users/township.shuangqiao/password", new { password = "Shuang-Qiao-2026" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.NoContent), body?.ToJsonString());

        Assert.That((await before.GetAsync("/api/whistles")).Status, Is.EqualTo(HttpStatusCode.Unauthorized), "the old token is dead");
        Assert.That(await push.ClosesWithinAsync(Deadline), Is.True, "its hub connection is closed");
        Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => PushClient.ConnectAsync(api.BaseAddress, before.Token));
        using var after = await WhistleClient.SignInAsync(api.BaseAddress, "township.shuangqiao", "Shuang-Qiao-2026");
        Assert.That((await after.GetAsync("/api/whistles")).Status, Is.EqualTo(HttpStatusCode.OK));
        await using var again = await PushClient.ConnectAsync(api.BaseAddress, after.Token);
        Assert.That(await again.CatchUpAsync(0), Is.Not.Null);
    }

    [Test]
    public async Task Should_close_a_hub_connection_when_its_token_expires()
    {
        var settings = Settings(TestSettings.NewDataFolder(), "00:00:15");
        settings["Whistle:Auth:TokenLifetime"] = "00:00:03";
        await using var api = await ApiHost.StartAsync(settings);
        using var branch = await WhistleClient.SignInAsync(api.BaseAddress, "branch.health.chengguan");
        await using var push = await PushClient.ConnectAsync(api.BaseAddress, branch.Token);
        Assert.That(await push.ClosesWithinAsync(TimeSpan.FromSeconds(60)), Is.True, "the connection outlived its token");
    }

    [Test]
    public async Task Should_refuse_CatchUp_once_the_accounts_stamp_changed_elsewhere()
    {
        // A long check interval: neither the cache nor the sweep would notice; CatchUp checks the account itself.
        await using var api = await ApiHost.StartAsync(Settings(TestSettings.NewDataFolder(), "01:00:00"));
        using var agency = await WhistleClient.SignInAsync(api.BaseAddress, "agency.health");
        await using var push = await PushClient.ConnectAsync(api.BaseAddress, agency.Token);
        Assert.That(await push.CatchUpAsync(0), Is.Not.Null);

        // As another instance would have done it (a password set there): a new stamp in the database.
        var database = api.Services.GetRequiredService<Whistle.Core.Storage.WhistleDatabase>();
        await database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync("UPDATE users SET security_stamp = 'changed-elsewhere' WHERE user_name = 'agency.health';", transaction: unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);

        var refused = Assert.ThrowsAsync<HubException>(() => push.CatchUpAsync(0));
        Assert.That(refused!.Message, Does.Contain(WhistleHub.SessionEnded));
    }
}

/// <summary>Issue 11, finding 10: CatchUp answers in bounded pages and a connection cannot call it without limit.</summary>
[NonParallelizable]
public sealed class When_a_hub_client_calls_CatchUp_too_much
{
    [Test]
    public async Task Should_answer_in_pages_of_at_most_the_batch_so_that_the_client_asks_again()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var township = await system.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync(WhistleClient.Raise("补发分页", "street-vending", "routine"))).Str("id");
        await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");

        // 1,200 more events of that whistle, as far as the county's group is concerned.
        var first = await system.Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT MIN(sequence) FROM timeline WHERE whistle_id = @Id", new { Id = id }), CancellationToken.None);
        await system.Database.WriteAsync(
            async unit =>
            {
                for (var i = 0; i < 1200; i++)
                {
                    var sequence = await unit.Connection.ExecuteScalarAsync<long>(
                        """
                        INSERT INTO timeline (whistle_id, assignment_id, type, occurred_at, actor_user, actor_name, actor_org, note, payload)
                        SELECT whistle_id, assignment_id, type, occurred_at, actor_user, actor_name, actor_org, note, payload FROM timeline WHERE sequence = @First;
                        SELECT last_insert_rowid();
                        """,
                        new { First = first },
                        unit.Transaction);
                    await unit.Connection.ExecuteAsync("INSERT INTO timeline_audience (group_name, sequence) SELECT group_name, @Sequence FROM timeline_audience WHERE sequence = @First;", new { Sequence = sequence, First = first }, unit.Transaction);
                }

                unit.Complete();
                return 0;
            },
            CancellationToken.None);

        using var supervisor = await system.SignInAsync("supervisor");
        await using var push = await system.ConnectAsync(supervisor);
        var pages = new List<int>();
        var after = 0L;
        var all = new List<long>();
        while (true)
        {
            var page = await push.CatchUpAsync(after);
            pages.Add(page.Count);
            all.AddRange(page.Select(e => e.Seq()));
            if (page.Count < Whistle.Api.Whistles.WhistleQueries.CatchUpBatch) break;
            after = page[^1].Seq();
        }

        Assert.Multiple(() =>
        {
            Assert.That(pages.Max(), Is.LessThanOrEqualTo(Whistle.Api.Whistles.WhistleQueries.CatchUpBatch), "no page is larger than the batch");
            Assert.That(pages.Count, Is.GreaterThanOrEqualTo(3), "1,200+ events take three pages");
            Assert.That(all, Is.Ordered.And.Unique, "the pages follow each other without overlap");
            Assert.That(all, Has.Count.GreaterThan(1200));
        });
    }

    [Test]
    public async Task Should_refuse_calls_beyond_the_connections_bucket_with_a_clear_message()
    {
        await using var system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?>
        {
            ["Whistle:Auth:CatchUpBurst"] = "3",
            ["Whistle:Auth:CatchUpsPerMinute"] = "1",
        });
        using var branch = await system.SignInAsync("branch.health.chengguan");
        await using var push = await system.ConnectAsync(branch);
        for (var i = 0; i < 3; i++) Assert.That(await push.CatchUpAsync(0), Is.Not.Null, $"call {i + 1} is within the burst");
        var refused = Assert.ThrowsAsync<HubException>(() => push.CatchUpAsync(0));
        Assert.That(refused!.Message, Does.Contain(WhistleHub.TooManyCatchUps));

        await using var other = await system.ConnectAsync(branch);
        Assert.That(await other.CatchUpAsync(0), Is.Not.Null, "the bucket is the connection's own");
    }
}
