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
