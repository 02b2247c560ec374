using Dapper;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Core.Telemetry;

namespace Whistle.Dispatcher;

/// <summary>
/// Routes a raised whistle to its branches: creates the assignments with their deadlines and records
/// an <c>AssignmentDispatched</c> event for each, in one transaction. Idempotent twice over: the
/// inbox remembers the message id, and only a whistle still <c>raised</c> is dispatched.
/// </summary>
public sealed partial class WhistleRaisedConsumer(
    WhistleDatabase database,
    CountyCatalogHolder county,
    TimeProvider time,
    WhistleMetrics metrics,
    ILogger<WhistleRaisedConsumer> logger) : IConsumer<WhistleRaised>
{
    private const string MarkDispatchedSql = """
        UPDATE whistles SET status = @Dispatched, updated_at = @Now, version = version + 1
        WHERE id = @Id AND status = @Raised;
        """;

    public async Task Consume(ConsumeContext<WhistleRaised> context)
    {
        var message = context.Message;
        var messageId = context.MessageId ?? throw new InvalidOperationException("A WhistleRaised message arrived without a message id.");
        metrics.Consumed(nameof(WhistleRaisedConsumer), context.SentTime, time.GetUtcNow());
        using var scope = logger.BeginScope(WhistleTelemetry.Scope(message.WhistleId));
        using var activity = WhistleTelemetry.Source.StartActivity("dispatch");
        activity?.SetTag(WhistleTelemetry.WhistleIdTag, message.WhistleId);
        // Route by the newest whistle list: a supervisor may have changed limits a moment ago on another
        // instance (its CountyChanged may still be on the way). One single-row read.
        await county.RefreshIfStaleAsync(database, context.CancellationToken);

        var dispatched = await database.WriteAsync(
            async unit =>
            {
                var now = time.GetUtcNow();
                if (!await Inbox.TryRecordAsync(unit, messageId, nameof(WhistleRaisedConsumer), now))
                {
                    return -1;
                }

                var whistle = await WhistleData.GetWhistleForUpdateAsync(unit, message.WhistleId)
                    ?? throw new InvalidOperationException($"Whistle {message.WhistleId} does not exist.");
                if (whistle.Status != WhistleStatus.Raised)
                {
                    // Cancelled before dispatch, or dispatched by another message: nothing to do.
                    unit.Complete();
                    return 0;
                }

                var catalog = county.Catalog;
                var duties = Routing.Route(catalog, message.MatterCode, message.TownshipId, message.Urgency, message.ExtraAgencyCodes, now);
                var rows = duties.Select((d, i) => new AssignmentRow
                {
                    Id = Guid.CreateVersion7(now).ToString(),
                    WhistleId = whistle.Id,
                    AgencyCode = d.AgencyCode,
                    BranchId = d.BranchId,
                    Role = d.Role,
                    Status = AssignmentStatus.Dispatched,
                    DispatchedAt = now,
                    ReportBy = d.ReportBy,
                    ResolveBy = d.ResolveBy,
                    Position = i,
                }).Select(row =>
                {
                    var first = EscalationPolicy.NextAfter(row.Clock, now, catalog.Escalation);
                    return row with { NextStepAt = first?.At, NextStepKind = first?.Kind, NextStepLevel = first?.Level };
                }).ToList();
                await WhistleData.InsertAssignmentsAsync(unit, rows);
                await unit.Connection.ExecuteAsync(
                    MarkDispatchedSql,
                    new { Id = whistle.Id, Now = now, Dispatched = WhistleStatus.Dispatched, Raised = WhistleStatus.Raised },
                    unit.Transaction);

                var summary = (whistle with { Status = WhistleStatus.Dispatched }).ToSummary();
                var actor = WhistleData.SystemActor(catalog.County.Id);
                foreach (var row in rows)
                {
                    var where = row.BranchId is null ? catalog.FindAgency(row.AgencyCode)?.Name : catalog.FindBranch(row.BranchId)?.Name;
                    await Timeline.AppendAsync(
                        unit,
                        new WhistleEvent(0, WhistleEventTypes.AssignmentDispatched, whistle.Id, row.Id, now, actor, summary, row.ToSnapshot(), where),
                        Timeline.Audience(whistle.TownshipId, [(row.AgencyCode, row.BranchId)]),
                        now);
                }

                unit.Complete();
                return rows.Count;
            },
            context.CancellationToken);

        activity?.SetTag("whistle.assignments", dispatched);
        if (dispatched < 0)
        {
            LogDuplicate(logger, messageId, message.WhistleId);
        }
        else
        {
            LogDispatched(logger, message.WhistleId, dispatched);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Whistle {WhistleId} dispatched to {Count} units.")]
    private static partial void LogDispatched(ILogger logger, string whistleId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Message {MessageId} for whistle {WhistleId} was handled before; ignored.")]
    private static partial void LogDuplicate(ILogger logger, Guid messageId, string whistleId);
}

/// <summary>Retries for transient trouble; a message that keeps failing goes to the error queue.</summary>
public sealed class WhistleRaisedConsumerDefinition : ConsumerDefinition<WhistleRaisedConsumer>
{
    public WhistleRaisedConsumerDefinition()
    {
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WhistleRaisedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)));
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit
            && context.GetRequiredService<IOptions<BusOptions>>().Value.RabbitMq.QuorumQueues)
        {
            rabbit.SetQuorumQueue();
        }
    }
}
