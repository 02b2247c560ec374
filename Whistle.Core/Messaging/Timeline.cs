using System.Text;
using System.Text.Json;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Notices;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>
/// Appends an event to a whistle's timeline (kept forever), records who may see it, and writes the
/// <see cref="WhistleEventRecorded"/> message for the live push — all in the caller's transaction.
/// </summary>
public static class Timeline
{
    // Identity values can commit out of order on a database server. Writers take the timeline's lock SHARED (issue 15:
    // they no longer commit one at a time) and hold it to commit; a catch-up reads only up to the horizon
    // (TimelineReader), the highest sequence read under the same lock taken EXCLUSIVE — granted only once no writer
    // holds it, so every sequence up to it has committed or rolled back, and CatchUp(afterSequence) never skips an event.
    // SQLite has one writer at a time anyway; SQL Server's application lock and PostgreSQL's advisory lock share alike.
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    // The first events of a command: the lock (unless the transaction holds it already: it is held to commit), then their rows.
    private static string InsertSql(SqlDialect dialect, int rows) =>
        dialect.UnderLock("whistle-timeline", LockWait, InsertHeldSql(dialect, rows), shared: true);

    // The events' rows in one statement on PostgreSQL (an array a column), one statement a row elsewhere; each answers its sequence.
    private static string InsertHeldSql(SqlDialect dialect, int rows) =>
        dialect.InsertRowsReturningIdentity("timeline", EventColumns, rows, "sequence");

    private static string InsertAudienceRowsSql(SqlDialect dialect, int rows) => dialect.InsertRows("timeline_audience", AudienceColumns, rows);

    private static readonly RowColumn[] AudienceColumns = [new("group_name", "AudienceGroup", RowType.Text), new("sequence", "AudienceSequence", RowType.BigInteger)];

    /// <summary>
    /// Appends the event now (after whatever this transaction deferred, so its events keep their order) and answers it
    /// with its sequence. From here to commit the transaction holds the timeline's lock shared (on a server database), so
    /// a catch-up's horizon waits for its commit: use
    /// <see cref="Defer"/> where the sequence is not needed before commit.
    /// </summary>
    public static async Task<WhistleEvent> AppendAsync(UnitOfWork unit, WhistleEvent @event, IEnumerable<string> audience, DateTimeOffset now)
    {
        await FlushAsync(unit);
        Defer(unit, @event, audience, now);
        return (await FlushAsync(unit))[0];
    }

    /// <summary>
    /// Appends the event when the transaction commits (issue 15): the timeline's lock, which every writer of the
    /// timeline takes shared and holds to commit on a server database (so that a catch-up's horizon never passes a
    /// sequence still open), is then taken as the last thing before commit and held for the fewest statements — the events' rows, then their audience and
    /// outbox rows in one multi-row statement — instead of over every statement the transaction runs after its first
    /// event. The events of one transaction keep the order in which they were deferred.
    /// </summary>
    public static void Defer(UnitOfWork unit, WhistleEvent @event, IEnumerable<string> audience, DateTimeOffset now) =>
        unit.Deferred.Add(new DeferredEvent(@event, audience.Distinct(StringComparer.Ordinal).ToList(), now));

    /// <summary>
    /// Appends what the transaction deferred (called by <see cref="WhistleDatabase"/> before commit) and answers the
    /// events with their sequences. One command (issue 15: a round trip, where there were three) sends the write the
    /// transaction deferred to its commit (<see cref="UnitOfWork.DeferWrite"/>), the read of the notice channels that may
    /// want a duty of these events — both before the timeline's lock is taken —, the lock and the events' rows; their
    /// audience and outbox rows follow in a second.
    /// </summary>
    public static async Task<IReadOnlyList<WhistleEvent>> FlushAsync(UnitOfWork unit)
    {
        var write = unit.TakeDeferredWrite();
        if (unit.Deferred.Count == 0)
        {
            if (write is { } alone)
            {
                await using var grid = await unit.Connection.QueryMultipleAsync(alone.Sql, alone.Parameters, unit.Transaction);
                await ReadWrittenAsync(grid, alone.Changed);
            }

            if (unit.DeferredMessages.Count > 0)
            {
                await WriteAudienceAndOutboxAsync(unit, [], unit.DeferredMessages[^1].Now);
            }

            return [];
        }

        var deferred = unit.Deferred.ToList();
        unit.Deferred.Clear();

        var units = NoticeStore.UnitsConcerned(deferred.Select(d => d.Event));
        IReadOnlyList<NoticeChannelRow> channels = [];
        var recorded = new List<(WhistleEvent Event, IReadOnlyList<string> Groups)>(deferred.Count);
        var first = true;
        foreach (var chunk in deferred.Chunk(20))
        {
            // The events' inserts one after another in the order deferred (so their sequences ascend in that order), each
            // answering its sequence; the first command led by the deferred write and the channels' read.
            var parameters = new DynamicParameters();
            var sql = new StringBuilder();
            if (first && write is { } leading)
            {
                sql.Append(leading.Sql).Append('\n');
                parameters.AddDynamicParams(leading.Parameters);
            }

            var readsChannels = first && units.Count > 0;
            if (readsChannels)
            {
                sql.Append(NoticeStore.ChannelsOfSql(unit.Dialect, units, parameters)).Append('\n');
            }

            sql.Append(unit.Dialect.Sql(unit.HoldsTimelineLock ? InsertHeldSql : InsertSql, chunk.Length)).Append('\n');
            unit.Dialect.AddRows(parameters, EventColumns, chunk, static (d, column) => EventValue(d.Event, column));

            await using var grid = await unit.Connection.QueryMultipleAsync(sql.ToString(), parameters, unit.Transaction);
            if (first && write is { } sent)
            {
                await ReadWrittenAsync(grid, sent.Changed);
            }

            if (readsChannels)
            {
                channels = (await grid.ReadAsync<NoticeChannelRow>()).ToList();
            }

            unit.HoldsTimelineLock = true;
            var sequences = await unit.Dialect.ReadIdentitiesAsync(grid, chunk.Length);
            for (var i = 0; i < chunk.Length; i++)
            {
                recorded.Add((chunk[i].Event with { Sequence = sequences[i] }, chunk[i].Groups));
            }

            first = false;
        }

        await WriteAudienceAndOutboxAsync(unit, recorded, deferred[^1].Now);
        await NoticeStore.QueueAsync(unit, recorded.Select(r => r.Event), channels, deferred[^1].Now);
        return recorded.Select(r => r.Event).ToList();
    }

    /// <summary>A deferred write's answer: a row when it wrote; none fails the commit (the transaction rolls back).</summary>
    private static async Task ReadWrittenAsync(SqlMapper.GridReader grid, string changed)
    {
        if (!(await grid.ReadAsync()).Any())
        {
            throw new InvalidOperationException(changed);
        }
    }

    private static readonly RowColumn[] EventColumns =
    [
        new("whistle_id", "EventWhistleId", RowType.Text),
        new("assignment_id", "EventAssignmentId", RowType.Text),
        new("type", "EventType", RowType.Text),
        new("occurred_at", "EventOccurredAt", RowType.Timestamp),
        new("actor_user", "EventActorUser", RowType.Text),
        new("actor_name", "EventActorName", RowType.Text),
        new("actor_org", "EventActorOrg", RowType.Text),
        new("note", "EventNote", RowType.Text),
        new("note_code", "EventNoteCode", RowType.Text),
        new("note_params", "EventNoteParams", RowType.Text),
        new("payload", "EventPayload", RowType.Text),
    ];

    private static object? EventValue(WhistleEvent @event, int column) => column switch
    {
        0 => @event.WhistleId,
        1 => @event.AssignmentId,
        2 => @event.Type,
        3 => @event.OccurredAt,
        4 => @event.Actor.UserName,
        5 => @event.Actor.DisplayName,
        6 => @event.Actor.OrgId,
        7 => @event.Note,
        8 => @event.NoteCode,
        9 => @event.NoteParams is null ? null : JsonSerializer.Serialize(@event.NoteParams, MessageTypes.Json),
        10 => JsonSerializer.Serialize(@event with { Sequence = 0 }, MessageTypes.Json),
        _ => throw new ArgumentOutOfRangeException(nameof(column)),
    };

    private const int ChunkSize = 40;

    /// <summary>
    /// Every event's audience rows and the outbox rows of their live push, in one statement: one
    /// <see cref="WhistleEventRecorded"/> for a whistle with one event here, one <see cref="WhistleEventsRecorded"/>
    /// carrying them in order for a whistle with several (issue 15: a dispatch of two duties is one message, not two).
    /// </summary>
    private static async Task WriteAudienceAndOutboxAsync(UnitOfWork unit, IReadOnlyList<(WhistleEvent Event, IReadOnlyList<string> Groups)> recorded, DateTimeOffset now)
    {
        // SQL Server takes at most 2,100 parameters a statement: a long list goes in chunks (deferred messages first).
        if (recorded.Count + unit.DeferredMessages.Count > ChunkSize && unit.DeferredMessages.Count > 0)
        {
            foreach (var chunk in unit.DeferredMessages.Chunk(ChunkSize))
            {
                var chunkParameters = new DynamicParameters();
                await unit.Connection.ExecuteAsync(Outbox.Add(unit, chunk.Select(m => m.Message).ToList(), chunk[0].Now, chunkParameters), chunkParameters, unit.Transaction);
            }

            unit.DeferredMessages.Clear();
            if (recorded.Count == 0)
            {
                return; // messages only, all written above
            }
        }

        if (recorded.Count > ChunkSize)
        {
            foreach (var chunk in recorded.Chunk(ChunkSize))
            {
                await WriteAudienceAndOutboxAsync(unit, chunk, now);
            }

            return;
        }

        var parameters = new DynamicParameters();
        var sql = new StringBuilder();
        var audience = recorded.SelectMany(r => r.Groups.Select(g => (Group: g, r.Event.Sequence))).ToList();
        if (audience.Count > 0)
        {
            sql.Append(unit.Dialect.Sql(InsertAudienceRowsSql, audience.Count)).Append('\n');
            unit.Dialect.AddRows(parameters, AudienceColumns, audience, static (row, column) => column == 0 ? row.Group : row.Sequence);
        }

        // The messages the transaction deferred (Outbox.Defer) first, in their order, then the events' push messages.
        var messages = OutboxMessages(unit.DeferredMessages, recorded);
        unit.DeferredMessages.Clear();
        sql.Append(Outbox.Add(unit, messages, now, parameters));
        await unit.Connection.ExecuteAsync(sql.ToString(), parameters, unit.Transaction);
        unit.Recorded.AddRange(recorded.Select(r => r.Event));
    }

    /// <summary>
    /// The outbox messages of a transaction: what it deferred (<see cref="Outbox.Defer"/>), in order, then the push
    /// messages of its events. A deferred <see cref="WhistleRaised"/> carries its whistle's events, which get no push
    /// message of their own (issue 15: a raise is one message, not two) — a meeting decision's whistle, raised and
    /// dispatched in one transaction, with its duties: their notices are queued by the transaction, not read from a message.
    /// </summary>
    internal static List<object> OutboxMessages(IReadOnlyList<DeferredMessage> deferred, IReadOnlyList<(WhistleEvent Event, IReadOnlyList<string> Groups)> recorded)
    {
        var messages = new List<object>(deferred.Count + 1);
        var carried = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in deferred.Select(m => m.Message))
        {
            if (message is WhistleRaised { Events: null } raised && !carried.Contains(raised.WhistleId))
            {
                var own = recorded.Where(r => string.Equals(r.Event.WhistleId, raised.WhistleId, StringComparison.Ordinal)).ToList();
                if (own.Count > 0)
                {
                    carried.Add(raised.WhistleId);
                    messages.Add(raised with { Events = own.Select(r => new WhistleEventRecorded(r.Event, r.Groups)).ToList() });
                    continue;
                }
            }

            messages.Add(message);
        }

        messages.AddRange(PushMessages(carried.Count == 0 ? recorded : recorded.Where(r => !carried.Contains(r.Event.WhistleId)).ToList()));
        return messages;
    }

    /// <summary>The push messages of these events: one per whistle, in the order of each whistle's first event.</summary>
    internal static List<object> PushMessages(IReadOnlyList<(WhistleEvent Event, IReadOnlyList<string> Groups)> recorded) =>
        recorded
            .GroupBy(r => r.Event.WhistleId, StringComparer.Ordinal)
            .Select(g => g.Count() == 1
                ? (object)new WhistleEventRecorded(g.First().Event, g.First().Groups) { NoticesQueued = true }
                : new WhistleEventsRecorded(g.Select(r => new WhistleEventRecorded(r.Event, r.Groups)).ToList()) { NoticesQueued = true })
            .ToList();

    /// <summary>Reads a stored event back with its sequence.</summary>
    public static WhistleEvent Deserialize(long sequence, string payload) =>
        (JsonSerializer.Deserialize<WhistleEvent>(payload, MessageTypes.Json)
            ?? throw new InvalidOperationException($"Timeline event {sequence} has no payload.")) with { Sequence = sequence };
}

/// <summary>An event a transaction appends when it commits (<see cref="Timeline.Defer"/>).</summary>
public sealed record DeferredEvent(WhistleEvent Event, IReadOnlyList<string> Groups, DateTimeOffset Now);

/// <summary>A message a transaction writes to the outbox when it commits (<see cref="Outbox.Defer"/>).</summary>
public sealed record DeferredMessage(object Message, DateTimeOffset Now);
