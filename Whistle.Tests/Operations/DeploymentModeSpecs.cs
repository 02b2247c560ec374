using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Whistle.Dispatcher;
using Whistle.Tests.Support;

namespace Whistle.Tests.Operations;

/// <summary>The migration step of a deployment: <c>Whistle.Dispatcher migrate</c>, then app instances with Migrate=false.</summary>
[NonParallelizable]
public sealed class When_a_deployment_migrates_in_a_step_of_its_own
{
    [Test]
    public async Task Should_migrate_and_import_then_exit_and_let_instances_start_without_migrating()
    {
        var folder = TestSettings.NewDataFolder();
        var settings = TestSettings.Embedded(folder);
        settings["Whistle:Database:Migrate"] = "false"; // what the deployment sets for every instance
        var exit = await DispatcherProgram.MigrateAsync([], c => c.AddInMemoryCollection(settings));
        Assert.That(exit, Is.EqualTo(0));

        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "whistle.db")}"))
        {
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM townships"), Is.GreaterThan(0), "the county is imported");
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schemaversions WHERE scriptname LIKE '%0004_outbox_trace_parent.sql'"), Is.EqualTo(1));
        }

        settings["Whistle:Demo:Enabled"] = "true";
        await using var api = await ApiHost.StartAsync(settings);
        using var township = await WhistleClient.SignInAsync(api.BaseAddress, "township.chengguan");
        var id = (await township.RaiseAsync()).Str("id");
        await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
    }

    [Test]
    public async Task Should_fail_with_exit_code_1_when_the_county_file_is_missing()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:County:File"] = "/nonexistent/county.json";
        var exit = await DispatcherProgram.MigrateAsync([], c => c.AddInMemoryCollection(settings));
        Assert.That(exit, Is.EqualTo(1));
    }
}

/// <summary>Whistle:Bus:RabbitMq:QuorumQueues: the dispatcher's queue is a quorum queue, and whistles still travel.</summary>
[NonParallelizable]
public sealed class When_RabbitMQ_uses_quorum_queues
{
    [Test]
    public async Task Should_declare_the_dispatcher_queue_as_a_quorum_queue()
    {
        var broker = RabbitBroker.RequireRunning();
        var folder = TestSettings.NewDataFolder();
        try
        {
            var settings = TestSettings.Distributed(folder, broker);
            settings["Whistle:Bus:RabbitMq:QuorumQueues"] = "true";
            await using var api = await ApiHost.StartAsync(settings);
            await using var dispatcher = await DispatcherHost.StartAsync(settings);
            using var township = await WhistleClient.SignInAsync(api.BaseAddress, "township.chengguan");
            var id = (await township.RaiseAsync()).Str("id");
            await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");

            var queues = ListQueues(broker.VirtualHost);
            Assert.Multiple(() =>
            {
                Assert.That(queues, Does.ContainKey("whistle-raised"));
                Assert.That(queues.GetValueOrDefault("whistle-raised"), Is.EqualTo("quorum"));
                Assert.That(queues.Where(q => q.Key.StartsWith("whistle-event-push", StringComparison.Ordinal)).Select(q => q.Value), Is.All.EqualTo("classic"), "temporary queues stay classic");
            });
        }
        finally
        {
            broker.Delete();
        }
    }

    private static Dictionary<string, string> ListQueues(string virtualHost)
    {
        var info = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "list_queues", "-p", virtualHost, "name", "type", "--no-table-headers" }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(60_000);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', StringSplitOptions.TrimEntries))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1]);
    }
}

/// <summary>Whistle:Api:TrustForwardedHeaders: behind the proxy, the login limit counts clients, not the proxy.</summary>
[NonParallelizable]
public sealed class When_the_Api_runs_behind_a_reverse_proxy
{
    [TestCase(true, System.Net.HttpStatusCode.Unauthorized, TestName = "Should_count_sign_in_attempts_per_forwarded_client_when_trusted")]
    [TestCase(false, System.Net.HttpStatusCode.TooManyRequests, TestName = "Should_count_every_attempt_as_the_proxy_when_not_trusted")]
    public async Task Should_limit_sign_in_attempts_by_the_right_address(bool trusted, System.Net.HttpStatusCode otherClient)
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Auth:LoginAttemptsPerMinute"] = "2";
        settings["Whistle:Api:TrustForwardedHeaders"] = trusted ? "true" : "false";
        await using var api = await ApiHost.StartAsync(settings);
        using var http = new HttpClient { BaseAddress = api.BaseAddress };

        // Each client signs in to an account of its own (the per-account limit is another matter).
        async Task<System.Net.HttpStatusCode> SignInFrom(string address, string userName)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/token")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { userName, password = "wrong" }),
            };
            request.Headers.Add("X-Forwarded-For", address);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        var first = new[] { await SignInFrom("203.0.113.7", "township.chengguan"), await SignInFrom("203.0.113.7", "township.chengguan"), await SignInFrom("203.0.113.7", "township.chengguan") };
        var other = await SignInFrom("198.51.100.23", "township.shuangqiao");
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(new[] { System.Net.HttpStatusCode.Unauthorized, System.Net.HttpStatusCode.Unauthorized, System.Net.HttpStatusCode.TooManyRequests }));
            Assert.That(other, Is.EqualTo(otherClient));
        });
    }
}
