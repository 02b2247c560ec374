using System.Data.Common;
using System.Diagnostics;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>
/// Catch-up (issue 15): the events after a sequence that a group may see, oldest first — but never past the timeline's
/// <em>horizon</em>. Writers of the timeline hold its lock shared from their first event to commit, so they commit
/// together (PostgreSQL flushes their commits as a group) and their sequences, handed out at insert, may become visible
/// out of order: 43 committed while 42 is still open. A reader that answered 43 would move its client's mark past 42
/// for good. The horizon is the highest sequence read under the same lock taken exclusive, which is granted only once
/// no writer holds it (and new writers queue behind it): every sequence up to it has committed or rolled back, so an
/// answer cut at the horizon is complete up to its last event.
/// </summary>
/// <remarks>
/// One horizon read is out at a time per process; a catch-up that arrives while one is out waits for the next, which
/// starts after it arrived (an older horizon could end before an event that committed just before the request), and
/// every catch-up waiting then shares that next read — so a reconnecting crowd of clients takes the exclusive lock
/// about twice, not once per client, and writers wait for it at most a round trip at a time.
/// </remarks>
public sealed class TimelineReader(WhistleDatabase database)
{
    /// <summary>The most events one catch-up answers; the client asks again from the last one.</summary>
    public const int Batch = 500;

    // Ordered by the audience row's sequence (the same value): SQLite then reads the group's key range in order and stops
    // at the batch, where ORDER BY t.sequence sorted every event of the range first (a client far behind).
    private const string CatchUpSql = """
        SELECT t.sequence, t.payload FROM timeline t JOIN timeline_audience g ON g.sequence = t.sequence
        WHERE g.group_name = @Group AND g.sequence > @After AND g.sequence <= @Horizon ORDER BY g.sequence
        """;

    private static string CatchUpBatchSql(SqlDialect dialect) => dialect.Limit(CatchUpSql) + ";";

    // Under the exclusive lock, in a transaction of its own: no writer is open, so the highest sequence there is now
    // is lower than every sequence still to be handed out, and all at or below it are final.
    private static string HorizonSql(SqlDialect dialect) =>
        dialect.UnderLockInOwnTransaction("whistle-timeline", TimeSpan.FromSeconds(30), "SELECT COALESCE(MAX(sequence), 0) FROM timeline;");

    private readonly SemaphoreSlim _oneRead = new(1, 1);
    private (long StartedAt, long Horizon)? _last;
    private long _horizonsRead;

    /// <summary>How many horizons this process has read (each one took the timeline's lock exclusive).</summary>
    internal long HorizonsRead => Interlocked.Read(ref _horizonsRead);

    /// <summary>The events after <paramref name="afterSequence"/> that <paramref name="group"/> may see, oldest first, at most <see cref="Batch"/>.</summary>
    public async Task<IReadOnlyList<WhistleEvent>> CatchUpAsync(string group, long afterSequence, CancellationToken cancellationToken)
    {
        var horizon = await HorizonAsync(cancellationToken);
        if (horizon <= afterSequence)
        {
            return [];
        }

        return await database.ReadAsync(
            async c => (await c.QueryAsync<EventRow>(
                    database.Dialect.Sql(CatchUpBatchSql),
                    new { Group = group, After = afterSequence, Horizon = horizon, Take = Batch }))
                .Select(r => Timeline.Deserialize(r.Sequence, r.Payload))
                .ToList(),
            cancellationToken);
    }

    /// <summary>The horizon, read after this call began (shared with the other callers that waited for the same read).</summary>
    public async Task<long> HorizonAsync(CancellationToken cancellationToken)
    {
        var arrived = Stopwatch.GetTimestamp();
        await _oneRead.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } last && last.StartedAt > arrived)
            {
                return last.Horizon;
            }

            var startedAt = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _horizonsRead);
            var horizon = await database.ReadAsync(c => c.ExecuteScalarAsync<long>(database.Dialect.Sql(HorizonSql)), cancellationToken);
            _last = (startedAt, horizon);
            return horizon;
        }
        finally
        {
            _oneRead.Release();
        }
    }

    private sealed record EventRow(long Sequence, string Payload);
}
