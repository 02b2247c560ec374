using Microsoft.Extensions.DependencyInjection;
using Whistle.Core.Storage;

namespace Whistle.Tests.Support;

/// <summary>
/// A whole Whistle system for a test fixture: either embedded (one Api, in-memory bus, dispatcher
/// in-process, a SQLite file) or distributed (RabbitMQ, Api and Dispatcher as separate hosts over one PostgreSQL
/// database of the system's own on the test command's cluster: a server database, as a deployment has, no shared file;
/// under CI=true a missing PostgreSQL fails the test, elsewhere the test is ignored with that reason).
/// </summary>
public sealed class WhistleSystem : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _hosts = [];

    private WhistleSystem(string name, string dataFolder, RabbitBroker? broker, PostgresDatabase? postgres = null)
    {
        Name = name;
        DataFolder = dataFolder;
        Broker = broker;
        Postgres = postgres;
    }

    /// <summary>The distributed system's database on the test PostgreSQL (null when embedded).</summary>
    public PostgresDatabase? Postgres { get; }

    /// <summary>The settings of one more Api or Dispatcher of this distributed system (with the spec's own, if any).</summary>
    public Dictionary<string, string?> DistributedSettings()
    {
        var settings = TestSettings.Distributed(DataFolder, Broker!, postgres: Postgres);
        foreach (var (key, value) in Settings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Settings of the spec's for every Api and Dispatcher of a distributed system.</summary>
    public IDictionary<string, string?>? Settings { get; private init; }

    public string Name { get; }

    public string DataFolder { get; }

    public RabbitBroker? Broker { get; }

    public List<ApiHost> Apis { get; } = [];

    public List<DispatcherHost> Dispatchers { get; } = [];

    public Uri Api => Apis[0].BaseAddress;

    public WhistleDatabase Database => Apis[0].Services.GetRequiredService<WhistleDatabase>();

    public Action<IServiceCollection>? Services { get; private init; }

    /// <summary>
    /// One Api with the in-memory bus and the dispatcher in-process, on a SQLite file; or, with
    /// <paramref name="database"/> <c>postgresql</c>, on a PostgreSQL database of its own (specs that run on both), its
    /// connection string extended with <paramref name="postgresSettings"/> (such as <c>Maximum Pool Size=1</c>).
    /// </summary>
    public static async Task<WhistleSystem> EmbeddedAsync(
        Action<IServiceCollection>? services = null, IDictionary<string, string?>? settings = null, string database = "sqlite", string? postgresSettings = null)
    {
        var postgres = database switch
        {
            "sqlite" => null,
            "postgresql" => await PostgresServer.Require().CreateDatabaseAsync(),
            _ => throw new ArgumentException($"No test database '{database}' (sqlite, postgresql).", nameof(database)),
        };
        var system = new WhistleSystem("embedded", TestSettings.NewDataFolder(), null, postgres) { Services = services };
        var all = TestSettings.Embedded(system.DataFolder);
        if (postgres is not null)
        {
            all["Whistle:Database:Provider"] = "PostgreSql";
            all["Whistle:Database:ConnectionString"] = postgresSettings is null ? postgres.ConnectionString : $"{postgres.ConnectionString};{postgresSettings}";
            all["Whistle:Demo:Enabled"] = "true";
        }

        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) all[k] = v;
        system.Apis.Add(await ApiHost.StartAsync(all, services));
        system._hosts.Add(system.Apis[0]);
        return system;
    }

    /// <summary>An embedded system with one Open311 client: <paramref name="key"/> raising as township.chengguan (and <paramref name="more"/> settings).</summary>
    public static Task<WhistleSystem> Open311Async(string key, IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Whistle:Open311:ApiKeys:0:Key"] = key,
            ["Whistle:Open311:ApiKeys:0:UserName"] = "township.chengguan",
        };
        foreach (var (k, v) in more ?? new Dictionary<string, string?>()) settings[k] = v;
        return EmbeddedAsync(settings: settings);
    }

    public static async Task<WhistleSystem> DistributedAsync(int apis = 1, int dispatchers = 1, Action<IServiceCollection>? services = null, IDictionary<string, string?>? settings = null)
    {
        var broker = RabbitBroker.RequireRunning();
        var postgres = await PostgresServer.Require().CreateDatabaseAsync();
        var system = new WhistleSystem("distributed", TestSettings.NewDataFolder(), broker, postgres) { Services = services, Settings = settings };
        try
        {
            for (var i = 0; i < apis; i++)
            {
                var api = await ApiHost.StartAsync(system.DistributedSettings(), services);
                system.Apis.Add(api);
                system._hosts.Add(api);
            }

            for (var i = 0; i < dispatchers; i++)
            {
                await system.StartDispatcherAsync();
            }
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }

        return system;
    }

    /// <summary>One more dispatcher, with <paramref name="more"/> settings of its own (an older release's behaviour, say).</summary>
    public async Task<DispatcherHost> StartDispatcherAsync(IDictionary<string, string?>? more = null)
    {
        var settings = DistributedSettings();
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var dispatcher = await DispatcherHost.StartAsync(settings, Services);
        Dispatchers.Add(dispatcher);
        _hosts.Add(dispatcher);
        return dispatcher;
    }

    public async Task StopDispatcherAsync(DispatcherHost dispatcher)
    {
        Dispatchers.Remove(dispatcher);
        _hosts.Remove(dispatcher);
        await dispatcher.DisposeAsync();
    }

    public Task<WhistleClient> SignInAsync(string userName, int api = 0) => WhistleClient.SignInAsync(Apis[api].BaseAddress, userName);

    public Task<PushClient> ConnectAsync(WhistleClient client, int api = 0) => PushClient.ConnectAsync(Apis[api].BaseAddress, client.Token);

    public async ValueTask DisposeAsync()
    {
        for (var i = _hosts.Count - 1; i >= 0; i--)
        {
            await _hosts[i].DisposeAsync();
        }

        Broker?.Delete();
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a finalising pool; the temp folder is cleaned by the OS.
        }
    }
}
