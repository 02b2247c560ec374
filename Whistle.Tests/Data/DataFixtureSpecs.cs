using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Whistle.Core.County;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// The storage layer against each database: SQLite always, SQL Server when WHISTLE_TEST_SQLSERVER holds
/// a connection string (an empty database the tests may create tables in).
/// </summary>
public abstract class DataFixture
{
    protected IHost Host { get; private set; } = null!;

    protected WhistleDatabase Database => Host.Services.GetRequiredService<WhistleDatabase>();

    protected abstract Dictionary<string, string?> Settings();

    [OneTimeSetUp]
    public async Task StartStorage()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(Settings());
        builder.Logging.ClearProviders();
        builder.AddWhistleCore();
        Host = builder.Build();
        await Host.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopStorage()
    {
        if (Host is not null)
        {
            await Host.StopAsync();
            Host.Dispose();
        }
    }

    [Test]
    public async Task Should_import_the_county_idempotently()
    {
        var county = CountyStore.ReadFile(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json"));
        async Task<long[]> Counts() => await Database.ReadAsync(
            async c => new[]
            {
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM townships"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM branches"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM matter_agencies"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM matter_limits"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users"),
            },
            CancellationToken.None);
        var before = await Counts();
        await Database.WriteAsync(async unit => { await CountyStore.ImportAsync(unit, county); await CountyStore.SeedDemoUsersAsync(unit, county, true); unit.Complete(); return 0; }, CancellationToken.None);
        Assert.That(await Counts(), Is.EqualTo(before));
        var loaded = await Database.ReadAsync(CountyStore.LoadAsync, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(loaded.Matters.Select(m => m.Code), Is.EqualTo(county.Matters.Select(m => m.Code)));
            Assert.That(loaded.Branches, Has.Count.EqualTo(county.Branches.Count));
            Assert.That(loaded.Matters[0].Limits, Is.EqualTo(county.Matters[0].Limits));
        });
    }

    [Test]
    public async Task Should_keep_times_in_utc_to_the_tick_and_order_the_timeline()
    {
        var now = new DateTimeOffset(2026, 11, 27, 10, 30, 15, 123, TimeSpan.FromHours(8)).AddTicks(4567);
        var id = Guid.NewGuid().ToString();
        var sequences = await Database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(
                    """
                    INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, status, raised_by_user, raised_by_name, raised_at, updated_at, version)
                    VALUES (@Id, 'chengguan', 'street-vending', 'routine', 't', '', 'a', 'raised', 'u', 'n', @Now, @Now, 0)
                    """,
                    new { Id = id, Now = now },
                    unit.Transaction);
                var events = new List<long>();
                for (var i = 0; i < 3; i++)
                {
                    var e = await Timeline.AppendAsync(
                        unit,
                        new Contracts.WhistleEvent(0, Contracts.WhistleEventTypes.WhistleRaised, id, null, now, new("u", "n", "chengguan"), new(id, "t", "raised", "chengguan", "street-vending", "routine"), null, $"#{i}"),
                        Timeline.Audience("chengguan", []),
                        now);
                    events.Add(e.Sequence);
                }

                unit.Complete();
                return events;
            },
            CancellationToken.None);
        var row = await Database.ReadAsync(c => WhistleData.GetWhistleAsync(c, id), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(row!.RaisedAt, Is.EqualTo(now));
            Assert.That(row.RaisedAt.Offset, Is.EqualTo(TimeSpan.Zero));
            Assert.That(sequences, Is.Ordered.Ascending.And.Unique);
        });
        var outbox = await Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE body LIKE @Like", new { Like = $"%{id}%" }), CancellationToken.None);
        Assert.That(outbox, Is.EqualTo(3), "each event goes to the outbox in the same transaction");
    }

    [Test]
    public async Task Should_roll_back_everything_when_the_transaction_is_not_completed()
    {
        var id = Guid.NewGuid().ToString();
        await Database.WriteAsync(
            async unit =>
            {
                await Outbox.AddAsync(unit, new Contracts.WhistleRaised(id, "chengguan", "street-vending", "routine", [], DateTimeOffset.UtcNow), DateTimeOffset.UtcNow);
                return 0;
            },
            CancellationToken.None);
        var outbox = await Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE body LIKE @Like", new { Like = $"%{id}%" }), CancellationToken.None);
        Assert.That(outbox, Is.Zero);
    }
}

public sealed class When_stored_in_SQLite : DataFixture
{
    private readonly string _folder = TestSettings.NewDataFolder();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Whistle:DataFolder"] = _folder,
        ["Whistle:Demo:Enabled"] = "true",
    };

    [Test]
    public async Task Should_use_write_ahead_logging() =>
        Assert.That(await Database.ReadAsync(c => c.ExecuteScalarAsync<string>("PRAGMA journal_mode;"), CancellationToken.None), Is.EqualTo("wal"));
}

public sealed class When_stored_in_SQL_Server : DataFixture
{
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable("WHISTLE_TEST_SQLSERVER");

    protected override Dictionary<string, string?> Settings()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            Assert.Ignore("SQL Server is not available on this machine: set WHISTLE_TEST_SQLSERVER to the connection string of an empty database to run these tests.");
        }

        return new()
        {
        ["Whistle:DataFolder"] = TestSettings.NewDataFolder(),
        ["Whistle:Database:Provider"] = "SqlServer",
        ["Whistle:Database:ConnectionString"] = ConnectionString,
        ["Whistle:Demo:Enabled"] = "true",
        };
    }
}
