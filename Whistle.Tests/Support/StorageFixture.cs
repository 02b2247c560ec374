using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;

namespace Whistle.Tests.Support;

/// <summary>
/// A fixture over Whistle's storage alone (no Api, no dispatcher): a host with <c>AddWhistleCore</c> on the settings the
/// subclass gives — SQLite in a fresh data folder, or <see cref="PostgreSqlSettings"/>: a PostgreSQL database of the
/// fixture's own on the test cluster, dropped after the host stopped. The data folders it made
/// (<see cref="NewDataFolder"/>) are deleted when it ends.
/// </summary>
public abstract class StorageFixture
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Structure", "NUnit1032", Justification = "Dropped in StopStorage, after the host stopped.")]
    private PostgresDatabase? _postgres;

    private readonly List<string> _folders = [];

    protected IHost Host { get; private set; } = null!;

    protected WhistleDatabase Database => Host.Services.GetRequiredService<WhistleDatabase>();

    protected abstract Dictionary<string, string?> Settings();

    /// <summary>A fresh data folder under the temp folder, deleted when the fixture ends.</summary>
    protected string NewDataFolder()
    {
        var folder = TestSettings.NewDataFolder();
        _folders.Add(folder);
        return folder;
    }

    /// <summary>A fresh PostgreSQL database on the test cluster (the demo county in it), dropped when the fixture ends.</summary>
    protected Dictionary<string, string?> PostgreSqlSettings()
    {
        _postgres = PostgresServer.Require().CreateDatabase();
        return new()
        {
            ["Whistle:DataFolder"] = NewDataFolder(),
            ["Whistle:Database:Provider"] = "PostgreSql",
            ["Whistle:Database:ConnectionString"] = _postgres.ConnectionString,
            ["Whistle:Demo:Enabled"] = "true",
        };
    }

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

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        // Only the folders this fixture made; SQLite's pooled connections let go of their files first.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }

        _folders.Clear();
    }
}
