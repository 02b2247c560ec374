using System.Globalization;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Whistle.Core.Messaging;
using Whistle.Core.Options;
using Whistle.Core.Storage;

namespace Whistle.Core.Health;

/// <summary>
/// The readiness check <c>relay</c>, wherever a bus (and so an outbox relay) runs. Unhealthy while this instance's
/// relay cannot publish (its last publish failed and none succeeded since: a broker link that is down or hangs,
/// which MassTransit's own state may not show); Degraded while outbox rows are set aside as unreadable, naming them.
/// </summary>
internal sealed class OutboxRelayHealthCheck(OutboxRelay relay, WhistleDatabase database, IOptions<OutboxOptions> options) : IHealthCheck
{
    public const string Name = "relay";

    private const int Shown = 5;

    private const string SetAsideCountSql = "SELECT COUNT(*) FROM outbox WHERE set_aside_at IS NOT NULL;";

    private const string SetAsideSql = "SELECT id, message_type AS MessageType, set_aside_at AS SetAsideAt FROM outbox WHERE set_aside_at IS NOT NULL ORDER BY id";

    private static string FirstSetAsideSql(SqlDialect dialect) => dialect.Limit(SetAsideSql, Shown.ToString(CultureInfo.InvariantCulture)) + ";";

    private sealed record SetAsideRow(long Id, string MessageType, DateTimeOffset SetAsideAt);

    public static IHostApplicationBuilder AddOutboxRelayHealthCheck(IHostApplicationBuilder builder)
    {
        var timeout = builder.Configuration.GetSection(HealthOptions.Section).Get<HealthOptions>()?.CheckTimeout ?? TimeSpan.FromSeconds(5);
        builder.Services.AddHealthChecks().AddCheck<OutboxRelayHealthCheck>(Name, HealthStatus.Unhealthy, [WhistleHealth.ReadyTag], timeout);
        return builder;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = relay.State;
        var data = new Dictionary<string, object>();
        if (state.LastSuccess is { } success) data["lastPublishSucceededAt"] = success.ToString("O", CultureInfo.InvariantCulture);
        if (state.LastFailure is { } failure) data["lastPublishFailedAt"] = failure.ToString("O", CultureInfo.InvariantCulture);

        long count;
        List<SetAsideRow> rows;
        try
        {
            (count, rows) = await database.ReadAsync(
                async c => (
                    await c.ExecuteScalarAsync<long>(SetAsideCountSql),
                    (await c.QueryAsync<SetAsideRow>(database.Dialect.Sql(FirstSetAsideSql))).ToList()),
                cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The outbox cannot be read.", ex, data);
        }

        data["setAside"] = count;
        var setAside = count == 0
            ? null
            : $"{count} outbox row(s) set aside as unreadable after {options.Value.MaxAttempts} attempts, not published: "
              + string.Join(", ", rows.Select(r => $"#{r.Id} {r.MessageType} (since {r.SetAsideAt.ToString("u", CultureInfo.InvariantCulture)})"))
              + (count > Shown ? ", …" : "")
              + ". The rest of the stream goes on; see docs/RELIABILITY.md to publish or remove them.";
        if (!state.CanPublish)
        {
            var failedAt = state.LastFailure!.Value.ToString("u", CultureInfo.InvariantCulture);
            var description = $"This instance's outbox relay cannot publish: its last publish failed at {failedAt} and none has succeeded since. It holds no claim; other instances' relays carry the stream."
                + (setAside is null ? "" : " " + setAside);
            return new HealthCheckResult(context.Registration.FailureStatus, description, state.LastError, data);
        }

        return setAside is null
            ? HealthCheckResult.Healthy("The outbox relay publishes.", data)
            : HealthCheckResult.Degraded(setAside, data: data);
    }
}
