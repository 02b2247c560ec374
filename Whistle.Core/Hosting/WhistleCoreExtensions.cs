using System.Data.Common;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Whistle.Core.Attachments;
using Whistle.Core.Health;
using Whistle.Core.Messaging;
using Whistle.Core.Notices;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Core.Telemetry;

namespace Whistle.Core.Hosting;

/// <summary>Names for the queues that belong to one host only (push, county reload): one per bus, so
/// two hosts in one process (as in the tests) are two instances too.</summary>
public sealed class InstanceQueues
{
    public string Suffix { get; } = $"-{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..12]}".ToLowerInvariant();

    public static readonly TimeSpan ExpireWhenUnused = TimeSpan.FromMinutes(10);

    /// <summary>Puts a consumer on a queue of this instance's own, so that every instance gets every message.</summary>
    public void OnThisInstance(IEndpointRegistrationConfigurator endpoint, string name)
    {
        endpoint.Name = name + Suffix;
        endpoint.Temporary = false;
    }
}

public static class WhistleCoreExtensions
{
    /// <summary>
    /// Options, the database, the county, health checks and telemetry: what every Whistle process needs.
    /// <paramref name="serviceName"/> names the process in traces and metrics (unless <c>OTEL_SERVICE_NAME</c> is set).
    /// </summary>
    public static IHostApplicationBuilder AddWhistleCore(this IHostApplicationBuilder builder, string serviceName = "whistle-api")
    {
        DateTimeOffsetHandler.Register();
        var services = builder.Services;
        // Each rule names the setting it checks, so that a wrong or missing value stops the process at start
        // with a message an operator can act on.
        services.AddOptions<WhistleOptions>().BindConfiguration(WhistleOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataFolder), "Whistle:DataFolder must name a folder (default: data).")
            .Validate(o => !string.IsNullOrWhiteSpace(o.County.File), "Whistle:County:File must name the county file (default: county/demo-county.json).")
            .Validate(o => o.PublicBaseUrl is null || (Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" && string.IsNullOrEmpty(u.Query) && string.IsNullOrEmpty(u.Fragment)), "Whistle:PublicBaseUrl must be an absolute http(s) address without query or fragment, e.g. https://whistle.example.gov.cn")
            .Validate(o => !(o.Production && o.Demo.Enabled == true), "Whistle:Demo:Enabled cannot be true when Whistle:Production is true: demo accounts have the password 'demo'.")
            .ValidateOnStart();
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section)
            .Validate(o => SqlDialect.For(o.Provider).IsEmbedded || !string.IsNullOrWhiteSpace(o.ConnectionString), "Whistle:Database:ConnectionString is required when Whistle:Database:Provider is a database server (SqlServer, PostgreSql).")
            .ValidateOnStart();
        services.AddOptions<BusOptions>().BindConfiguration(BusOptions.Section)
            .Validate(o => o.Transport != BusTransport.RabbitMq || !string.IsNullOrWhiteSpace(o.RabbitMq.Host), "Whistle:Bus:RabbitMq:Host is required with Whistle:Bus:Transport=RabbitMq.")
            .Validate(o => o.RabbitMq.Port is >= 1 and <= 65535, "Whistle:Bus:RabbitMq:Port must be between 1 and 65535 (default: 5672).")
            .Validate(o => o.Transport != BusTransport.RabbitMq || !string.IsNullOrWhiteSpace(o.RabbitMq.VirtualHost), "Whistle:Bus:RabbitMq:VirtualHost must not be empty (default: /).")
            .Validate(o => o.Transport != BusTransport.RabbitMq || (!string.IsNullOrWhiteSpace(o.RabbitMq.UserName) && !string.IsNullOrEmpty(o.RabbitMq.Password)), "Whistle:Bus:RabbitMq:UserName and Password are required with Whistle:Bus:Transport=RabbitMq.")
            .ValidateOnStart();
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section)
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Whistle:Outbox:PollInterval must be positive, e.g. 00:00:02.")
            .Validate(o => o.ClaimTimeout > TimeSpan.Zero, "Whistle:Outbox:ClaimTimeout must be positive, e.g. 00:00:15.")
            .Validate(o => o.PublishTimeout > TimeSpan.Zero, "Whistle:Outbox:PublishTimeout must be positive, e.g. 00:00:10.")
            .Validate(o => o.Retention > TimeSpan.Zero, "Whistle:Outbox:Retention must be positive, e.g. 1.00:00:00.")
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Whistle:Outbox:BatchSize must be between 1 and 1000.")
            .Validate(o => o.MaxAttempts is >= 1 and <= 1000, "Whistle:Outbox:MaxAttempts must be between 1 and 1000 (default: 5).")
            .Validate(o => o.ClaimTimeout > o.PublishTimeout, "Whistle:Outbox:ClaimTimeout must be longer than Whistle:Outbox:PublishTimeout (defaults: 00:00:15 and 00:00:10): a relay renews its claim before a publish could outlive it.")
            .ValidateOnStart();
        services.AddOptions<AttachmentOptions>().BindConfiguration(AttachmentOptions.Section)
            .Validate(o => o.MaxFileBytes is >= 1024 and <= 1024L * 1024 * 1024, "Whistle:Attachments:MaxFileBytes must be between 1024 and 1073741824 (default: 20971520, 20 MiB).")
            .Validate(o => o.MaxItemBytes >= o.MaxFileBytes && o.MaxItemBytes <= 4L * 1024 * 1024 * 1024, "Whistle:Attachments:MaxItemBytes must be at least Whistle:Attachments:MaxFileBytes and at most 4294967296 (default: 62914560, 60 MiB).")
            .Validate(o => o.MaxFilesPerItem is >= 1 and <= 100, "Whistle:Attachments:MaxFilesPerItem must be between 1 and 100 (default: 9).")
            .Validate(o => o.MaxImagePixels is >= 10_000 and <= 200_000_000, "Whistle:Attachments:MaxImagePixels must be between 10000 and 200000000 (default: 50000000).")
            .Validate(o => o.DraftLifetime >= TimeSpan.FromMinutes(5) && o.DraftLifetime <= TimeSpan.FromDays(30), "Whistle:Attachments:DraftLifetime must be between 00:05:00 and 30.00:00:00 (default: 1.00:00:00).")
            .ValidateOnStart();
        services.AddOptions<City.SubmissionOptions>().BindConfiguration(City.SubmissionOptions.Section)
            .Validate(o => o.AnswerDays is >= 1 and <= 366, "Whistle:Submissions:AnswerDays must be between 1 and 366 (default: 10).")
            .Validate(o => o.FilingDays is >= 1 and <= 366, "Whistle:Submissions:FilingDays must be between 1 and 366 (default: 15).")
            .Validate(o => o.RepeatEveryHours is >= 1 and <= 720, "Whistle:Submissions:RepeatEveryHours must be between 1 and 720 (default: 24).")
            .ValidateOnStart();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section)
            .Validate(o => o.Retention >= AuditOptions.MinimumRetention, "Whistle:Audit:Retention must be at least 180 days (180.00:00:00): 等保 2.0 keeps audit records for six months or more (default: 365.00:00:00).")
            .Validate(o => o.SealInterval > TimeSpan.Zero && o.SealInterval <= TimeSpan.FromHours(1), "Whistle:Audit:SealInterval must be between 00:00:00 and 01:00:00, e.g. 00:00:05.")
            .ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<WhistlePaths>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<Notices.NoticeSignal>();
        services.AddSingleton<CountyCatalogHolder>();
        services.AddSingleton(sp => SqlDialect.For(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider));
        services.AddSingleton(sp => sp.GetRequiredService<SqlDialect>().CreateDataSource(sp.GetRequiredService<WhistlePaths>().ConnectionString));
        services.AddSingleton(sp => new WhistleDatabase(
            sp.GetRequiredService<DbDataSource>(),
            sp.GetRequiredService<SqlDialect>(),
            sp.GetRequiredService<OutboxSignal>(),
            sp.GetRequiredService<WhistleMetrics>().Committed,
            sp.GetRequiredService<Notices.NoticeSignal>().Wake));
        services.AddSingleton<Messaging.TimelineReader>();

        // The aggregates' owners: every write to their tables goes through them (docs/ARCHITECTURE.md, "Data layer").
        services.AddSingleton<Whistles.WhistleStore>();
        services.AddSingleton<Meetings.MeetingStore>();
        services.AddSingleton<Accounts.AccountStore>();
        services.AddSingleton<County.WhistleListUpkeep>();
        services.AddSingleton<County.CityUpkeep>();
        services.AddSingleton<County.FollowUpStore>();
        services.AddSingleton<Heads.HeadStore>();
        services.AddSingleton<Heads.AssessmentFormStore>();
        services.AddSingleton<Heads.RecommendationStore>();
        services.AddSingleton<City.SubmissionStore>();
        services.AddSingleton<City.SubmissionQueries>();
        services.AddSingleton<Assessment.StatsQueries>(); // the assessment's figures: the API's and the forms' pre-fill

        // Registered before the bus so that the schema and the county exist before any consumer runs.
        services.AddSingleton<DatabaseInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseInitializer>());
        services.AddSingleton<Heads.DemoFormReader>();
        services.AddHostedService<Heads.HeadsDemo>(); // after the initializer: the demo county's closed period
        services.AddSingleton<AuditChain>();
        // The attachments' bytes: in the database unless a deployment registered another store first (its object store).
        services.TryAddSingleton<IAttachmentContent, DatabaseAttachmentContent>();
        services.AddSingleton<AttachmentStore>();
        services.AddHostedService<AuditSealer>();
        builder.AddWhistleNoticeSecrets(); // after the initializer: its start-up encryption needs the migrated schema
        builder.AddWhistleHealthChecks();
        builder.AddWhistleTelemetry(serviceName);
        return builder;
    }

    /// <summary>Migrates, imports the county and loads it, outside the host's start (for command-line tools).</summary>
    public static Task InitializeDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetServices<IHostedService>().OfType<DatabaseInitializer>().Single().StartAsync(cancellationToken);

    /// <summary>
    /// The one-shot migration (a deployment's migration Job): validates the options, creates the SQL Server
    /// database when it does not exist, runs the migrations and imports the county file, then returns.
    /// </summary>
    public static async Task MigrateAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        services.GetRequiredService<IStartupValidator>().Validate();
        await services.GetRequiredService<DatabaseInitializer>().MigrateAsync(ensureDatabase: true, cancellationToken);
    }

    /// <summary>
    /// MassTransit on the configured transport, with the given consumers, and the outbox relay.
    /// RabbitMQ: durable queues and persistent messages (MassTransit's defaults) with publisher confirms.
    /// </summary>
    public static IHostApplicationBuilder AddWhistleBus(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator, InstanceQueues> consumers)
    {
        var instance = new InstanceQueues();
        builder.Services.AddSingleton(instance);
        var bus = builder.Configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        if (bus.Transport == BusTransport.RabbitMq)
        {
            // Registered before MassTransit's hosted service, so the bus starts once the broker answers.
            builder.Services.AddHostedService<BrokerStartupGate>();
        }

        builder.AddWhistleBusHealthCheck();
        OutboxRelayHealthCheck.AddOutboxRelayHealthCheck(builder);
        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            // MassTransit's own check stays out of readiness; WhistleHealth's "bus" check reads the same state stricter.
            x.ConfigureHealthCheckOptions(h =>
            {
                h.Name = "masstransit";
                h.Tags.Clear();
                h.Tags.Add("masstransit");
            });
            x.AddConsumer<CountyChangedConsumer>().Endpoint(e => instance.OnThisInstance(e, "county-changed"));
            // Queues of this instance alone: durable (a broker restart keeps them and their bindings, so no
            // event published meanwhile is dropped for want of a queue) and deleted by the broker once unused
            // for a while (an instance that is gone for good leaves nothing behind).
            x.AddConfigureEndpointsCallback((name, cfg) =>
            {
                if (cfg is IRabbitMqReceiveEndpointConfigurator rabbit && name.EndsWith(instance.Suffix, StringComparison.Ordinal))
                {
                    rabbit.QueueExpiration = InstanceQueues.ExpireWhenUnused;
                }
            });
            consumers(x, instance);
            if (bus.Transport == BusTransport.InMemory)
            {
                x.UsingInMemory((context, cfg) =>
                {
                    OutboxWire.ReadBothWires(cfg);
                    cfg.ConfigureEndpoints(context);
                });
                return;
            }

            x.UsingRabbitMq((context, cfg) =>
            {
                var rabbit = bus.RabbitMq;
                cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                {
                    h.Username(rabbit.UserName);
                    h.Password(rabbit.Password);
                    h.PublisherConfirmation = true;
                });
                cfg.Durable = true;
                OutboxWire.ReadBothWires(cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromMinutes(5);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddSingleton<OutboxRelay>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        builder.Services.AddSingleton(sp => new WakeSubscription(Outbox.WakeChannel, sp.GetRequiredService<OutboxSignal>().Notify, "the outbox relay"));
        builder.Services.AddHostedService<WakeListener>();
        return builder;
    }
}
