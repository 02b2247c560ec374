using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Core.County;
using Whistle.Core.Messaging;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// The storage layer against each database: SQLite always, PostgreSQL on the test command's cluster (under CI=true a
/// missing one fails), SQL Server when WHISTLE_TEST_SQLSERVER holds a connection string (an empty database the tests
/// may create tables in).
/// </summary>
public abstract class DataFixture : StorageFixture
{
    /// <summary>The finest difference between two moments the database keeps (SQLite's text and SQL Server's datetimeoffset(7): a tick).</summary>
    protected virtual TimeSpan TimeResolution => TimeSpan.FromTicks(1);

    /// <summary>
    /// A batch read by whistle ids longer than one statement's parameters may be (SQL Server 2,100, SQLite 32,766): read
    /// in chunks by the dialect, each chunk's rows found.
    /// </summary>
    [Test]
    public async Task Should_read_a_batch_of_more_whistle_ids_than_a_statement_takes_parameters()
    {
        var known = await Database.ReadAsync(c => c.QueryAsync<string>("SELECT whistle_id FROM assignments"), CancellationToken.None);
        var ids = Enumerable.Range(0, 40_000).Select(i => $"absent-{i:D6}").Concat(known).ToList();
        var assignments = await Database.ReadAsync(c => Whistle.Core.Whistles.WhistleRows.GetAssignmentsOfAsync(c, Database.Dialect, ids), CancellationToken.None);
        var attachments = await Database.ReadAsync(c => Whistle.Core.Attachments.AttachmentStore.OfWhistlesAsync(c, Database.Dialect, ids), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(assignments.Select(g => g.Key), Is.EquivalentTo(known.Distinct()), "every whistle's duties found, whichever chunk its id fell in");
            Assert.That(attachments.Where(g => g.Key.StartsWith("absent-", StringComparison.Ordinal)), Is.Empty);
        });
    }

    /// <summary>
    /// Messages a transaction defers to commit (<see cref="Outbox.Defer"/>) are written then, in their order, in chunks a
    /// statement takes — also when the transaction appends no event (no push message to write them with).
    /// </summary>
    [Test]
    public async Task Should_write_every_message_a_transaction_deferred_in_its_order()
    {
        var before = await Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM outbox"), CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        await Database.WriteAsync(
            unit =>
            {
                foreach (var version in Enumerable.Range(1_000_001, 45)) Outbox.Defer(unit, new Whistle.Contracts.CountyChanged(version), now);
                unit.Complete();
                return Task.FromResult(0);
            },
            CancellationToken.None);
        var bodies = await Database.ReadAsync(
            c => c.QueryAsync<string>("SELECT body FROM outbox WHERE id > @Before AND message_type = @Type ORDER BY id", new { Before = before, Type = MessageTypes.NameOf(typeof(Whistle.Contracts.CountyChanged)) }),
            CancellationToken.None);
        var versions = bodies.Select(b => System.Text.Json.JsonSerializer.Deserialize<Whistle.Contracts.CountyChanged>(b, MessageTypes.Json)!.CatalogVersion).ToList();
        Assert.That(versions, Is.EqualTo(Enumerable.Range(1_000_001, 45)));
    }

    [Test]
    public async Task Should_import_the_county_idempotently()
    {
        var county = CountyStore.ReadFile(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json"));
        async Task<long[]> Counts() => await Database.ReadAsync(
            async c => new[]
            {
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM townships"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM branches"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM matter_agencies"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM matter_limits"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users"),
            },
            CancellationToken.None);
        var before = await Counts();
        await Database.WriteAsync(async unit => { await CountyStore.ImportAsync(unit, county); await CountyStore.SeedDemoUsersAsync(unit, county, true); unit.Complete(); return 0; }, CancellationToken.None);
        Assert.That(await Counts(), Is.EqualTo(before));
        var loaded = await Database.ReadAsync(CountyStore.LoadAsync, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(loaded.Matters.Select(m => m.Code), Is.EqualTo(county.Matters.Select(m => m.Code)));
            Assert.That(loaded.Branches, Has.Count.EqualTo(county.Branches.Count));
            Assert.That(loaded.Matters[0].Limits, Is.EqualTo(county.Matters[0].Limits));
        });
    }

    /// <summary>A bare whistle row for a timeline to belong to, in the caller's transaction.</summary>
    private static Task InsertWhistleAsync(UnitOfWork unit, string id, DateTimeOffset now) =>
        unit.Connection.ExecuteAsync(
            """
            INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, status, raised_by_user, raised_by_name, raised_at, updated_at, version)
            VALUES (@Id, 'chengguan', 'street-vending', 'routine', 't', '', 'a', 'raised', 'u', 'n', @Now, @Now, 0)
            """,
            new { Id = id, Now = now },
            unit.Transaction);

    [Test]
    public async Task Should_keep_times_in_utc_to_the_tick_and_order_the_timeline()
    {
        var now = new DateTimeOffset(2026, 11, 27, 10, 30, 15, 123, TimeSpan.FromHours(8)).AddTicks(4567 / TimeResolution.Ticks * TimeResolution.Ticks);
        var id = Guid.NewGuid().ToString();
        var sequences = await Database.WriteAsync(
            async unit =>
            {
                await InsertWhistleAsync(unit, id, now);
                var events = new List<long>();
                for (var i = 0; i < 3; i++)
                {
                    var e = await Timeline.AppendAsync(
                        unit,
                        new Contracts.WhistleEvent(0, Contracts.WhistleEventTypes.WhistleRaised, id, null, now, new("u", "n", "chengguan"), new(id, "t", "raised", "chengguan", "street-vending", "routine"), null, $"#{i}"),
                        Core.Domain.Visibility.Audience("chengguan", []),
                        now);
                    events.Add(e.Sequence);
                }

                unit.Complete();
                return events;
            },
            CancellationToken.None);
        var row = await Database.ReadAsync(c => Core.Whistles.WhistleRows.GetWhistleAsync(c, id), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(row!.RaisedAt, Is.EqualTo(now));
            Assert.That(row.RaisedAt.Offset, Is.EqualTo(TimeSpan.Zero));
            Assert.That(sequences, Is.Ordered.Ascending.And.Unique);
        });
        var outbox = await Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE body LIKE @Like", new { Like = $"%{id}%" }), CancellationToken.None);
        Assert.That(outbox, Is.EqualTo(3), "each event goes to the outbox in the same transaction");
    }

    /// <summary>
    /// Issue 15: a transaction's events go in as many rows of one statement (on PostgreSQL one array a column, elsewhere a
    /// statement a row), in chunks of twenty: each event gets the sequence of its own row, the sequences ascend in the
    /// order the events were deferred, and each event's audience rows and push message name that sequence — also for
    /// more events than a chunk (of rows, twenty; of audience and outbox rows, forty events), with nulls where an event has them.
    /// </summary>
    [Test]
    public async Task Should_append_many_events_of_one_transaction_each_with_its_own_row_in_their_order()
    {
        var now = new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
        var id = Guid.NewGuid().ToString();
        var recorded = await Database.WriteAsync(
            async unit =>
            {
                await InsertWhistleAsync(unit, id, now);
                for (var i = 0; i < 45; i++)
                {
                    Timeline.Defer(
                        unit,
                        new Contracts.WhistleEvent(
                            0, Contracts.WhistleEventTypes.WhistleRaised, id, i % 3 == 0 ? null : $"a-{i}", now.AddMilliseconds(i), new($"u{i}", $"用户{i}", "chengguan"),
                            new(id, "t", "raised", "chengguan", "street-vending", "routine"), null, i % 2 == 0 ? null : $"第{i}条"),
                        [$"township:chengguan", $"audience-{i}"],
                        now);
                }

                var events = await Timeline.FlushAsync(unit);
                unit.Complete();
                return events;
            },
            CancellationToken.None);
        var rows = (await Database.ReadAsync(
                c => c.QueryAsync<(long Sequence, string? AssignmentId, string ActorUser, string? Note, DateTimeOffset OccurredAt)>(
                    "SELECT sequence, assignment_id, actor_user, note, occurred_at FROM timeline WHERE whistle_id = @Id ORDER BY sequence", new { Id = id }),
                CancellationToken.None))
            .ToList();
        var audience = (await Database.ReadAsync(
                c => c.QueryAsync<(string Group, long Sequence)>(
                    "SELECT group_name, sequence FROM timeline_audience WHERE sequence >= @First AND group_name LIKE 'audience-%'", new { First = rows[0].Sequence }),
                CancellationToken.None))
            .ToDictionary(a => a.Group, a => a.Sequence);
        var pushed = (await Database.ReadAsync(
                c => c.QueryAsync<string>("SELECT body FROM outbox WHERE body LIKE @Like ORDER BY id", new { Like = $"%{id}%" }),
                CancellationToken.None))
            .SelectMany(b => System.Text.Json.JsonSerializer.Deserialize<Contracts.WhistleEventsRecorded>(b, MessageTypes.Json)!.Events)
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(recorded.Select(e => e.Sequence), Is.EqualTo(rows.Select(r => r.Sequence)), "each event answered with its row's sequence, in the order deferred");
            Assert.That(rows.Select(r => r.ActorUser), Is.EqualTo(Enumerable.Range(0, 45).Select(i => $"u{i}")), "the rows in the order deferred");
            Assert.That(rows.Select(r => r.AssignmentId), Is.EqualTo(Enumerable.Range(0, 45).Select(i => i % 3 == 0 ? null : $"a-{i}")));
            Assert.That(rows.Select(r => r.Note), Is.EqualTo(Enumerable.Range(0, 45).Select(i => i % 2 == 0 ? null : $"第{i}条")));
            Assert.That(rows.Select(r => r.OccurredAt), Is.EqualTo(Enumerable.Range(0, 45).Select(i => now.AddMilliseconds(i))));
            Assert.That(Enumerable.Range(0, 45).Select(i => audience[$"audience-{i}"]), Is.EqualTo(rows.Select(r => r.Sequence)), "each event's audience row names its sequence");
            Assert.That(pushed.Select(e => e.Event.Sequence), Is.EqualTo(rows.Select(r => r.Sequence)), "their push messages (one a forty) carry them in order");
            Assert.That(pushed.Select(e => e.Event.Actor.DisplayName), Is.EqualTo(Enumerable.Range(0, 45).Select(i => $"用户{i}")));
        });
    }

    [Test]
    public async Task Should_let_catch_up_see_every_event_exactly_once_while_writers_race()
    {
        // Eight writers append events for one township while a reader keeps catching up (the hub's CatchUp) from the
        // last sequence it saw. Writers hold the timeline's lock shared, so on a database server their sequences commit
        // out of order; the reader's horizon (read under the lock taken exclusive) keeps it from stepping over one that
        // commits late. Reading without the horizon skipped events on PostgreSQL (issue 15).
        const string group = "township:race";
        var id = Guid.NewGuid().ToString();
        var seen = new List<long>();
        var timeline = new TimelineReader(Database);
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            long after = 0;
            while (true)
            {
                var done = stop.IsCancellationRequested;
                var page = await timeline.CatchUpAsync(group, after, CancellationToken.None);
                foreach (var e in page)
                {
                    seen.Add(e.Sequence);
                    after = e.Sequence;
                }

                if (done) return;
                await Task.Delay(1);
            }
        });

        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                await Database.WriteAsync(
                    async unit =>
                    {
                        var now = DateTimeOffset.UtcNow;
                        await Timeline.AppendAsync(
                            unit,
                            new Contracts.WhistleEvent(0, Contracts.WhistleEventTypes.WhistleRaised, id, null, now, new("u", "n", "race"), new(id, "t", "raised", "race", "street-vending", "routine"), null, $"{w}/{i}"),
                            [group],
                            now);
                        unit.Complete();
                        return 0;
                    },
                    CancellationToken.None);
            }
        })).ToList();
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await reader;

        var all = await Database.ReadAsync(c => c.QueryAsync<long>("SELECT sequence FROM timeline_audience WHERE group_name = @Group ORDER BY sequence", new { Group = group }), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(all.Count(), Is.EqualTo(320));
            Assert.That(seen, Is.EqualTo(all), "every event once, in order, none skipped");
        });
    }

    [Test]
    public async Task Should_roll_back_everything_when_the_transaction_is_not_completed()
    {
        var id = Guid.NewGuid().ToString();
        await Database.WriteAsync(
            async unit =>
            {
                await Outbox.AddAsync(unit, new Contracts.WhistleRaised(id, "chengguan", "street-vending", "routine", [], DateTimeOffset.UtcNow), DateTimeOffset.UtcNow);
                return 0;
            },
            CancellationToken.None);
        var outbox = await Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE body LIKE @Like", new { Like = $"%{id}%" }), CancellationToken.None);
        Assert.That(outbox, Is.Zero);
    }
}

public sealed class When_stored_in_SQLite : DataFixture
{
    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Whistle:DataFolder"] = NewDataFolder(),
        ["Whistle:Demo:Enabled"] = "true",
    };

    [Test]
    public async Task Should_use_write_ahead_logging() =>
        Assert.That(await Database.ReadAsync(c => c.ExecuteScalarAsync<string>("PRAGMA journal_mode;"), CancellationToken.None), Is.EqualTo("wal"));
}

public sealed class When_stored_in_SQL_Server : DataFixture
{
    private static readonly string? ConnectionString = Environment.GetEnvironmentVariable("WHISTLE_TEST_SQLSERVER");

    protected override Dictionary<string, string?> Settings()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            Assert.Ignore("SQL Server is not available on this machine: set WHISTLE_TEST_SQLSERVER to the connection string of an empty database to run these tests.");
        }

        return new()
        {
        ["Whistle:DataFolder"] = NewDataFolder(),
        ["Whistle:Database:Provider"] = "SqlServer",
        ["Whistle:Database:ConnectionString"] = ConnectionString,
        ["Whistle:Demo:Enabled"] = "true",
        };
    }
}

/// <summary>
/// PostgreSQL, on the cluster the test command starts (a fresh database for the fixture): the same specs, with the
/// advisory lock that makes the timeline's writers commit in sequence order, and what only PostgreSQL does.
/// </summary>
[NonParallelizable]
public sealed class When_stored_in_PostgreSQL : DataFixture
{
    protected override Dictionary<string, string?> Settings() => PostgreSqlSettings();

    /// <summary>
    /// Issue 15: a bounded text column's length is its type (<c>varchar(n)</c>), checked in the statement's cached plan,
    /// not a <c>CHECK (char_length(c) &lt;= n)</c> that PostgreSQL read back from its stored text and prepared on every
    /// insert and update (9% of its CPU at 150 whistles a second). Every length the migrations state
    /// (<see cref="When_a_value_meets_its_column.Lengths"/>) is the column's type, and no length CHECK is left.
    /// </summary>
    [Test]
    public async Task Should_keep_each_columns_length_in_its_type_and_no_length_check()
    {
        var typed = (await Database.ReadAsync(
                c => c.QueryAsync<(string Table, string Column, string Type, int? Length)>(
                    "SELECT table_name, column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_schema = current_schema()"),
                CancellationToken.None))
            .ToDictionary(c => $"{c.Table}.{c.Column}", StringComparer.OrdinalIgnoreCase);
        var checks = (await Database.ReadAsync(
                c => c.QueryAsync<string>(
                    """
                    SELECT conrelid::regclass::text || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
                    WHERE contype = 'c' AND connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
                    """),
                CancellationToken.None))
            .ToList();
        var stated = When_a_value_meets_its_column.Lengths(DatabaseProvider.PostgreSql);
        Assert.Multiple(() =>
        {
            Assert.That(stated, Has.Count.GreaterThan(100), "the migrations' lengths were read");
            Assert.That(
                stated.Where(l => !typed.TryGetValue(l.Key, out var column) || column.Type != "character varying" || column.Length != l.Value)
                    .Select(l => $"{l.Key}: stated {l.Value}, is {(typed.TryGetValue(l.Key, out var c) ? $"{c.Type}({c.Length})" : "missing")}"),
                Is.Empty,
                "each stated length is the column's type");
            Assert.That(checks.Where(c => c.Contains("char_length", StringComparison.Ordinal)), Is.Empty, "no length CHECK left");
            Assert.That(checks, Has.Some.Contains("(id = 1)"), "the other CHECKs stay");
        });
    }

    /// <summary>
    /// Issue 15: an outbox body too wide to keep as it is (over ~2 KB: the dispatcher's messages of a whistle's duties)
    /// is compressed with LZ4, not pglz, whose compression of those bodies was 2.2% of the server's CPU at 300 whistles
    /// a second (migration 0034; the server here is built with lz4). The row is rolled back.
    /// </summary>
    [Test]
    public async Task Should_compress_a_wide_outbox_body_with_lz4()
    {
        var method = await Database.WriteAsync(
            async unit =>
            {
                var id = await unit.Connection.ExecuteScalarAsync<long>(
                    """
                    INSERT INTO outbox (message_id, message_type, body, created_at, attempts, stream_key)
                    VALUES (@MessageId, 'CountyChanged', @Body, @Now, 0, 0) RETURNING id
                    """,
                    new
                    {
                        MessageId = Guid.NewGuid().ToString(),
                        Body = "{\"events\":[" + string.Join(",", Enumerable.Repeat("{\"type\":\"AssignmentDispatched\",\"title\":\"占道经营\"}", 80)) + "]}",
                        Now = DateTimeOffset.UtcNow,
                    },
                    unit.Transaction);
                return await unit.Connection.ExecuteScalarAsync<string?>(
                    "SELECT pg_column_compression(body) FROM outbox WHERE id = @Id", new { Id = id }, unit.Transaction);
            },
            CancellationToken.None);
        Assert.That(method, Is.EqualTo("lz4"));
    }

    /// <summary>A value longer than its column is refused as before (the code checks lengths first; this is the last line).</summary>
    [Test]
    public void Should_refuse_a_value_longer_than_its_column()
    {
        var refused = Assert.CatchAsync<Npgsql.PostgresException>(() => Database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(
                    """
                    INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, status, raised_by_user, raised_by_name, raised_at, updated_at, version)
                    VALUES (@Id, 'chengguan', 'street-vending', 'routine', @Title, '', 'a', 'raised', 'u', 'n', @Now, @Now, 0)
                    """,
                    new { Id = Guid.NewGuid().ToString(), Title = new string('长', 101), Now = DateTimeOffset.UtcNow },
                    unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None));
        Assert.That(refused!.SqlState, Is.EqualTo(Npgsql.PostgresErrorCodes.StringDataRightTruncation), "101 characters in a title of 100");
    }

    /// <summary>
    /// Issue 15: timeline writers share the lock, so a later event can commit while an earlier one is still open. A
    /// catch-up must then wait for the open one (its horizon is read under the lock taken exclusive), never answer the
    /// later one alone; and the catch-ups that arrive meanwhile share one horizon read instead of taking the lock each.
    /// </summary>
    [Test]
    public async Task Should_hold_a_catch_up_back_until_an_earlier_event_still_open_commits()
    {
        const string group = "township:horizon";
        var id = Guid.NewGuid().ToString();
        var timeline = new TimelineReader(Database);
        var after = await timeline.HorizonAsync(CancellationToken.None);
        Contracts.WhistleEvent Event(string note) =>
            new(0, Contracts.WhistleEventTypes.WhistleRaised, id, null, DateTimeOffset.UtcNow, new("u", "n", "horizon"), new(id, "t", "raised", "horizon", "street-vending", "routine"), null, note);

        var appended = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var open = Database.WriteAsync(
            async unit =>
            {
                var recorded = await Timeline.AppendAsync(unit, Event("open"), [group], DateTimeOffset.UtcNow);
                appended.TrySetResult(recorded.Sequence);
                await release.Task;
                unit.Complete();
                return recorded.Sequence;
            },
            CancellationToken.None);
        var earlier = await appended.Task;
        var later = await Database.WriteAsync(
            async unit =>
            {
                var recorded = await Timeline.AppendAsync(unit, Event("committed"), [group], DateTimeOffset.UtcNow);
                unit.Complete();
                return recorded.Sequence;
            },
            CancellationToken.None);
        Assert.That(later, Is.GreaterThan(earlier), "the later event committed while the earlier one is still open");

        var readsBefore = timeline.HorizonsRead;
        var catchUps = Enumerable.Range(0, 20).Select(_ => timeline.CatchUpAsync(group, after, CancellationToken.None)).ToList();
        var answered = Task.WhenAny(catchUps);
        Assert.That(await Task.WhenAny(answered, Task.Delay(500)), Is.Not.SameAs(answered), "no catch-up answers while an earlier event is open");

        release.SetResult();
        Assert.That(await open, Is.EqualTo(earlier));
        var answers = await Task.WhenAll(catchUps);
        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.Select(e => e.Sequence)), Has.All.EqualTo(new[] { earlier, later }), "both events, in order, in every answer");
            Assert.That(timeline.HorizonsRead - readsBefore, Is.LessThanOrEqualTo(2), "the waiting catch-ups shared the horizon reads");
        });
    }

    /// <summary>timestamptz keeps microseconds: a moment is kept to the microsecond, in UTC.</summary>
    protected override TimeSpan TimeResolution => TimeSpan.FromTicks(10);

    [Test]
    public async Task Should_keep_moments_as_timestamptz_and_booleans_as_0_or_1()
    {
        var types = (await Database.ReadAsync(
            c => c.QueryAsync<(string Table, string Column, string Type)>(
                "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND column_name IN ('raised_at', 'locked_until', 'is_demo', 'sequence')"),
            CancellationToken.None)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(types.Where(t => t.Column is "raised_at" or "locked_until").Select(t => t.Type), Is.Not.Empty.And.All.EqualTo("timestamp with time zone"));
            Assert.That(types.Single(t => t.Column == "is_demo").Type, Is.EqualTo("smallint"));
            Assert.That(types.Where(t => t.Column == "sequence").Select(t => t.Type), Is.Not.Empty.And.All.EqualTo("bigint"));
        });
    }
}

/// <summary>A database that is busy (another process holds the write lock) makes writers wait, not fail.</summary>
public sealed class When_SQLite_is_busy
{
    [Test]
    public async Task Should_wait_for_the_lock_and_then_succeed()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var township = await system.SignInAsync("township.chengguan");
        var file = Path.Combine(system.DataFolder, "whistle.db");
        await using var blocker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync();
        }

        var raise = township.PostAsync("/api/whistles", WhistleClient.Raise("锁等待", "street-vending", "routine"));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.That(raise.IsCompleted, Is.False, "the writer waits while another holds the lock");
        await using (var commit = blocker.CreateCommand())
        {
            commit.CommandText = "COMMIT;";
            await commit.ExecuteNonQueryAsync();
        }

        var (status, body, _) = await raise;
        Assert.That(status, Is.EqualTo(System.Net.HttpStatusCode.Created), body?.ToJsonString());
    }
}
