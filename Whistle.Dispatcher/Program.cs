using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;
using Whistle.Core.Health;
using Whistle.Core.Hosting;
using Whistle.Core.Telemetry;

namespace Whistle.Dispatcher;

/// <summary><c>Whistle:Dispatcher</c>, as the standalone dispatcher sees it.</summary>
public sealed class DispatcherHostOptions
{
    public const string Section = "Whistle:Dispatcher";

    /// <summary>
    /// Where the dispatcher answers <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>, e.g.
    /// <c>http://0.0.0.0:8081</c> (several separated by <c>;</c>). Empty: no HTTP listener at all.
    /// </summary>
    public string? HealthUrls { get; set; }
}

/// <summary>
/// The standalone dispatcher: routing on RabbitMQ, any number of instances. A worker; with
/// <c>Whistle:Dispatcher:HealthUrls</c> set it is a minimal web application that serves only its probes.
/// </summary>
public static partial class DispatcherProgram
{
    public const string MigrateCommand = "migrate";

    /// <summary>
    /// <c>Whistle.Dispatcher</c> runs the dispatcher; <c>Whistle.Dispatcher migrate</c> migrates the database and exits;
    /// <c>Whistle.Dispatcher requeue-errors</c> moves poisoned messages back (ErrorQueueTool).
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args is [MigrateCommand, ..])
        {
            return await MigrateAsync(args[1..]);
        }

        if (args is [ErrorQueueTool.Command, ..])
        {
            var queue = args.Length > 1 && !args[1].StartsWith('-') ? args[1] : ErrorQueueTool.DefaultQueue;
            var configuration = CreateBuilder(args.Skip(1).Where(a => a.StartsWith('-')).ToArray()).Configuration;
            var bus = configuration.GetSection(Whistle.Core.Options.BusOptions.Section).Get<Whistle.Core.Options.BusOptions>() ?? new();
            await ErrorQueueTool.RequeueAsync(bus.RabbitMq, queue, Console.Out, CancellationToken.None);
            return 0;
        }

        using var host = Build(CreateBuilder(args));
        await host.RunAsync();
        return 0;
    }

    /// <summary>
    /// The one-shot migration (compose's migrate step, Kubernetes' migration Job): creates the SQL Server
    /// database if needed, runs the migrations, imports the county file; exit code 0 when done, 1 on failure.
    /// Migrates whatever <c>Whistle:Database:Migrate</c> says (app instances have it false when a Job migrates).
    /// </summary>
    public static async Task<int> MigrateAsync(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(args);
        configure?.Invoke(builder.Configuration);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Whistle:Database:Migrate"] = "true" });
        builder.AddWhistleCore("whistle-migrate");
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DispatcherProgram));
        try
        {
            await host.Services.MigrateAsync(CancellationToken.None);
            await host.Services.GetRequiredService<Whistle.Core.Notices.NoticeSecrets>().EncryptPlainRowsAsync(CancellationToken.None);
            LogMigrated(logger);
            return 0;
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or System.Data.Common.DbException or IOException)
        {
            LogMigrationFailed(logger, ex);
            return 1;
        }
    }

    public static IHostApplicationBuilder CreateBuilder(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        // The configuration decides whether this process listens, so it is read before the builder is chosen.
        var worker = Host.CreateApplicationBuilder(args);
        Configure(worker.Configuration, configure);
        var healthUrls = worker.Configuration.GetSection(DispatcherHostOptions.Section).Get<DispatcherHostOptions>()?.HealthUrls;
        if (string.IsNullOrWhiteSpace(healthUrls))
        {
            return Compose(worker);
        }

        var urls = healthUrls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.FirstOrDefault(u => !IsListenUrl(u)) is { } wrong)
        {
            throw new OptionsValidationException(DispatcherHostOptions.Section, typeof(DispatcherHostOptions),
                [$"Whistle:Dispatcher:HealthUrls: '{wrong}' is not a listen address like http://0.0.0.0:8081 or http://+:8081."]);
        }

        var web = WebApplication.CreateSlimBuilder(args);
        Configure(web.Configuration, configure);
        web.WebHost.UseUrls(urls);
        return Compose(web);
    }

    /// <summary>Builds the host; a web host maps the probes.</summary>
    public static IHost Build(IHostApplicationBuilder builder)
    {
        switch (builder)
        {
            case WebApplicationBuilder web:
                var app = web.Build();
                app.MapWhistleHealthChecks();
                app.MapWhistleMetrics();
                return app;
            case HostApplicationBuilder worker:
                return worker.Build();
            default:
                throw new ArgumentException($"Not a dispatcher builder: {builder.GetType()}.", nameof(builder));
        }
    }

    private static bool IsListenUrl(string url) =>
        Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/";

    private static void Configure(IConfigurationManager configuration, Action<IConfigurationBuilder>? configure)
    {
        // Standalone means distributed: RabbitMQ unless configured otherwise (lowest precedence).
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?> { ["Whistle:Bus:Transport"] = "RabbitMq" },
        });
        configure?.Invoke(configuration);
    }

    private static IHostApplicationBuilder Compose(IHostApplicationBuilder builder)
    {
        builder.AddWhistleCore("whistle-dispatcher");
        builder.AddWhistleBus((bus, _) => bus.AddWhistleDispatcher());
        builder.AddWhistleDeadlines();
        builder.AddWhistleNotices();
        return builder;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The database is migrated and the county imported.")]
    private static partial void LogMigrated(ILogger logger);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The migration failed.")]
    private static partial void LogMigrationFailed(ILogger logger, Exception exception);
}
