using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Whistle.Api.Hosting;
using Whistle.Dispatcher;

namespace Whistle.Tests.Support;

/// <summary>A running Whistle.Api on real Kestrel at 127.0.0.1 with a port of its own.</summary>
public sealed class ApiHost : IAsyncDisposable
{
    private ApiHost(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => App.Services;

    public static async Task<ApiHost> StartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? services = null, ILoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (logs is null)
        {
            builder.Logging.AddFilter(_ => false);
        }
        else
        {
            builder.Logging.AddProvider(logs);
        }

        builder.AddWhistleApi();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapWhistleApi();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ApiHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await App.StopAsync(timeout.Token);
        await App.DisposeAsync();
    }
}

/// <summary>A running Whistle.Dispatcher host, as its own program builds it.</summary>
public sealed class DispatcherHost(IHost host) : IAsyncDisposable
{
    public IServiceProvider Services => host.Services;

    /// <summary>Where its probes answer, when it was given <c>Whistle:Dispatcher:HealthUrls</c>.</summary>
    public Uri? BaseAddress => host.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.Select(a => new Uri(a)).FirstOrDefault();

    public static async Task<DispatcherHost> StartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var builder = DispatcherProgram.CreateBuilder([], configuration => configuration.AddInMemoryCollection(settings));
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        var host = DispatcherProgram.Build(builder);
        await host.StartAsync();
        return new DispatcherHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StopAsync(timeout.Token);
        host.Dispose();
    }
}

/// <summary>Settings for test hosts: a data folder of their own, and a shared signing key.</summary>
public static class TestSettings
{
    public static readonly string SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> Made = new();

    /// <summary>A fresh folder under the temp folder's whistle-tests; deleted at the end of the run at the latest (<see cref="DeleteDataFolders"/>).</summary>
    public static string NewDataFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "whistle-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        Made.Enqueue(folder);
        return folder;
    }

    /// <summary>Deletes every folder <see cref="NewDataFolder"/> made that is still there (only those).</summary>
    public static void DeleteDataFolders()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        while (Made.TryDequeue(out var folder))
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A file still held by a process that is going away: say so rather than fail the run over a temp folder.
                TestContext.Progress.WriteLine($"Could not delete {folder}: {e.Message}");
            }
        }
    }

    public static Dictionary<string, string?> Embedded(string dataFolder) => new()
    {
        ["Whistle:DataFolder"] = dataFolder,
        ["Whistle:Outbox:PollInterval"] = "00:00:01",
        ["Whistle:Auth:LoginAttemptsPerMinute"] = "10000",
        ["Whistle:Auth:RaisesPerMinute"] = "10000",
    };

    /// <summary>
    /// A distributed instance: RabbitMQ, and <paramref name="postgres"/>'s database when given (what
    /// <see cref="WhistleSystem.DistributedAsync"/> gives every instance), else a SQLite file in the data folder.
    /// </summary>
    public static Dictionary<string, string?> Distributed(string dataFolder, RabbitBroker broker, bool inProcessDispatcher = false, PostgresDatabase? postgres = null)
    {
        var settings = Instance(dataFolder, broker, inProcessDispatcher);
        if (postgres is not null)
        {
            settings["Whistle:Database:Provider"] = "PostgreSql";
            settings["Whistle:Database:ConnectionString"] = postgres.ConnectionString;
        }

        return settings;
    }

    private static Dictionary<string, string?> Instance(string dataFolder, RabbitBroker broker, bool inProcessDispatcher) => new()
    {
        ["Whistle:DataFolder"] = dataFolder,
        ["Whistle:Demo:Enabled"] = "true",
        ["Whistle:Bus:Transport"] = "RabbitMq",
        ["Whistle:Bus:RabbitMq:Host"] = "127.0.0.1",
        ["Whistle:Bus:RabbitMq:Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Whistle:Bus:RabbitMq:VirtualHost"] = broker.VirtualHost,
        ["Whistle:Bus:RabbitMq:UserName"] = "guest",
        ["Whistle:Bus:RabbitMq:Password"] = "guest",
        ["Whistle:Dispatcher:InProcess"] = inProcessDispatcher ? "true" : "false",
        ["Whistle:Auth:SigningKey"] = SigningKey,
        ["Whistle:Outbox:PollInterval"] = "00:00:01",
        ["Whistle:Auth:LoginAttemptsPerMinute"] = "10000",
        ["Whistle:Auth:RaisesPerMinute"] = "10000",
    };
}
