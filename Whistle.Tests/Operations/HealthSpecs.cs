using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Core.Messaging;
using Whistle.Tests.Support;

namespace Whistle.Tests.Operations;

/// <summary>What a probe reads from <c>/health/live</c> and <c>/health/ready</c>.</summary>
internal static class Probe
{
    public static async Task<(HttpStatusCode Status, JsonNode Body)> GetAsync(Uri baseAddress, string path)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), text);
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    /// <summary>Reads a probe until it answers the expected overall status (checks run on every request).</summary>
    public static async Task<(HttpStatusCode Status, JsonNode Body)> WaitForAsync(Uri baseAddress, string path, string status, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var answer = await GetAsync(baseAddress, path);
            if (answer.Body.Str("status") == status)
            {
                return answer;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{path} never answered {status}: {answer.Body.ToJsonString()}");
            }

            await Task.Delay(100);
        }
    }

    public static string Check(this JsonNode body, string name) => body["checks"]![name]!.Str("status");
}

[NonParallelizable]
public sealed class When_a_probe_asks_a_healthy_instance
{
    private static readonly Dictionary<string, string?> Details = new() { ["Whistle:Health:Details"] = "true" };

    [Test]
    public async Task Should_answer_live_and_ready_with_every_check_healthy_embedded()
    {
        await using var system = await WhistleSystem.EmbeddedAsync(settings: Details);
        var (liveStatus, live) = await Probe.GetAsync(system.Api, "/health/live");
        var (readyStatus, ready) = await Probe.WaitForAsync(system.Api, "/health/ready", "Healthy");
        Assert.Multiple(() =>
        {
            Assert.That(liveStatus, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(live.Str("status"), Is.EqualTo("Healthy"));
            Assert.That(live["checks"]!.AsObject(), Is.Empty, "liveness checks nothing but the process");
            Assert.That(readyStatus, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ready["checks"]!.AsObject().Select(c => c.Key), Is.EquivalentTo(new[] { "database", "county", "outbox", "bus", "relay" }));
            Assert.That(ready["checks"]!.AsObject().Select(c => c.Value!.Str("status")), Is.All.EqualTo("Healthy"));
            Assert.That(ready["checks"]!["outbox"]!["data"]!.Str("oldestUnsentSeconds"), Is.EqualTo("0"));
        });
    }

    [Test]
    public async Task Should_answer_from_the_Api_and_the_Dispatcher_on_RabbitMQ()
    {
        await using var system = await WhistleSystem.DistributedAsync(apis: 1, dispatchers: 0);
        var settings = system.DistributedSettings();
        settings["Whistle:Dispatcher:HealthUrls"] = "http://127.0.0.1:0";
        await using var dispatcher = await DispatcherHost.StartAsync(settings);
        Assert.That(dispatcher.BaseAddress, Is.Not.Null, "HealthUrls makes the dispatcher listen");

        var (apiStatus, api) = await Probe.WaitForAsync(system.Api, "/health/ready", "Healthy");
        var (dispatcherStatus, ready) = await Probe.WaitForAsync(dispatcher.BaseAddress!, "/health/ready", "Healthy");
        var (liveStatus, _) = await Probe.GetAsync(dispatcher.BaseAddress!, "/health/live");
        Assert.Multiple(() =>
        {
            Assert.That(apiStatus, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(api.Check("bus"), Is.EqualTo("Healthy"));
            Assert.That(dispatcherStatus, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ready.Check("bus"), Is.EqualTo("Healthy"));
            Assert.That(ready.Check("database"), Is.EqualTo("Healthy"));
            Assert.That(liveStatus, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Should_not_listen_when_the_Dispatcher_has_no_health_urls()
    {
        await using var system = await WhistleSystem.DistributedAsync(apis: 1, dispatchers: 1);
        Assert.That(system.Dispatchers[0].BaseAddress, Is.Null);
    }
}

[NonParallelizable]
public sealed class When_a_probe_asks_an_instance_in_trouble
{
    private static readonly Dictionary<string, string?> Details = new() { ["Whistle:Health:Details"] = "true" };

    // The file is replaced by a folder of the same name: SQLite can no longer open it.
    private static void BreakTheDatabase(WhistleSystem system)
    {
        var file = Path.Combine(system.DataFolder, "whistle.db");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { file, file + "-wal", file + "-shm" })
        {
            File.Delete(f);
        }

        Directory.CreateDirectory(file);
    }

    [Test]
    public async Task Should_be_unready_but_live_when_the_database_file_is_unreadable()
    {
        await using var system = await WhistleSystem.EmbeddedAsync(settings: Details);
        await Probe.WaitForAsync(system.Api, "/health/ready", "Healthy");
        BreakTheDatabase(system);
        var (status, ready) = await Probe.WaitForAsync(system.Api, "/health/ready", "Unhealthy");
        var (liveStatus, _) = await Probe.GetAsync(system.Api, "/health/live");
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(ready.Check("database"), Is.EqualTo("Unhealthy"));
            Assert.That(ready["checks"]!["database"]!.Str("error"), Does.Contain("unable to open database file"));
            Assert.That(ready.Check("county"), Is.EqualTo("Healthy"), "the county stays loaded in memory");
            Assert.That(liveStatus, Is.EqualTo(HttpStatusCode.OK), "the process is up: no restart would help");
        });
    }

    [Test]
    public async Task Should_tell_an_anonymous_caller_the_status_of_each_check_and_nothing_of_its_insides()
    {
        // Whistle:Health:Details is off by default: what failed is an operator's to read (logs, or the setting).
        await using var system = await WhistleSystem.EmbeddedAsync();
        await Probe.WaitForAsync(system.Api, "/health/ready", "Healthy");
        BreakTheDatabase(system);
        var (status, ready) = await Probe.WaitForAsync(system.Api, "/health/ready", "Unhealthy");
        var text = ready.ToJsonString();
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(ready.Check("database"), Is.EqualTo("Unhealthy"));
            Assert.That(ready["checks"]!.AsObject().Select(c => c.Key), Is.EquivalentTo(new[] { "database", "county", "outbox", "bus", "relay" }));
            Assert.That(ready["checks"]!.AsObject().Select(c => c.Value!.AsObject().Select(p => p.Key)), Has.All.EquivalentTo(new[] { "status" }), "a status per check, nothing else");
            Assert.That(text, Does.Not.Contain("unable to open").IgnoreCase.And.Not.Contain("SQLite").IgnoreCase.And.Not.Contain(system.DataFolder));
            Assert.That(text, Does.Not.Contain("does not answer").And.Not.Contain("青山县"), "no description either");
        });
    }

    [Test]
    public async Task Should_be_unready_but_live_when_the_broker_goes_away()
    {
        // The processes reach the test broker through a proxy of this test's own; cutting it is the broker going away.
        var broker = RabbitBroker.RequireRunning();
        await using var proxy = new TcpProxy(broker.Port);
        var folder = TestSettings.NewDataFolder();
        try
        {
            var settings = TestSettings.Distributed(folder, broker);
            settings["Whistle:Bus:RabbitMq:Port"] = proxy.Port.ToString(CultureInfo.InvariantCulture);
            settings["Whistle:Dispatcher:HealthUrls"] = "http://127.0.0.1:0";
            await using var api = await ApiHost.StartAsync(settings);
            await using var dispatcher = await DispatcherHost.StartAsync(settings);
            await Probe.WaitForAsync(api.BaseAddress, "/health/ready", "Healthy");
            await Probe.WaitForAsync(dispatcher.BaseAddress!, "/health/ready", "Healthy");

            await proxy.CutAsync();
            var (apiStatus, apiReady) = await Probe.WaitForAsync(api.BaseAddress, "/health/ready", "Unhealthy");
            var (dispatcherStatus, dispatcherReady) = await Probe.WaitForAsync(dispatcher.BaseAddress!, "/health/ready", "Unhealthy");
            var (liveStatus, _) = await Probe.GetAsync(dispatcher.BaseAddress!, "/health/live");
            Assert.Multiple(() =>
            {
                Assert.That(apiStatus, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
                Assert.That(apiReady.Check("bus"), Is.EqualTo("Unhealthy"));
                Assert.That(apiReady.Check("database"), Is.EqualTo("Healthy"));
                Assert.That(dispatcherStatus, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
                Assert.That(dispatcherReady.Check("bus"), Is.EqualTo("Unhealthy"));
                Assert.That(liveStatus, Is.EqualTo(HttpStatusCode.OK), "the process is up: no restart would help");
            });
        }
        finally
        {
            broker.Delete();
        }
    }

    [Test]
    public async Task Should_be_degraded_while_an_outbox_row_waits_too_long_and_recover_once_it_is_sent()
    {
        var folder = TestSettings.NewDataFolder();
        var settings = TestSettings.Embedded(folder);
        settings["Whistle:Outbox:PollInterval"] = "01:00:00"; // the relay wakes only when told
        settings["Whistle:Health:OutboxDegradedAfter"] = "00:00:30";
        settings["Whistle:Health:Details"] = "true";
        await using var api = await ApiHost.StartAsync(settings);
        await Probe.WaitForAsync(api.BaseAddress, "/health/ready", "Healthy");

        // A row committed five minutes ago that no relay published: what a stuck relay leaves behind.
        var database = api.Services.GetRequiredService<Core.Storage.WhistleDatabase>();
        await database.ReadAsync(
            c => c.ExecuteAsync(
                "INSERT INTO outbox (message_id, message_type, body, created_at, attempts) VALUES (@Id, 'CountyChanged', '{\"catalogVersion\":1}', @At, 0)",
                new { Id = Guid.NewGuid().ToString(), At = DateTimeOffset.UtcNow.AddMinutes(-5) }),
            CancellationToken.None);
        var (status, degraded) = await Probe.WaitForAsync(api.BaseAddress, "/health/ready", "Degraded");
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), "Degraded still takes traffic");
            Assert.That(degraded.Check("outbox"), Is.EqualTo("Degraded"));
            Assert.That(double.Parse(degraded["checks"]!["outbox"]!["data"]!.Str("oldestUnsentSeconds"), CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(300));
            Assert.That(degraded.Check("database"), Is.EqualTo("Healthy"));
        });

        api.Services.GetRequiredService<OutboxSignal>().Notify();
        var (_, recovered) = await Probe.WaitForAsync(api.BaseAddress, "/health/ready", "Healthy");
        Assert.That(recovered.Check("outbox"), Is.EqualTo("Healthy"));
    }
}
