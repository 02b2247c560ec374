using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 11, finding 11: every version-checked UPDATE of a meeting command is held to its row count (0: 409
/// "changed meanwhile", nothing written), and the meeting row is locked first on SQL Server
/// (<c>WITH (UPDLOCK, ROWLOCK)</c>, parsed by <c>When_SQL_Server_reads_our_SQL</c>). SQLite has one writer, so
/// here the interleaving SQL Server allows without the lock — another command committing between this one's read
/// and its write — is produced by a trigger that makes the meeting's UPDATE match no row, as a moved version does.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_two_commands_race_on_one_meeting(string database)
{
    private readonly ShiftedClock _clock = new();
    private WhistleSystem _system = null!;
    private WhistleClient _township = null!;
    private WhistleClient _branch = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock), database: database);
        _township = await _system.SignInAsync("township.chengguan");
        _branch = await _system.SignInAsync("branch.urban-management.chengguan");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _township?.Dispose();
        _branch?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    /// <summary>A meeting that has begun: attendance and minutes are recorded only then (issue 13).</summary>
    private async Task<(string Meeting, string Summons)> MeetingAsync()
    {
        var (status, body, _) = await _township.PostAsync("/api/meetings", new
        {
            kind = "regular", title = "并发测试协调会", place = "城关镇会议室", startsAt = _clock.GetUtcNow().AddMinutes(1), agencyCodes = new[] { "urban-management" },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        _clock.Shift(TimeSpan.FromMinutes(2));
        var meeting = body!.AsArray()[0]!;
        return (meeting.Str("id"), meeting["summons"]!.AsArray()[0]!.Str("id"));
    }

    private static object Minutes() => new
    {
        minutes = "议定事项如下。",
        decisions = new object[] { new { text = "清理河道", agencyCode = "urban-management", dueAt = DateTimeOffset.UtcNow.AddDays(5) } },
    };

    /// <summary>Everything a meeting command may write, as one comparable text.</summary>
    private Task<string> FingerprintAsync(string meeting) => _system.Database.ReadAsync(
        async c => string.Join(
            " | ",
            await c.QuerySingleAsync<string>("SELECT status || '/' || version || '/' || COALESCE(minutes, '-') FROM meetings WHERE id = @Id", new { Id = meeting }),
            string.Join(",", await c.QueryAsync<string>(
                "SELECT status || '/' || COALESCE(attendee, '-') || '/' || COALESCE(reason, '-') || '/' || COALESCE(attendance, '-') FROM meeting_summons WHERE meeting_id = @Id ORDER BY position", new { Id = meeting })),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM meeting_decisions"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM whistles"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM assignments"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM timeline"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox")),
        CancellationToken.None);

    private Task<List<string>> EventsAsync(string meeting) => _system.Database.ReadAsync(
        async c => (await c.QueryAsync<string>("SELECT type FROM timeline WHERE whistle_id = @Id ORDER BY sequence", new { Id = meeting })).ToList(),
        CancellationToken.None);

    private static IEnumerable<string> Commands() => ["confirm", "decline", "attendance", "minutes", "cancel"];

    private Task<(HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body, HttpResponseMessage Response)> SendAsync(string command, string meeting, string summons) => command switch
    {
        "confirm" => _branch.PostAsync($"/api/meetings/{meeting}/summons/{summons}/confirm", new { attendee = "王队长" }),
        "decline" => _branch.PostAsync($"/api/meetings/{meeting}/summons/{summons}/decline", new { reason = "同时段有应急任务" }),
        "attendance" => _township.PostAsync($"/api/meetings/{meeting}/attendance", new { entries = new[] { new { summonsId = summons, attendance = "present" } } }),
        "minutes" => _township.PostAsync($"/api/meetings/{meeting}/minutes", Minutes()),
        "cancel" => _township.PostAsync($"/api/meetings/{meeting}/cancel"),
        _ => throw new ArgumentOutOfRangeException(nameof(command)),
    };

    [TestCaseSource(nameof(Commands))]
    public async Task Should_answer_409_and_write_nothing_when_the_meeting_changed_between_read_and_write(string command)
    {
        var (meeting, summons) = await MeetingAsync();
        var before = await FingerprintAsync(meeting);
        // Another writer's commit in between: the meeting's version-checked UPDATE now matches no row.
        // (A trigger that skips the meeting's row: SQLite's RAISE(IGNORE); PostgreSQL's BEFORE trigger answering NULL.)
        var (create, drop) = database == "postgresql"
            ? ($"CREATE FUNCTION lost_race() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF OLD.id = '{meeting}' THEN RETURN NULL; END IF; RETURN NEW; END $$; "
               + "CREATE TRIGGER lost_race BEFORE UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION lost_race();",
               "DROP TRIGGER lost_race ON meetings; DROP FUNCTION lost_race();")
            : ($"CREATE TRIGGER lost_race BEFORE UPDATE ON meetings WHEN OLD.id = '{meeting}' BEGIN SELECT RAISE(IGNORE); END;", "DROP TRIGGER lost_race;");
        await _system.Database.ReadAsync(c => c.ExecuteAsync(create), CancellationToken.None);
        try
        {
            var (status, body, _) = await SendAsync(command, meeting, summons);
            Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict), body?.ToJsonString());
            Assert.That(body!.Str("detail"), Does.Contain("changed meanwhile"));
        }
        finally
        {
            await _system.Database.ReadAsync(c => c.ExecuteAsync(drop), CancellationToken.None);
        }

        Assert.That(await FingerprintAsync(meeting), Is.EqualTo(before), "nothing recorded");
    }

    private const int Rounds = 12;

    [TestCase("cancel", "minutes")]
    [TestCase("minutes", "minutes")]
    [TestCase("cancel", "cancel")]
    public async Task Should_let_exactly_one_of_two_racing_commands_win(string first, string second)
    {
        for (var round = 0; round < Rounds; round++)
        {
            var (meeting, summons) = await MeetingAsync();
            var answers = await Task.WhenAll(SendAsync(first, meeting, summons), SendAsync(second, meeting, summons));
            var statuses = answers.Select(a => a.Status).ToList();
            Assert.That(statuses, Is.EquivalentTo(new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }), $"round {round}: {string.Join(", ", answers.Select(a => a.Body?.ToJsonString()))}");
            var winner = answers[0].Status == HttpStatusCode.OK ? first : second;
            var events = await EventsAsync(meeting);
            var state = (await _township.GetAsync($"/api/meetings/{meeting}")).Body!;
            Assert.Multiple(() =>
            {
                Assert.That(events.Count(e => e is "MeetingCancelled" or "MeetingMinutesRecorded"), Is.EqualTo(1), $"round {round}: one outcome recorded ({string.Join(", ", events)})");
                Assert.That(state.Str("status"), Is.EqualTo(winner == "cancel" ? "cancelled" : "held"));
                Assert.That(state["decisions"]!.AsArray(), Has.Count.EqualTo(winner == "minutes" ? 1 : 0), "decisions only with the minutes");
            });
        }
    }

    [Test]
    public async Task Should_never_record_an_answer_to_a_cancelled_meeting()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var (meeting, summons) = await MeetingAsync();
            var answers = await Task.WhenAll(SendAsync("confirm", meeting, summons), SendAsync("cancel", meeting, summons));
            Assert.That(answers[1].Status, Is.EqualTo(HttpStatusCode.OK), "the organiser cancels a scheduled meeting, answered or not");
            var events = await EventsAsync(meeting);
            var summonsState = (await _township.GetAsync($"/api/meetings/{meeting}")).Body!["summons"]![0]!.Str("status");
            if (answers[0].Status == HttpStatusCode.OK)
            {
                Assert.That(events.IndexOf("MeetingSummonsConfirmed"), Is.GreaterThanOrEqualTo(0).And.LessThan(events.IndexOf("MeetingCancelled")), $"round {round}: confirmed before the cancel");
                Assert.That(summonsState, Is.EqualTo("confirmed"));
            }
            else
            {
                Assert.That(answers[0].Status, Is.EqualTo(HttpStatusCode.Conflict));
                Assert.That(events, Does.Not.Contain("MeetingSummonsConfirmed"), $"round {round}");
                Assert.That(summonsState, Is.EqualTo("summoned"));
            }
        }
    }
}
