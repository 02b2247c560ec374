using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Core.Health;

/// <summary><c>Whistle:Health</c>.</summary>
public sealed class HealthOptions
{
    public const string Section = "Whistle:Health";

    /// <summary>The instance reports Degraded when the oldest unsent outbox row is older than this.</summary>
    public TimeSpan OutboxDegradedAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one readiness check may take before it counts as failed.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Show each check's description, duration, error and data in the probes' answers. Off by default: the
    /// probes answer anyone who reaches the port, and an exception's text tells an outsider about the insides
    /// (file paths, host names, versions); the status of each check is all a probe or a load balancer needs.
    /// Turn it on where only operators reach the endpoints (the Dispatcher's <c>HealthUrls</c> port, an
    /// internal network); failures are logged with their details either way.
    /// </summary>
    public bool Details { get; set; }
}

/// <summary>
/// <c>/health/live</c>: the process answers (no checks). <c>/health/ready</c>: the database answers a
/// query, the bus is connected (every receive endpoint, where a bus runs), the county is loaded, and the
/// outbox relay keeps up (Degraded beyond <see cref="HealthOptions.OutboxDegradedAfter"/>).
/// </summary>
public static class WhistleHealth
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddWhistleHealthChecks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section)
            .Validate(o => o.OutboxDegradedAfter > TimeSpan.Zero, "Whistle:Health:OutboxDegradedAfter must be positive, e.g. 00:01:00.")
            .Validate(o => o.CheckTimeout >= TimeSpan.FromMilliseconds(100) && o.CheckTimeout <= TimeSpan.FromMinutes(5), "Whistle:Health:CheckTimeout must be between 00:00:00.1 and 00:05:00 (default: 00:00:05).")
            .ValidateOnStart();
        var timeout = builder.Configuration.GetSection(HealthOptions.Section).Get<HealthOptions>()?.CheckTimeout ?? TimeSpan.FromSeconds(5);
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", HealthStatus.Unhealthy, [ReadyTag], timeout)
            .AddCheck<CountyHealthCheck>("county", HealthStatus.Unhealthy, [ReadyTag], timeout)
            .AddCheck<OutboxHealthCheck>("outbox", HealthStatus.Unhealthy, [ReadyTag], timeout);
        return builder;
    }

    /// <summary>The bus check joins readiness wherever a bus runs (registered with it).</summary>
    public static IHostApplicationBuilder AddWhistleBusHealthCheck(this IHostApplicationBuilder builder)
    {
        var timeout = builder.Configuration.GetSection(HealthOptions.Section).Get<HealthOptions>()?.CheckTimeout ?? TimeSpan.FromSeconds(5);
        builder.Services.AddHealthChecks().AddCheck<BusHealthCheck>("bus", HealthStatus.Unhealthy, [ReadyTag], timeout);
        return builder;
    }

    public static IEndpointRouteBuilder MapWhistleHealthChecks(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync }).AllowAnonymous();
        return app;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// <c>{status, checks: {name: {status}}}</c>; with <see cref="HealthOptions.Details"/>
    /// <c>{status, totalDurationMs, checks: {name: {status, description, durationMs, error, data}}}</c>.
    /// </summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var details = context.RequestServices.GetRequiredService<IOptions<HealthOptions>>().Value.Details;
        object body = details
            ? new
            {
                status = report.Status.ToString(),
                totalDurationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
                checks = report.Entries.ToDictionary(
                    e => e.Key,
                    e => (object)new
                    {
                        status = e.Value.Status.ToString(),
                        description = e.Value.Description,
                        durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                        error = e.Value.Exception?.Message,
                        data = e.Value.Data.ToDictionary(d => d.Key, d => Convert.ToString(d.Value, CultureInfo.InvariantCulture)),
                    }),
            }
            : new
            {
                status = report.Status.ToString(),
                checks = report.Entries.ToDictionary(e => e.Key, e => (object)new { status = e.Value.Status.ToString() }),
            };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}

/// <summary>The database answers a query that reads a table (so that an unreadable file fails it).</summary>
internal sealed class DatabaseHealthCheck(WhistleDatabase database) : IHealthCheck
{
    private const string PingSql = "SELECT COUNT(*) FROM county;";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // A connection opened now, not a kept read connection (SQLite): that one still holds the file open and
            // would answer after the file became unreadable to every new connection.
            await using var connection = await database.OpenAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(PingSql);
            return HealthCheckResult.Healthy($"{database.Provider} answers.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{database.Provider} does not answer.", ex);
        }
    }
}

/// <summary>
/// The bus is started and every receive endpoint is connected. (MassTransit's own check calls a bus whose
/// endpoints lost the broker "Degraded"; for readiness a lost broker is Unhealthy: no dispatch, no push.)
/// </summary>
internal sealed class BusHealthCheck(IBusControl bus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = bus.CheckHealth();
        var endpoints = health.Endpoints.ToDictionary(e => e.Key, e => (object)$"{e.Value.Status}: {e.Value.Description}");
        var faulted = health.Endpoints.Where(e => e.Value.Status == BusHealthStatus.Unhealthy).Select(e => e.Key).ToList();
        if (health.Status == BusHealthStatus.Unhealthy || faulted.Count > 0)
        {
            var detail = faulted.Count > 0 ? $"Endpoints not connected: {string.Join(", ", faulted)}." : health.Description;
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, detail, health.Exception, endpoints));
        }

        return Task.FromResult(health.Status == BusHealthStatus.Degraded
            ? HealthCheckResult.Degraded(health.Description, health.Exception, endpoints)
            : HealthCheckResult.Healthy(health.Description, endpoints));
    }
}

/// <summary>The county (organisation and whistle list) is loaded into this process.</summary>
internal sealed class CountyHealthCheck(CountyCatalogHolder county) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(county.IsLoaded
            ? HealthCheckResult.Healthy($"County {county.Catalog.County.Name} loaded.")
            : new HealthCheckResult(context.Registration.FailureStatus, "The county has not been loaded."));
}

/// <summary>Degraded when the oldest unsent outbox row waits longer than <see cref="HealthOptions.OutboxDegradedAfter"/>.</summary>
internal sealed class OutboxHealthCheck(WhistleDatabase database, TimeProvider time, IOptions<HealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        TimeSpan age;
        try
        {
            age = await Outbox.OldestUnsentAgeAsync(database, time, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The outbox cannot be read.", ex);
        }

        var limit = options.Value.OutboxDegradedAfter;
        var data = new Dictionary<string, object>
        {
            ["oldestUnsentSeconds"] = Math.Round(age.TotalSeconds, 1),
            ["degradedAfterSeconds"] = limit.TotalSeconds,
        };
        return age > limit
            ? HealthCheckResult.Degraded($"The oldest unsent outbox row waits {age.TotalSeconds:0} s (more than {limit.TotalSeconds:0} s).", data: data)
            : HealthCheckResult.Healthy("The outbox relay keeps up.", data);
    }
}
