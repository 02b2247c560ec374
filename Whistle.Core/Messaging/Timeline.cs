using System.Text.Json;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>
/// Appends an event to a whistle's timeline (kept forever), records who may see it, and writes the
/// <see cref="WhistleEventRecorded"/> message for the live push — all in the caller's transaction.
/// </summary>
public static class Timeline
{
    // Identity values can commit out of order on a database server; the timeline's writers commit in sequence order
    // (the dialect's UnderLock: SQLite's one writer; SQL Server's transaction-scoped application lock, its result
    // tested and a lock not granted retried as transient), so CatchUp(afterSequence) can never skip an event.
    private static string InsertSql(SqlDialect dialect) =>
        dialect.UnderLock(
            "whistle-timeline",
            TimeSpan.FromSeconds(30),
            dialect.InsertReturningIdentity(
                "timeline",
                "whistle_id, assignment_id, type, occurred_at, actor_user, actor_name, actor_org, note, note_code, note_params, payload",
                "@WhistleId, @AssignmentId, @Type, @OccurredAt, @ActorUser, @ActorName, @ActorOrg, @Note, @NoteCode, @NoteParams, @Payload",
                "sequence") + ";");

    private const string InsertAudienceSql = "INSERT INTO timeline_audience (group_name, sequence) VALUES (@Group, @Sequence);";

    public static async Task<WhistleEvent> AppendAsync(UnitOfWork unit, WhistleEvent @event, IEnumerable<string> audience, DateTimeOffset now)
    {
        var groups = audience.Distinct(StringComparer.Ordinal).ToList();
        var sequence = await unit.Connection.ExecuteScalarAsync<long>(
            unit.Dialect.Sql(InsertSql),
            new
            {
                @event.WhistleId,
                @event.AssignmentId,
                @event.Type,
                @event.OccurredAt,
                ActorUser = @event.Actor.UserName,
                ActorName = @event.Actor.DisplayName,
                ActorOrg = @event.Actor.OrgId,
                @event.Note,
                @event.NoteCode,
                NoteParams = @event.NoteParams is null ? null : JsonSerializer.Serialize(@event.NoteParams, MessageTypes.Json),
                Payload = JsonSerializer.Serialize(@event with { Sequence = 0 }, MessageTypes.Json),
            },
            unit.Transaction);
        await unit.Connection.ExecuteAsync(
            InsertAudienceSql,
            groups.Select(g => new { Group = g, Sequence = sequence }),
            unit.Transaction);
        var recorded = @event with { Sequence = sequence };
        await Outbox.AddAsync(unit, new WhistleEventRecorded(recorded, groups), now);
        unit.Recorded.Add(recorded);
        return recorded;
    }

    /// <summary>Reads a stored event back with its sequence.</summary>
    public static WhistleEvent Deserialize(long sequence, string payload) =>
        (JsonSerializer.Deserialize<WhistleEvent>(payload, MessageTypes.Json)
            ?? throw new InvalidOperationException($"Timeline event {sequence} has no payload.")) with { Sequence = sequence };
}
