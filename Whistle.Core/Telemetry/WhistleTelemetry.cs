using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

using Whistle.Core.Hosting;
using Whistle.Core.Options;

namespace Whistle.Core.Telemetry;

public enum ConsoleLogFormat
{
    /// <summary>One JSON object per line, with scopes (whistle id, trace id): for log collectors.</summary>
    Json,

    /// <summary>The .NET console's readable lines: for a developer's terminal.</summary>
    Simple,
}

/// <summary><c>Whistle:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Whistle:Telemetry";

    /// <summary>
    /// Unset: <see cref="ConsoleLogFormat.Simple"/> in the embedded way (a person at a terminal, in-memory bus),
    /// <see cref="ConsoleLogFormat.Json"/> where it is deployed (RabbitMQ; deploy/ also sets it explicitly).
    /// </summary>
    public ConsoleLogFormat? ConsoleFormat { get; set; }

    /// <summary>The format in effect for a process on <paramref name="transport"/>.</summary>
    public ConsoleLogFormat EffectiveConsoleFormat(BusTransport transport) =>
        ConsoleFormat ?? (transport == BusTransport.InMemory ? ConsoleLogFormat.Simple : ConsoleLogFormat.Json);

    /// <summary>How often the gauges read from the database (outbox age, assignments by state) are refreshed.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// Traces, metrics and logs of every Whistle process. Traces: ASP.NET Core, HttpClient, MassTransit and
/// the <c>Whistle</c> activity source (outbox relay, dispatch, push, deadlines), one trace per whistle from
/// the HTTP request to the push, carried through the outbox as a W3C <c>traceparent</c>. Metrics: the
/// <c>Whistle</c> meter (<see cref="WhistleMetrics"/>), MassTransit, ASP.NET Core, the runtime. Export:
/// OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; Prometheus text at <c>/metrics</c>.
/// Logs: JSON lines on the console with scopes, so each line handled for a whistle carries its id.
/// </summary>
public static class WhistleTelemetry
{
    public const string Name = "Whistle";
    public const string MetricsPath = "/metrics";
    public const string WhistleIdTag = "whistle.id";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>
    /// The database work's spans (<c>db write transaction</c>, <c>db commit</c>, <c>db durable</c>, <c>db writer turn wait</c>, <c>db read</c>):
    /// infrastructure under the spans of <see cref="Source"/>, as Npgsql's commands are, so without a whistle's id.
    /// </summary>
    public const string DatabaseName = "Whistle.Database";

    public static readonly ActivitySource DatabaseSource = new(DatabaseName);

    /// <summary>The logging scope of work done for one whistle.</summary>
    public static LogScope Scope(string whistleId) => new([new("WhistleId", whistleId)]);

    /// <summary>The logging scope of work done for one assignment of a whistle.</summary>
    public static LogScope Scope(string whistleId, string assignmentId) => new([new("WhistleId", whistleId), new("AssignmentId", assignmentId)]);

    public static IHostApplicationBuilder AddWhistleTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(o => o.SampleInterval >= TimeSpan.FromMilliseconds(100), "Whistle:Telemetry:SampleInterval must be at least 00:00:00.1.")
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        var transport = builder.Configuration.GetSection(BusOptions.Section).Get<BusOptions>()?.Transport ?? BusTransport.InMemory;
        if (options.EffectiveConsoleFormat(transport) == ConsoleLogFormat.Json)
        {
            // What AddJsonConsole does, without adding the console back where a host removed it (tests).
            services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Json);
            services.Configure<JsonConsoleFormatterOptions>(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                // Chinese text stays readable in the log lines (still valid JSON).
                o.JsonWriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            });
        }

        services.AddSingleton<WhistleMetrics>();
        services.AddHostedService<TelemetrySampler>();

        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r =>
            {
                if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
                {
                    r.AddService(serviceName, serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}");
                }
            })
            .WithTracing(t => t
                .AddSource(Name, DatabaseName, "MassTransit")
                // ASP.NET Core's instrumentation brings SignalR's hub method spans too (CatchUp: roots of their own).
                // The WebSocket request a hub connection rides lasts the connection's life (hours), so it is not traced:
                // a span that ends when a branch goes offline says nothing, and every idle connection kept its tags
                // (docs/benchmarks/2026-12-03-memory.md).
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path) && !WebSocketHandshakes.IsHandshake(context))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(m => m
                .AddMeter(Name, "MassTransit", "System.Runtime")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Endpoint, protocol, headers and the rest from the standard OTEL_EXPORTER_OTLP_* variables.
            otel.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>The Prometheus scrape endpoint (text exposition format).</summary>
    public static IEndpointRouteBuilder MapWhistleMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
        return app;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments(MetricsPath, StringComparison.OrdinalIgnoreCase);
}

/// <summary>A logging scope of named values: each becomes a property of the JSON log line's scope.</summary>
public sealed class LogScope(IReadOnlyList<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => values.Count;

    public KeyValuePair<string, object?> this[int index] => values[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join(", ", values.Select(v => $"{v.Key}:{v.Value}"));
}
