using System.Diagnostics.Metrics;
using MassTransit;
using Whistle.Contracts;
using Whistle.Core.Messaging;

namespace Whistle.Core.Telemetry;

/// <summary>
/// The <c>Whistle</c> meter. Counters and histograms are recorded once per committed timeline event
/// (by the process that committed it), pushes and connections by the Api instance concerned, consumer lag
/// by each consumer; the gauges read from the database are sampled by <see cref="TelemetrySampler"/>
/// (every instance samples the same database: aggregate them with max, not sum).
/// </summary>
public sealed class WhistleMetrics
{
    private readonly Counter<long> _whistlesRaised;
    private readonly Counter<long> _transitions;
    private readonly Counter<long> _escalationSteps;
    private readonly Histogram<double> _timeToReport;
    private readonly Histogram<double> _timeToResolve;
    private readonly Counter<long> _pushesSent;
    private readonly UpDownCounter<long> _connections;
    private readonly Histogram<double> _consumerLag;
    private readonly Counter<long> _outboxSetAside;
    private volatile DatabaseSample? _sample;

    public WhistleMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(WhistleTelemetry.Name);
        _whistlesRaised = meter.CreateCounter<long>("whistle.whistles.raised", "{whistle}", "Whistles raised, by matter and urgency.");
        _transitions = meter.CreateCounter<long>("whistle.assignments.transitions", "{assignment}", "Assignments entering a state (dispatched, reported, resolved, declined, reassigned).");
        _escalationSteps = meter.CreateCounter<long>("whistle.escalation.steps", "{step}", "Reminders (催办) and escalations (督办) fired.");
        _timeToReport = meter.CreateHistogram<double>("whistle.assignment.time_to_report", "s", "Seconds from dispatch to report (报到).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [30, 60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400] });
        _timeToResolve = meter.CreateHistogram<double>("whistle.assignment.time_to_resolve", "s", "Seconds from dispatch to resolve (办结).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [300, 1800, 3600, 14400, 28800, 86400, 172800, 432000, 864000] });
        _pushesSent = meter.CreateCounter<long>("whistle.pushes.sent", "{event}", "Events pushed to connected clients by this instance, by type.");
        _connections = meter.CreateUpDownCounter<long>("whistle.push.connections", "{connection}", "SignalR clients connected to this instance, by role.");
        _consumerLag = meter.CreateHistogram<double>("whistle.consumer.lag", "s", "Seconds from a message's publish to its consumption, by consumer.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _outboxSetAside = meter.CreateCounter<long>("whistle.outbox.set_aside", "{message}", "Outbox rows set aside by this instance's relay because they could not be read (alert on any), by message type.");
        meter.CreateObservableGauge("whistle.outbox.oldest_unsent_age", ObserveOutboxAge, "s", "Age of the oldest outbox row not yet published.");
        meter.CreateObservableGauge("whistle.assignments", ObserveAssignments, "{assignment}", "Assignments in the database, by state.");
    }

    /// <summary>What a committed transaction appended to timelines.</summary>
    public void Committed(IReadOnlyList<WhistleEvent> events)
    {
        foreach (var e in events)
        {
            switch (e.Type)
            {
                case WhistleEventTypes.WhistleRaised:
                    _whistlesRaised.Add(1, new("matter", e.Whistle?.MatterCode), new("urgency", e.Whistle?.Urgency));
                    break;
                case WhistleEventTypes.AssignmentDispatched:
                    Transition("dispatched", e);
                    break;
                case WhistleEventTypes.AssignmentReported:
                    Transition("reported", e);
                    if (e.Assignment is { ReportedAt: { } reportedAt } reported)
                    {
                        _timeToReport.Record(Seconds(reportedAt - reported.DispatchedAt), new("agency", reported.AgencyCode), new("urgency", e.Whistle?.Urgency));
                    }

                    break;
                case WhistleEventTypes.AssignmentResolved:
                    Transition("resolved", e);
                    if (e.Assignment is { ResolvedAt: { } resolvedAt } resolved)
                    {
                        _timeToResolve.Record(Seconds(resolvedAt - resolved.DispatchedAt), new("agency", resolved.AgencyCode), new("urgency", e.Whistle?.Urgency));
                    }

                    break;
                case WhistleEventTypes.AssignmentDeclined:
                    Transition("declined", e);
                    break;
                case WhistleEventTypes.AssignmentReassigned:
                    Transition("reassigned", e);
                    break;
                case WhistleEventTypes.AssignmentReminded:
                    _escalationSteps.Add(1, new("kind", "remind"), new("agency", e.Assignment?.AgencyCode));
                    break;
                case WhistleEventTypes.AssignmentEscalated:
                    _escalationSteps.Add(1, new("kind", "escalate"), new("agency", e.Assignment?.AgencyCode));
                    break;
            }
        }
    }

    public void Pushed(string eventType) => _pushesSent.Add(1, new KeyValuePair<string, object?>("type", eventType));

    public void Connected(string role) => _connections.Add(1, new KeyValuePair<string, object?>("role", role));

    public void Disconnected(string role) => _connections.Add(-1, new KeyValuePair<string, object?>("role", role));

    /// <summary>Seconds from a message's send time to now, as the consumer saw it (<see cref="OutboxWire.SentTime"/>).</summary>
    public void Consumed(string consumer, ConsumeContext context, DateTimeOffset now)
    {
        if (OutboxWire.SentTime(context) is { } sent)
        {
            _consumerLag.Record(Seconds(now - new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc))), new KeyValuePair<string, object?>("consumer", consumer));
        }
    }

    /// <summary>An outbox row this instance's relay could not read was set aside.</summary>
    public void OutboxSetAside(string messageType) => _outboxSetAside.Add(1, new KeyValuePair<string, object?>("type", messageType));

    internal void Sampled(DatabaseSample sample) => _sample = sample;

    private void Transition(string state, WhistleEvent e) =>
        _transitions.Add(1, new("state", state), new("agency", e.Assignment?.AgencyCode));

    private IEnumerable<Measurement<double>> ObserveOutboxAge() =>
        _sample is { } sample ? [new Measurement<double>(sample.OutboxAge.TotalSeconds)] : [];

    private IEnumerable<Measurement<long>> ObserveAssignments() =>
        _sample is { } sample
            ? sample.AssignmentsByState.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("state", kv.Key)))
            : [];

    private static double Seconds(TimeSpan span) => Math.Max(0, span.TotalSeconds);
}

internal sealed record DatabaseSample(TimeSpan OutboxAge, IReadOnlyDictionary<string, long> AssignmentsByState);
