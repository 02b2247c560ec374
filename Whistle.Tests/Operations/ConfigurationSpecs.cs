using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Whistle.Dispatcher;
using Whistle.Tests.Support;

namespace Whistle.Tests.Operations;

/// <summary>A wrong or missing setting stops the process at start with a message naming the setting.</summary>
[NonParallelizable]
public sealed class When_the_configuration_is_wrong
{
    [TestCase("Whistle:Database:Provider", "SqlServer", "Whistle:Database:ConnectionString is required")]
    [TestCase("Whistle:Bus:RabbitMq:Port", "0", "Whistle:Bus:RabbitMq:Port must be between 1 and 65535")]
    [TestCase("Whistle:Bus:Transport", "RabbitMq", "Whistle:Auth:SigningKey is required with Whistle:Bus:Transport=RabbitMq")]
    [TestCase("Whistle:Auth:SigningKey", "dG9vIHNob3J0", "Whistle:Auth:SigningKey must be base64 of at least 32 bytes")]
    [TestCase("Whistle:Auth:TokenLifetime", "-01:00:00", "Whistle:Auth:TokenLifetime must be positive")]
    [TestCase("Whistle:Auth:LoginAttemptsPerMinute", "0", "Whistle:Auth:LoginAttemptsPerMinute must be between 1 and 10000")]
    [TestCase("Whistle:Api:MaxRequestBodyBytes", "10", "Whistle:Api:MaxRequestBodyBytes must be between 1024")]
    [TestCase("Whistle:Outbox:Retention", "00:00:00", "Whistle:Outbox:Retention must be positive")]
    [TestCase("Whistle:Outbox:BatchSize", "5000", "Whistle:Outbox:BatchSize must be between 1 and 1000")]
    [TestCase("Whistle:Outbox:MaxAttempts", "0", "Whistle:Outbox:MaxAttempts must be between 1 and 1000")]
    [TestCase("Whistle:Outbox:PublishTimeout", "00:00:30", "Whistle:Outbox:ClaimTimeout must be longer than Whistle:Outbox:PublishTimeout")]
    [TestCase("Whistle:Deadlines:PollInterval", "00:00:00", "Whistle:Deadlines:PollInterval must be positive")]
    [TestCase("Whistle:Health:OutboxDegradedAfter", "00:00:00", "Whistle:Health:OutboxDegradedAfter must be positive")]
    [TestCase("Whistle:Telemetry:SampleInterval", "00:00:00", "Whistle:Telemetry:SampleInterval must be at least")]
    [TestCase("Whistle:County:File", " ", "Whistle:County:File must name the county file")]
    [TestCase("Whistle:Audit:Retention", "90.00:00:00", "Whistle:Audit:Retention must be at least 180 days")]
    [TestCase("Whistle:Audit:SealInterval", "00:00:00", "Whistle:Audit:SealInterval must be between")]
    public async Task Should_refuse_to_start_the_Api_naming_the_setting(string key, string value, string message)
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings[key] = value;
        // One OptionsValidationException, or several gathered in an AggregateException by the start-up validator.
        var failure = Assert.CatchAsync<Exception>(async () => await (await ApiHost.StartAsync(settings)).DisposeAsync());
        Assert.That(failure, Is.InstanceOf<OptionsValidationException>().Or.InstanceOf<AggregateException>());
        Assert.That(failure!.Message, Does.Contain(message));
    }

    [TestCase("Whistle:Database:Provider", "Oracle", "Whistle:Database:Provider")]
    [TestCase("Whistle:Telemetry:ConsoleFormat", "Xml", "Whistle:Telemetry:ConsoleFormat")]
    public void Should_refuse_a_value_of_the_wrong_kind_naming_the_setting(string key, string value, string named)
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings[key] = value;
        var failure = Assert.ThrowsAsync<InvalidOperationException>(async () => await (await ApiHost.StartAsync(settings)).DisposeAsync());
        Assert.That(failure!.Message, Does.Contain($"'{named}'"));
    }

    [TestCase("localhost:8081")]
    [TestCase("http://0.0.0.0:8081/health")]
    public void Should_refuse_a_dispatcher_health_url_that_is_no_listen_address(string url)
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Dispatcher:HealthUrls"] = url;
        var failure = Assert.Throws<OptionsValidationException>(() => DispatcherProgram.CreateBuilder([], c => c.AddInMemoryCollection(settings)));
        Assert.That(failure!.Message, Does.Contain("Whistle:Dispatcher:HealthUrls").And.Contain(url));
    }
}

/// <summary>README.md's configuration table: one row for every setting the code binds, and no row for one it does not.</summary>
public sealed class When_an_operator_reads_the_configuration_table
{
    [Test]
    public void Should_list_every_option_the_code_binds()
    {
        var readme = File.ReadAllLines(Path.Combine(Repository.Root, "README.md"));
        var start = Array.FindIndex(readme, l => l.Trim() == "## Configuration");
        var rows = readme.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();
        var documented = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in rows)
        {
            // "`Whistle:Outbox:PollInterval` / `BatchSize`": the first key in full, its siblings by their last segment.
            var keys = Regex.Matches(row.Split('|')[1], "`([^`]+)`").Select(m => m.Groups[1].Value).ToList();
            if (!keys[0].StartsWith("Whistle:", StringComparison.Ordinal))
            {
                continue; // OTEL_*: read by the OpenTelemetry SDK
            }

            var parent = keys[0][..keys[0].LastIndexOf(':')];
            documented.Add(keys[0]);
            foreach (var sibling in keys.Skip(1)) documented.Add($"{parent}:{sibling}");
        }

        var bound = When_an_operator_deploys_from_the_deploy_folder.OptionKeys();
        Assert.Multiple(() =>
        {
            Assert.That(bound.Except(documented, StringComparer.OrdinalIgnoreCase), Is.Empty, "options without a row");
            Assert.That(documented.Where(k => k.StartsWith("Whistle:", StringComparison.Ordinal)).Except(bound, StringComparer.OrdinalIgnoreCase), Is.Empty, "rows without an option");
        });
    }
}

/// <summary>A person at a terminal reads the embedded way's logs; a log collector reads the deployed way's.</summary>
public sealed class When_a_process_writes_its_console_logs
{
    [Test]
    public async Task Should_write_readable_lines_in_the_embedded_way_by_default()
    {
        await using var api = await ApiHost.StartAsync(TestSettings.Embedded(TestSettings.NewDataFolder()));
        var console = api.Services.GetRequiredService<IOptions<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>>().Value;
        Assert.That(console.FormatterName, Is.Not.EqualTo(Microsoft.Extensions.Logging.Console.ConsoleFormatterNames.Json));
    }

    [Test]
    public void Should_write_json_lines_where_it_is_deployed_on_RabbitMq()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Bus:Transport"] = "RabbitMq";
        using var host = DispatcherProgram.Build(DispatcherProgram.CreateBuilder([], c => c.AddInMemoryCollection(settings)));
        var console = host.Services.GetRequiredService<IOptions<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>>().Value;
        Assert.That(console.FormatterName, Is.EqualTo(Microsoft.Extensions.Logging.Console.ConsoleFormatterNames.Json));
    }

    [Test]
    public async Task Should_write_json_lines_in_the_embedded_way_when_asked()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Telemetry:ConsoleFormat"] = "Json";
        await using var api = await ApiHost.StartAsync(settings);
        var console = api.Services.GetRequiredService<IOptions<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>>().Value;
        Assert.That(console.FormatterName, Is.EqualTo(Microsoft.Extensions.Logging.Console.ConsoleFormatterNames.Json));
    }
}
