using System.Net;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Contracts;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>Idempotency at both edges: a retried request and a redelivered message each have one effect.</summary>
[TestFixture("embedded")]
[TestFixture("distributed")]
[NonParallelizable]
public sealed class When_something_arrives_twice(string mode)
{
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() =>
        _system = mode == "embedded" ? await WhistleSystem.EmbeddedAsync() : await WhistleSystem.DistributedAsync();

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_return_the_first_whistle_for_a_repeated_idempotency_key()
    {
        using var township = await _system.SignInAsync("township.shuangqiao");
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString() };
        var first = await township.RaiseAsync(WhistleClient.Raise("燃气泄漏", "gas-safety", "emergency"), key);
        var (status, second, _) = await township.PostAsync("/api/whistles", WhistleClient.Raise("燃气泄漏", "gas-safety", "emergency"), key);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => township.PostAsync("/api/whistles", WhistleClient.Raise("燃气泄漏", "gas-safety", "emergency"), key)));
        // The key again with another request (a client bug, not a retry): refused, never answered with the first whistle.
        var (reused, problem, _) = await township.PostAsync("/api/whistles", WhistleClient.Raise(), key);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(second!.Str("id"), Is.EqualTo(first.Str("id")));
            Assert.That(concurrent.Select(r => r.Body!.Str("id")), Is.All.EqualTo(first.Str("id")));
            Assert.That(reused, Is.EqualTo(HttpStatusCode.Conflict), problem?.ToJsonString());
            Assert.That(problem?.Str("code"), Is.EqualTo("idempotency-key-reused"));
        });

        var (_, list, _) = await township.GetAsync("/api/whistles?status=all&pageSize=100");
        Assert.That(list!["items"]!.AsArray().Count(w => w!.Str("title") == "燃气泄漏"), Is.EqualTo(1));
        await township.WaitForWhistleAsync(first.Str("id"), w => w.Str("status") == "dispatched");
    }

    [Test]
    public async Task Should_make_one_whistle_of_first_raises_that_race_with_one_key()
    {
        // No raise with the key has committed yet: each looks the key up, finds nothing and inserts; on PostgreSQL the
        // losers' inserts fail on the key (their whistle, key and audit row go in one command) and answer the winner's.
        using var township = await _system.SignInAsync("township.shuangqiao");
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString() };
        var raced = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => township.PostAsync("/api/whistles", WhistleClient.Raise("燃气管道破损", "gas-safety", "emergency"), key)));
        Assert.That(raced.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.Created).Or.EqualTo(HttpStatusCode.OK), string.Join("\n", raced.Select(r => r.Body?.ToJsonString())));
        var id = raced[0].Body!.Str("id");
        Assert.That(raced.Select(r => r.Body!.Str("id")), Is.All.EqualTo(id));
        var (_, list, _) = await township.GetAsync("/api/whistles?status=all&pageSize=100");
        Assert.That(list!["items"]!.AsArray().Count(w => w!.Str("title") == "燃气管道破损"), Is.EqualTo(1));
        using var auditor = await _system.SignInAsync("auditadmin");
        var (_, audit, _) = await auditor.GetAsync("/api/audit?pageSize=100");
        Assert.That(audit!["items"]!.AsArray().Count(e => e!.Str("key") == id && e!.Str("action") == "raised"), Is.EqualTo(1), "one audit row, the winner's");
        await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
    }

    [Test]
    public async Task Should_dispatch_once_when_WhistleRaised_is_delivered_again()
    {
        using var township = await _system.SignInAsync("township.baiyun");
        var id = (await township.RaiseAsync(WhistleClient.Raise("山体滑坡隐患", "geological-hazard", "urgent"))).Str("id");
        var dispatched = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var assignmentCount = dispatched["assignments"]!.AsArray().Count;

        var (messageId, body) = await _system.Database.ReadAsync(
            c => c.QuerySingleAsync<(string, string)>("SELECT message_id, body FROM outbox WHERE message_type = 'WhistleRaised' AND body LIKE @Like", new { Like = $"%{id}%" }),
            CancellationToken.None);
        var original = System.Text.Json.JsonSerializer.Deserialize<WhistleRaised>(body, Core.Messaging.MessageTypes.Json)!;
        var bus = _system.Apis[0].Services.GetRequiredService<IBus>();
        // The same message again (a broker redelivery), then a copy under a new id (a second publish).
        await bus.Publish(original, ctx => ctx.MessageId = Guid.Parse(messageId));
        await bus.Publish(original);

        using var branch = await _system.SignInAsync($"branch.{dispatched["assignments"]![0]!.Str("branchId")}");
        await using var push = await _system.ConnectAsync(branch);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var (_, after, _) = await township.GetAsync($"/api/whistles/{id}");
        Assert.Multiple(() =>
        {
            Assert.That(after!["assignments"]!.AsArray(), Has.Count.EqualTo(assignmentCount));
            Assert.That(after["timeline"]!.AsArray().Count(e => e!.Str("type") == "AssignmentDispatched"), Is.EqualTo(assignmentCount));
        });
        var inbox = await _system.Database.ReadAsync(
            c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE message_id = @Id", new { Id = messageId }),
            CancellationToken.None);
        Assert.That(inbox, Is.EqualTo(1), "the inbox remembers the message once");
    }
}

/// <summary>A client that was away gets exactly what it missed.</summary>
[NonParallelizable]
public sealed class When_a_client_reconnects
{
    [Test]
    public async Task Should_catch_up_exactly_the_events_it_missed()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var township = await system.SignInAsync("township.chengguan");
        using var branch = await system.SignInAsync("branch.market-supervision.chengguan");
        await using (var before = await system.ConnectAsync(branch))
        {
            var first = (await township.RaiseAsync(WhistleClient.Raise("餐馆食物中毒", "food-poisoning", "emergency"))).Str("id");
            await before.WaitForAsync("AssignmentDispatched", first);
        }

        var all = await CatchUpAllAsync(system, branch, 0);
        var lastSeen = all.Max(e => e.Seq());

        // Offline: two whistles and a report happen.
        var second = (await township.RaiseAsync(WhistleClient.Raise("过期药品销售", "counterfeit-drugs", "urgent"))).Str("id");
        var third = (await township.RaiseAsync(WhistleClient.Raise("无证餐饮", "unlicensed-food-business", "routine"))).Str("id");
        var w2 = await township.WaitForWhistleAsync(second, w => w.Str("status") == "dispatched");
        await township.WaitForWhistleAsync(third, w => w.Str("status") == "dispatched");
        var mine = w2["assignments"]!.AsArray().Single(a => (string?)a!["branchId"] == "market-supervision.chengguan")!.Str("id");
        Assert.That((await branch.PostAsync($"/api/assignments/{mine}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));

        await using var after = await system.ConnectAsync(branch);
        var missed = await after.CatchUpAsync(lastSeen);
        var expected = (await CatchUpAllAsync(system, branch, 0)).Where(e => e.Seq() > lastSeen).Select(e => e.Seq()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(missed.Select(e => e.Seq()), Is.EqualTo(expected), "exactly the missed ones, oldest first");
            Assert.That(missed.Select(e => e.Str("type")), Is.EqualTo(new[] { "AssignmentDispatched", "AssignmentDispatched", "AssignmentReported" }));
            Assert.That(missed.Select(e => e.Str("whistleId")), Is.EqualTo(new[] { second, third, second }));
            Assert.That(missed.All(e => (string?)e["assignment"]!["branchId"] == "market-supervision.chengguan"), Is.True);
        });
        Assert.That(await after.CatchUpAsync(missed.Max(e => e.Seq())), Is.Empty);
    }

    private static async Task<IReadOnlyList<System.Text.Json.Nodes.JsonNode>> CatchUpAllAsync(WhistleSystem system, WhistleClient client, long after)
    {
        await using var push = await system.ConnectAsync(client);
        return await push.CatchUpAsync(after);
    }
}

/// <summary>Scale-out: any number of Api and Dispatcher instances on one broker.</summary>
[NonParallelizable]
public sealed class When_several_instances_share_one_broker
{
    [Test]
    public async Task Should_push_to_a_branch_on_one_api_a_whistle_raised_through_another_exactly_once()
    {
        await using var system = await WhistleSystem.DistributedAsync(apis: 2, dispatchers: 2);
        using var township = await system.SignInAsync("township.dongfeng", api: 0);
        using var branch = await system.SignInAsync("branch.urban-management.dongfeng", api: 1);
        using var supervisorA = await system.SignInAsync("supervisor", api: 0);
        await using var branchPush = await system.ConnectAsync(branch, api: 1);
        await using var supervisorPushA = await system.ConnectAsync(supervisorA, api: 0);
        await using var supervisorPushB = await system.ConnectAsync(supervisorA, api: 1);

        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add((await township.RaiseAsync(WhistleClient.Raise($"占道经营 {i}", "street-vending", "routine"))).Str("id"));
        }

        await branchPush.WaitUntilAsync(received => ids.All(id => received.Any(e => e.Str("type") == "AssignmentDispatched" && e.Str("whistleId") == id)));
        foreach (var id in ids)
        {
            await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        }

        // The events of this test's whistles: the county's timeline also holds what the system wrote before the pushes
        // connected (the branch heads' forms a dispatcher issues when it starts after a period has closed, issue 16).
        bool Ours(System.Text.Json.Nodes.JsonNode e) => ids.Contains(e.Str("whistleId"));
        var expectedForSupervisor = (await supervisorPushA.CatchUpAsync(0)).Where(Ours).ToList();
        await supervisorPushA.WaitUntilAsync(r => r.Count(Ours) >= expectedForSupervisor.Count);
        await supervisorPushB.WaitUntilAsync(r => r.Count(Ours) >= expectedForSupervisor.Count);

        await Task.Delay(TimeSpan.FromSeconds(2));
        var dispatchedToBranch = branchPush.Received.Where(e => e.Str("type") == "AssignmentDispatched" && ids.Contains(e.Str("whistleId"))).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(dispatchedToBranch, Has.Count.EqualTo(ids.Count), "one push per whistle to the branch on the other instance");
            Assert.That(branchPush.Received.Select(e => e.Seq()), Is.Unique);
            Assert.That(supervisorPushA.Received.Select(e => e.Seq()), Is.Unique);
            Assert.That(supervisorPushB.Received.Select(e => e.Seq()), Is.Unique);
            Assert.That(supervisorPushA.Received.Where(Ours).Select(e => e.Seq()), Is.EquivalentTo(expectedForSupervisor.Select(e => e.Seq())), "every event once, on instance A");
            Assert.That(supervisorPushB.Received.Where(Ours).Select(e => e.Seq()), Is.EquivalentTo(expectedForSupervisor.Select(e => e.Seq())), "every event once, on instance B");
        });

        var assignments = await system.Database.ReadAsync(
            c => c.QueryAsync<(string, long)>("SELECT whistle_id, COUNT(*) FROM assignments GROUP BY whistle_id"),
            CancellationToken.None);
        var dispatchedEvents = await system.Database.ReadAsync(
            c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM timeline WHERE type = 'AssignmentDispatched'"),
            CancellationToken.None);
        var expectedPerWhistle = (await township.GetAsync($"/api/whistles/{ids[0]}")).Body!["assignments"]!.AsArray().Count;
        Assert.Multiple(() =>
        {
            Assert.That(assignments.Select(a => a.Item2), Is.All.EqualTo(expectedPerWhistle), "two dispatchers never dispatch a whistle twice");
            Assert.That(dispatchedEvents, Is.EqualTo(ids.Count * expectedPerWhistle));
        });
    }
}
