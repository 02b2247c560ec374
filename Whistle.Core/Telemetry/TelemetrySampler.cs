using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Core.Telemetry;

/// <summary>Reads the gauges that live in the database (outbox age, assignments by state) at an interval.</summary>
internal sealed partial class TelemetrySampler(
    WhistleDatabase database,
    WhistleMetrics metrics,
    TimeProvider time,
    IOptions<TelemetryOptions> options,
    ILogger<TelemetrySampler> logger) : BackgroundService
{
    private const string AssignmentsByStateSql = "SELECT status AS State, COUNT(*) AS Count FROM assignments GROUP BY status;";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var age = await Outbox.OldestUnsentAgeAsync(database, time, stoppingToken);
                var states = await database.ReadAsync(
                    async c => (await c.QueryAsync<(string State, long Count)>(AssignmentsByStateSql)).ToDictionary(r => r.State, r => r.Count),
                    stoppingToken);
                metrics.Sampled(new DatabaseSample(age, states));
                await timer.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex);
                await Task.Delay(options.Value.SampleInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sampling the database gauges failed; the last values stay.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
