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
    private const string InsertSqlite = """
        INSERT INTO timeline (whistle_id, assignment_id, type, occurred_at, actor_user, actor_name, actor_org, note, payload)
        VALUES (@WhistleId, @AssignmentId, @Type, @OccurredAt, @ActorUser, @ActorName, @ActorOrg, @Note, @Payload)
        RETURNING sequence;
        """;

    // Identity values can commit out of order on SQL Server; the transaction-scoped application lock
    // makes timeline writers commit in sequence order, so CatchUp(afterSequence) can never skip one.
    // sp_getapplock raises no error when the lock is not granted (timeout: -1, deadlock victim: -3): it
    // returns a negative number, and the insert must not go on without the lock. 50001 is retried as a
    // transient error (WhistleDatabase): the whole transaction runs again and waits for the lock anew.
    private const string InsertSqlServer = """
        DECLARE @lock int;
        EXEC @lock = sp_getapplock @Resource = N'whistle-timeline', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 30000;
        IF @lock < 0 THROW 50001, N'The whistle-timeline application lock was not granted; the transaction is retried.', 1;
        INSERT INTO timeline (whistle_id, assignment_id, type, occurred_at, actor_user, actor_name, actor_org, note, payload)
        OUTPUT INSERTED.sequence
        VALUES (@WhistleId, @AssignmentId, @Type, @OccurredAt, @ActorUser, @ActorName, @ActorOrg, @Note, @Payload);
        """;

    private const string InsertAudienceSql = "INSERT INTO timeline_audience (group_name, sequence) VALUES (@Group, @Sequence);";

    public static async Task<WhistleEvent> AppendAsync(UnitOfWork unit, WhistleEvent @event, IEnumerable<string> audience, DateTimeOffset now)
    {
        var groups = audience.Distinct(StringComparer.Ordinal).ToList();
        var sequence = await unit.Connection.ExecuteScalarAsync<long>(
            unit.Database.Sql(InsertSqlite, InsertSqlServer),
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

    /// <summary>
    /// Who receives an event (PRODUCT.md §5): the raising township, the county's supervisors, and the
    /// branch and agency of each assignment concerned.
    /// </summary>
    public static IReadOnlyList<string> Audience(string townshipId, IEnumerable<(string AgencyCode, string? BranchId)> assignments)
    {
        var groups = new List<string> { AudienceGroups.County, AudienceGroups.Township(townshipId) };
        foreach (var (agencyCode, branchId) in assignments)
        {
            groups.Add(AudienceGroups.Agency(agencyCode));
            if (branchId is not null)
            {
                groups.Add(AudienceGroups.Branch(branchId));
            }
        }

        return groups.Distinct(StringComparer.Ordinal).ToList();
    }
}
