using Dapper;
using Microsoft.Data.Sqlite;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Meetings;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;
using Whistle.Tests.Support;

namespace Whistle.Tests.Unit;

/// <summary>
/// Issue 12: who sees what is one rule (<see cref="Visibility"/>), written once in SQL (the lists, the inbox) and once in
/// C# (a whistle read, every command's 404), and once more as push groups (live events, catch-up). The forms agree on
/// a table of cases: the SQL run on SQLite over the real schema, the C# over the same rows, the groups of each event.
/// </summary>
public sealed class When_visibility_is_judged
{
    // Two townships; branches of two agencies in the first, one in the second; an agency without a branch there.
    private static readonly WhistleRow[] Whistles =
    [
        Raised("w1", "t1"), Raised("w2", "t2"), Raised("w3", "t1"), Raised("w4", "t2"),
        // The city level (issue 17): work requests of departments d1, d2 to institutions i1 (its office i1.o1, or itself)
        // and i2 (through the branch it stations in t1, a-one.t1: that branch's duty officer acts on it).
        City("w5", "d1"), City("w6", "d2"), City("w7", "d1"),
    ];

    private static readonly AssignmentRow[] Assignments =
    [
        Duty("a1", "w1", "a-one", "a-one.t1"), Duty("a2", "w1", "a-two", "a-two.t1"), // w1: two branches of t1
        Duty("a3", "w2", "a-one", "a-one.t2"),                                      // w2: the same agency's branch in t2
        Duty("a4", "w4", "a-three", null),                                           // w4: an agency itself; w3: no duty yet
        Duty("a5", "w5", "i1", "i1.o1"), Duty("a6", "w6", "i1", null), Duty("a7", "w7", "i2", "a-one.t1"),
    ];

    // A township's meeting summoning a branch and an agency itself; a county-wide one; one summoning nobody yet.
    private static readonly MeetingRow[] Meetings =
    [
        new() { Id = "m1", TownshipId = "t1" }, new() { Id = "m2", TownshipId = null }, new() { Id = "m3", TownshipId = "t2" },
        // Joint meetings (issue 17): department d1 with institution i1 (and an institution whose id is an agency's code:
        // the agency must not see it); institution i1 with department d2. Participants only.
        new() { Id = "m4", TownshipId = "d1", ConvenerKind = ConvenerKind.Department },
        new() { Id = "m5", TownshipId = "i1", ConvenerKind = ConvenerKind.Institution },
    ];

    private static readonly SummonsRow[] Summons =
    [
        new() { Id = "s1", MeetingId = "m1", AgencyCode = "a-one", BranchId = "a-one.t1" },
        new() { Id = "s2", MeetingId = "m1", AgencyCode = "a-three", BranchId = null },
        new() { Id = "s3", MeetingId = "m2", AgencyCode = "a-two", BranchId = "a-two.t1" },
        new() { Id = "s4", MeetingId = "m4", AgencyCode = "i1", ParticipantKind = ParticipantKind.Institution },
        new() { Id = "s5", MeetingId = "m4", AgencyCode = "a-one", ParticipantKind = ParticipantKind.Institution },
        new() { Id = "s6", MeetingId = "m5", AgencyCode = "d2", ParticipantKind = ParticipantKind.Department },
    ];

    // The establishment office's follow-ups: to d1 about i1's relation, to d2 about i2's.
    private static readonly (string Id, string Department, string Institution)[] FollowUps = [("f1", "d1", "i1"), ("f2", "d2", "i2")];

    public static IEnumerable<TestCaseData> Callers() =>
        new[]
        {
            new Caller("s", "s", Roles.Supervisor, "county"),
            new Caller("t1", "t1", Roles.Township, "t1"), new Caller("t2", "t2", Roles.Township, "t2"), new Caller("t9", "t9", Roles.Township, "t9"),
            new Caller("b1", "b1", Roles.Branch, "a-one.t1"), new Caller("b2", "b2", Roles.Branch, "a-two.t1"),
            new Caller("b3", "b3", Roles.Branch, "a-one.t2"), new Caller("b9", "b9", Roles.Branch, "a-nine.t1"),
            new Caller("g1", "g1", Roles.Agency, "a-one"), new Caller("g2", "g2", Roles.Agency, "a-two"),
            new Caller("g3", "g3", Roles.Agency, "a-three"), new Caller("g9", "g9", Roles.Agency, "a-nine"),
            new Caller("d1", "d1", Roles.Department, "d1"), new Caller("d2", "d2", Roles.Department, "d2"), new Caller("d9", "d9", Roles.Department, "d9"),
            new Caller("i1", "i1", Roles.Institution, "i1"), new Caller("o1", "o1", Roles.Institution, "i1.o1"), new Caller("i9", "i9", Roles.Institution, "i9"),
            new Caller("e", "e", Roles.EstablishmentOffice, "city"),
            new Caller("x", "x", Roles.AuditAdmin, "county"), // an administrator: sees no whistle, no meeting
        }.Select(c => new TestCaseData(c).SetName($"{c.Role} {c.OrgId}"));

    private SqliteConnection _connection = null!;

    [OneTimeSetUp]
    public async Task CreateTheRows()
    {
        var file = Path.Combine(TestSettings.NewDataFolder(), "visibility.db");
        var connectionString = $"Data Source={file};Pooling=False";
        DatabaseMigrator.Migrate(DatabaseProvider.Sqlite, connectionString);
        _connection = new SqliteConnection(connectionString);
        await _connection.OpenAsync();
        foreach (var w in Whistles)
        {
            await _connection.ExecuteAsync(
                "INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, status, raised_by_user, raised_by_name, raised_at, updated_at, version, level) " +
                "VALUES (@Id, @TownshipId, 'm', 'routine', 't', '', 'a', 'dispatched', 'u', 'u', @At, @At, 0, @Level)",
                new { w.Id, w.TownshipId, w.Level, At = DateTimeOffset.UnixEpoch });
        }

        foreach (var a in Assignments)
        {
            await _connection.ExecuteAsync(
                "INSERT INTO assignments (id, whistle_id, agency_code, branch_id, role, status, dispatched_at, report_by, resolve_by, position) " +
                "VALUES (@Id, @WhistleId, @AgencyCode, @BranchId, 'lead', 'dispatched', @At, @At, @At, 0)",
                new { a.Id, a.WhistleId, a.AgencyCode, a.BranchId, At = DateTimeOffset.UnixEpoch });
        }

        await CreateTheMeetingsAsync();
    }

    private async Task CreateTheMeetingsAsync()
    {
        foreach (var m in Meetings)
        {
            await _connection.ExecuteAsync(
                "INSERT INTO meetings (id, township_id, convener_kind, kind, title, agenda, place, starts_at, ends_at, confirm_by, status, organizer_user, organizer_name, organizer_org, created_at, version) " +
                "VALUES (@Id, @TownshipId, @ConvenerKind, 'regular', 't', '', 'p', @At, @At, @At, 'scheduled', 'u', 'u', 'o', @At, 0)",
                new { m.Id, m.TownshipId, m.ConvenerKind, At = DateTimeOffset.UnixEpoch });
        }

        foreach (var s in Summons)
        {
            await _connection.ExecuteAsync(
                "INSERT INTO meeting_summons (id, meeting_id, agency_code, branch_id, participant_kind, status, position) VALUES (@Id, @MeetingId, @AgencyCode, @BranchId, @ParticipantKind, 'summoned', 0)",
                new { s.Id, s.MeetingId, s.AgencyCode, s.BranchId, s.ParticipantKind });
        }

        foreach (var (id, department, institution) in FollowUps)
        {
            await _connection.ExecuteAsync(
                "INSERT INTO mechanism_followups (id, relation_id, department_id, institution_id, missing, note, status, raised_by, raised_by_name, raised_at, due_at, reminder_count, escalation_count, row_version) " +
                "VALUES (@Id, @Id, @Department, @Institution, 'decision-rule', '', 'open', 'e', 'e', @At, @At, 0, 0, 0)", // one open follow-up per relation (0028): a relation each
                new { Id = id, Department = department, Institution = institution, At = DateTimeOffset.UnixEpoch });
        }
    }

    [OneTimeTearDown]
    public async Task Close() => await _connection.DisposeAsync();

    [TestCaseSource(nameof(Callers))]
    public async Task Should_show_the_same_whistles_in_SQL_as_in_CSharp(Caller caller)
    {
        var bySql = await _connection.QueryAsync<string>($"SELECT w.id FROM whistles w WHERE {Visibility.WhistleCondition} ORDER BY w.id", new { caller.Role, Org = caller.OrgId });
        var byCode = Whistles.Where(w => Visibility.CanSee(caller, w, Assignments.Where(a => a.WhistleId == w.Id))).Select(w => w.Id);
        Assert.That(bySql, Is.EqualTo(byCode));
    }

    [TestCaseSource(nameof(Callers))]
    public async Task Should_list_the_same_duties_in_SQL_as_in_CSharp(Caller caller)
    {
        var bySql = await _connection.QueryAsync<string>(
            $"SELECT a.id FROM assignments a JOIN whistles w ON w.id = a.whistle_id WHERE {Visibility.AssignmentCondition} ORDER BY a.id", new { caller.Role, Org = caller.OrgId });
        var byCode = Assignments.Where(a => Visibility.Concerns(caller, Whistles.Single(w => w.Id == a.WhistleId), a)).Select(a => a.Id);
        Assert.That(bySql, Is.EqualTo(byCode));
    }

    [TestCaseSource(nameof(Callers))]
    public void Should_push_an_event_to_exactly_those_who_see_its_whistle(Caller caller)
    {
        foreach (var w in Whistles)
        {
            var duties = Assignments.Where(a => a.WhistleId == w.Id).ToList();
            var audience = Visibility.Audience(w, duties.Select(a => (a.AgencyCode, a.BranchId)));
            var pushed = Roles.Business.Contains(caller.Role) && audience.Contains(Visibility.GroupOf(caller));
            Assert.That(pushed, Is.EqualTo(Visibility.CanSee(caller, w, duties)), $"{w.Id}: audience {string.Join(", ", audience)}");
        }
    }

    [TestCaseSource(nameof(Callers))]
    public async Task Should_show_the_same_meetings_in_SQL_as_in_CSharp_and_push_them_alike(Caller caller)
    {
        var bySql = await _connection.QueryAsync<string>($"SELECT m.id FROM meetings m WHERE {Visibility.MeetingCondition} ORDER BY m.id", new { caller.Role, Org = caller.OrgId });
        var byCode = Meetings.Where(m => Visibility.CanSee(caller, m, Summons.Where(s => s.MeetingId == m.Id))).Select(m => m.Id).ToList();
        Assert.That(bySql, Is.EqualTo(byCode));
        foreach (var m in Meetings)
        {
            var audience = Visibility.MeetingAudience(m, Summons.Where(s => s.MeetingId == m.Id));
            Assert.That(Roles.Business.Contains(caller.Role) && audience.Contains(Visibility.GroupOf(caller)), Is.EqualTo(byCode.Contains(m.Id)), $"{m.Id}: audience {string.Join(", ", audience)}");
        }
    }

    [TestCaseSource(nameof(Callers))]
    public async Task Should_show_the_same_follow_ups_in_SQL_as_in_CSharp_and_push_them_alike(Caller caller)
    {
        var bySql = await _connection.QueryAsync<string>($"SELECT f.id FROM mechanism_followups f WHERE {Visibility.FollowUpCondition} ORDER BY f.id", new { caller.Role, Org = caller.OrgId });
        var byCode = FollowUps.Where(f => Visibility.CanSeeFollowUp(caller, f.Department, f.Institution)).Select(f => f.Id).ToList();
        Assert.That(bySql, Is.EqualTo(byCode));
        foreach (var f in FollowUps)
        {
            var audience = Visibility.FollowUpAudience(f.Department, f.Institution);
            Assert.That(Roles.Business.Contains(caller.Role) && audience.Contains(Visibility.GroupOf(caller)), Is.EqualTo(byCode.Contains(f.Id)), $"{f.Id}: audience {string.Join(", ", audience)}");
        }
    }

    [Test]
    public void Should_show_a_joint_meeting_to_its_participants_only()
    {
        string[] Seen(Caller c) => Meetings.Where(m => Visibility.CanSee(c, m, Summons.Where(s => s.MeetingId == m.Id))).Select(m => m.Id).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(Seen(new Caller("d1", "d1", Roles.Department, "d1")), Is.EqualTo(new[] { "m4" }), "its own joint meeting");
            Assert.That(Seen(new Caller("d2", "d2", Roles.Department, "d2")), Is.EqualTo(new[] { "m5" }), "summoned by the institution");
            Assert.That(Seen(new Caller("i1", "i1", Roles.Institution, "i1")), Is.EqualTo(new[] { "m4", "m5" }));
            Assert.That(Seen(new Caller("o1", "o1", Roles.Institution, "i1.o1")), Is.Empty, "an office's account is not its institution");
            Assert.That(Seen(new Caller("g1", "g1", Roles.Agency, "a-one")), Is.EqualTo(new[] { "m1" }), "an institution summons bearing an agency's code is not the agency's");
            Assert.That(Seen(new Caller("s", "s", Roles.Supervisor, "county")), Is.EqualTo(new[] { "m1", "m2", "m3" }), "the supervisors see the county's meetings, not the city's joint ones");
            Assert.That(Seen(new Caller("e", "e", Roles.EstablishmentOffice, "city")), Is.Empty);
        });
    }

    [Test]
    public void Should_show_a_case_of_each_kind()
    {
        // The table means something: every kind of caller sees some whistles and misses others.
        var seen = Callers().Select(c => (Caller)c.Arguments[0]!)
            .ToDictionary(c => c.UserName, c => Whistles.Count(w => Visibility.CanSee(c, w, Assignments.Where(a => a.WhistleId == w.Id))));
        Assert.Multiple(() =>
        {
            Assert.That(seen["s"], Is.EqualTo(Whistles.Length));
            Assert.That(seen["t1"], Is.EqualTo(2), "its own two, one without any duty yet");
            Assert.That(seen["b1"], Is.EqualTo(2), "its township's whistle, and the city's work request its institution routed to it");
            Assert.That(seen["g1"], Is.EqualTo(2), "the agency sees its branches' duties in both townships (not the city's work requests)");
            Assert.That(seen["g3"], Is.EqualTo(1), "an agency summoned itself");
            Assert.That(seen["t1"] + seen["t2"], Is.EqualTo(4), "no township sees a work request");
            Assert.That(seen["d1"], Is.EqualTo(2), "the department its own two work requests");
            Assert.That(seen["i1"], Is.EqualTo(2), "the institution its own and its office's");
            Assert.That(seen["o1"], Is.EqualTo(1), "the office only its own");
            Assert.That(seen["e"], Is.EqualTo(3), "the establishment office every work request, no township whistle");
            Assert.That(new[] { seen["t9"], seen["b9"], seen["g9"], seen["d9"], seen["i9"], seen["x"] }, Is.All.Zero);
        });
    }

    private static WhistleRow Raised(string id, string township) => new() { Id = id, TownshipId = township, Status = WhistleStatus.Dispatched };

    private static WhistleRow City(string id, string department) => new() { Id = id, TownshipId = department, Level = WhistleLevel.City, Status = WhistleStatus.Dispatched };

    private static AssignmentRow Duty(string id, string whistle, string agency, string? branch) =>
        new() { Id = id, WhistleId = whistle, AgencyCode = agency, BranchId = branch, Status = AssignmentStatus.Dispatched };
}
