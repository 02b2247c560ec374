using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Every endpoint, called as every role for its own organisation and for another, and as each of the three
/// administrators (三员分立), answered as the table says; every list a caller gets with 200 holds only rows that caller
/// may see; every hub method, called over a real connection of each role, answers only that role's events. A new
/// endpoint or hub method without a row fails <see cref="Should_have_a_row_for_every_endpoint"/> or
/// <see cref="Should_have_a_row_for_every_hub_method"/>. The fixture prints its counts and the wrong answers (0).
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_every_role_calls_every_endpoint(string database)
{
    // Actors: anonymous; the raising township and another; the lead branch and the same agency's branch
    // elsewhere; that agency and another; the county's supervisor; the system, security and audit administrators; and
    // the city level (issue 17): the lead department of the relation the city rows probe (construction-guidance: 市住建局)
    // and a department with no part in it (团市委), that relation's institution (市建设工程质量与安全监督服务中心) and
    // another (市信用中心), the establishment office (编办), and two internal offices of that institution: the one the
    // relation's building item is routed to (房屋建筑监督科) and another (水务工程监督科), each an account of its own.
    private static readonly string[] Actors =
        ["anonymous", "township", "township-other", "branch", "branch-other", "agency", "agency-other", "supervisor", "sysadmin", "secadmin", "auditadmin",
         "department", "department-other", "institution", "institution-other", "establishment-office", "institution-office", "institution-office-other"];

    private static readonly string[] Administrators = ["sysadmin", "secadmin", "auditadmin"];

    /// <summary>The county's business roles (the township level).</summary>
    private static readonly string[] CountyActors = ["township", "township-other", "branch", "branch-other", "agency", "agency-other", "supervisor"];

    /// <summary>The city level's roles (issue 17): business roles too (RolePolicies.Business), each seeing only its relations' part.</summary>
    private static readonly string[] CityActors = ["department", "department-other", "institution", "institution-other", "establishment-office", "institution-office", "institution-office-other"];

    private static readonly string[] BusinessActors = [.. CountyActors, .. CityActors];

    /// <summary>The city roles' answers to a row, in the order of <see cref="CityActors"/>.</summary>
    private static (string, HttpStatusCode)[] City(
        HttpStatusCode department, HttpStatusCode departmentOther, HttpStatusCode institution, HttpStatusCode institutionOther, HttpStatusCode establishmentOffice,
        HttpStatusCode office, HttpStatusCode officeOther) =>
        [("department", department), ("department-other", departmentOther), ("institution", institution), ("institution-other", institutionOther),
         ("establishment-office", establishmentOffice), ("institution-office", office), ("institution-office-other", officeOther)];

    /// <summary>Every city role the same answer.</summary>
    private static (string, HttpStatusCode)[] City(HttpStatusCode code) => City(code, code, code, code, code, code, code);

    private readonly ShiftedClock _clock = new();
    private WhistleSystem _system = null!;
    private readonly Dictionary<string, WhistleClient> _clients = [];
    private HttpClient _anonymous = null!;
    private int _unexpected, _calls, _rowChecks, _rowsChecked, _hubCalls;
    private readonly HashSet<string> _endpointsCalled = [], _listsChecked = [], _hubMethodsCalled = [];

    private sealed record Row(Func<Task<Probe>> Setup, IReadOnlyDictionary<string, HttpStatusCode> Expected, string? OwnerLast = null);

    private sealed record Probe(HttpMethod Method, string Path, object? Body);

    [OneTimeSetUp]
    public async Task Start()
    {
        // Eleven callers send a wrong Open311 key each from one address: above the per-address limit of wrong keys (10).
        // The notice channels' receiver is 127.0.0.1:9.
        _system = await WhistleSystem.EmbeddedAsync(
            s => s.AddSingleton<TimeProvider>(_clock),
            new Dictionary<string, string?>
            {
                ["Whistle:Open311:FailedKeyChecksPerMinute"] = "1000",
                ["Whistle:Notices:AllowedNetworks"] = "127.0.0.0/8",
            },
            database);
        foreach (var (actor, user) in new[]
        {
            ("township", "township.chengguan"), ("township-other", "township.dongfeng"),
            ("branch", "branch.urban-management.chengguan"), ("branch-other", "branch.urban-management.dongfeng"),
            ("agency", "agency.urban-management"), ("agency-other", "agency.health"), ("supervisor", "supervisor"),
            ("sysadmin", "sysadmin"), ("secadmin", "secadmin"), ("auditadmin", "auditadmin"),
            ("department", "department.city-housing"), ("department-other", "department.city-youth-league"),
            ("institution", "institution.construction-quality-center"), ("institution-other", "institution.credit-center"),
            ("establishment-office", "establishment-office"),
            ("institution-office", "office.construction-quality-center.building"), ("institution-office-other", "office.construction-quality-center.water"),
        })
        {
            _clients[actor] = await _system.SignInAsync(user);
        }

        _anonymous = new HttpClient { BaseAddress = _system.Api };
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        foreach (var c in _clients.Values) c.Dispose();
        _anonymous?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
        var line = $"authorization matrix: {_endpointsCalled.Count} endpoints × {Actors.Length} callers (anonymous, 3 business roles for their own organisation and another's, the supervisor, 3 administrators, 2 city roles for their own relation and another, the establishment office, 2 offices of the institution) = {_calls} calls; "
            + $"{_hubMethodsCalled.Count} hub methods × {Actors.Length - 1} callers = {_hubCalls} hub calls; {_rowChecks} list answers checked row by row ({_listsChecked.Count} lists, {_rowsChecked} rows); wrong answers: {_unexpected}";
        TestContext.Progress.WriteLine(line);
        TestContext.Out.WriteLine(line);
    }

    private static Dictionary<string, HttpStatusCode> E(params (string Actor, HttpStatusCode Code)[] codes)
    {
        var d = codes.ToDictionary(c => c.Actor, c => c.Code);
        d.TryAdd("anonymous", HttpStatusCode.Unauthorized);
        // Administrators see no whistle and keep only their own part: 403 unless a row says otherwise.
        foreach (var admin in Administrators) d.TryAdd(admin, HttpStatusCode.Forbidden);
        return d;
    }

    private static readonly HttpStatusCode Ok = HttpStatusCode.OK, Created = HttpStatusCode.Created, NoContent = HttpStatusCode.NoContent,
        Forbidden = HttpStatusCode.Forbidden, NotFound = HttpStatusCode.NotFound, Conflict = HttpStatusCode.Conflict, BadRequest = HttpStatusCode.BadRequest;

    /// <summary>Every business role (the administrators: 403).</summary>
    private static Dictionary<string, HttpStatusCode> Everyone(HttpStatusCode code) =>
        E(BusinessActors.Select(a => (a, code)).ToArray());

    /// <summary>Every signed-in caller, the administrators too (their own password and second factor).</summary>
    private static Dictionary<string, HttpStatusCode> AllSignedIn(HttpStatusCode code) =>
        E(Actors.Where(a => a != "anonymous").Select(a => (a, code)).ToArray());

    /// <summary>One role; every other signed-in caller 403.</summary>
    private static Dictionary<string, HttpStatusCode> Only(string role, HttpStatusCode code) =>
        E(Actors.Where(a => a != "anonymous").Select(a => (a, a == role ? code : Forbidden)).ToArray());

    private static Dictionary<string, HttpStatusCode> SupervisorOnly(HttpStatusCode code) => Only("supervisor", code);

    /// <summary>A report of the construction quality center (the "institution" actor) to 市住建局 (the "department"), open (submitted once).</summary>
    private async Task<string> SubmissionAsync()
    {
        if (_submission is not null) return _submission;
        var (status, body, _) = await _clients["institution"].PostAsync("/api/submissions", new { kind = "report", relationId = "construction-guidance", title = "矩阵报告", body = "矩阵" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        return _submission = body!.Str("id");
    }

    private string? _submission;

    /// <summary>A fresh street-vending whistle of 城关: lead 城管 (the "branch" actor), co 市场监管.</summary>
    private async Task<(string Whistle, string Lead)> FreshAsync()
    {
        var id = (await _clients["township"].RaiseAsync(WhistleClient.Raise("矩阵测试", "street-vending", "routine"))).Str("id");
        var w = await _clients["township"].WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
        return (id, w["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!.Str("id"));
    }

    /// <summary>A fresh whistle as <see cref="FreshAsync"/>, raised with a photo of the township's: the photo's id.</summary>
    private async Task<string> FreshPhotoAsync()
    {
        var photo = await _clients["township"].UploadOkAsync(null, ("matrix.jpg", TestImages.JpegWithGps(320, 240, 30.27, 120.15), "image/jpeg"));
        var raise = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(WhistleClient.Raise("矩阵附件", "street-vending", "routine"), WhistleClient.Json))!;
        raise["attachmentIds"] = new System.Text.Json.Nodes.JsonArray(photo[0]);
        var id = (await _clients["township"].RaiseAsync(raise)).Str("id");
        await _clients["township"].WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
        return photo[0];
    }

    /// <summary>A fresh meeting of 城关 summoning its 城管 branch (the "branch" actor), begun (attendance and minutes come only then).</summary>
    private readonly SemaphoreSlim _followUpOnce = new(1, 1);
    private string? _followUp;

    /// <summary>One follow-up of the establishment office (to 云州市住建局 on construction-guidance), raised once and probed by every caller.</summary>
    private async Task<string> FollowUpAsync()
    {
        await _followUpOnce.WaitAsync();
        try
        {
            return _followUp ??= await RaiseFollowUpAsync();
        }
        finally
        {
            _followUpOnce.Release();
        }
    }

    private async Task<string> RaiseFollowUpAsync()
    {
        using var office = await _system.SignInAsync("establishment-office");
        var (status, body, _) = await office.PostAsync("/api/city/follow-ups", new { relationId = "construction-guidance", dueAt = _clock.GetUtcNow().AddDays(7), note = "矩阵" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return body!.Str("id");
    }

    /// <summary>A fresh work request of 市住建局 (the "department") to its center (the "institution"), routed to 房屋建筑监督科 (the "institution-office").</summary>
    private async Task<(string Whistle, string Lead)> FreshWorkRequestAsync()
    {
        var department = _clients["department"];
        var (status, body, _) = await department.PostAsync("/api/work-requests", new { institutionId = "construction-quality-center", workItemCode = "building-quality-inspection", title = "矩阵工作请求" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        var w = await department.WaitForWhistleAsync(body!.Str("id"), x => x.Str("status") == "dispatched");
        return (w.Str("id"), w["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!.Str("id"));
    }

    /// <summary>A fresh work request as <see cref="FreshWorkRequestAsync"/>, asked with a photo of the department's: the photo's id.</summary>
    private async Task<string> FreshRequestPhotoAsync()
    {
        var department = _clients["department"];
        var photo = await department.UploadOkAsync(null, ("request.jpg", TestImages.JpegWithGps(320, 240, 30.27, 120.15), "image/jpeg"));
        var (status, body, _) = await department.PostAsync("/api/work-requests", new
        {
            institutionId = "construction-quality-center", workItemCode = "building-quality-inspection", title = "矩阵附件请求", attachmentIds = new[] { photo[0] },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        await department.WaitForWhistleAsync(body!.Str("id"), x => x.Str("status") == "dispatched");
        return photo[0];
    }

    /// <summary>A fresh joint meeting of 市住建局 summoning its center, begun.</summary>
    private async Task<(string Meeting, string Summons)> FreshJointMeetingAsync()
    {
        var (status, body, _) = await _clients["department"].PostAsync("/api/meetings", new
        {
            kind = "regular", title = "矩阵联席会议", place = "市住建局会议室", startsAt = _clock.GetUtcNow().AddMinutes(1), institutionIds = new[] { "construction-quality-center" },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        var meeting = body!.AsArray()[0]!;
        _clock.Shift(TimeSpan.FromMinutes(2));
        return (meeting.Str("id"), meeting["summons"]!.AsArray()[0]!.Str("id"));
    }

    private async Task<(string Meeting, string Summons)> FreshMeetingAsync()
    {
        var (_, body, _) = await _clients["township"].PostAsync("/api/meetings", Meeting());
        var meeting = body!.AsArray()[0]!;
        _clock.Shift(TimeSpan.FromMinutes(2));
        return (meeting.Str("id"), meeting["summons"]!.AsArray()[0]!.Str("id"));
    }

    private object Meeting() => new
    {
        kind = "regular", title = "矩阵协调会", place = "街道会议室", startsAt = _clock.GetUtcNow().AddMinutes(1), agencyCodes = new[] { "urban-management" },
    };

    /// <summary>A township meeting's organiser's act: the city roles do not see a township's meeting (404).</summary>
    private static Dictionary<string, HttpStatusCode> Organizer(HttpStatusCode code) =>
        E([("township", code), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Forbidden), .. City(NotFound)]);

    private int _periods;

    /// <summary>A fresh closed period (through the forms' owner, as the scheduler closes one): the pending form of 城关's 城管 branch.</summary>
    private async Task<string> PendingFormAsync()
    {
        var forms = _system.Apis[0].Services.GetRequiredService<Whistle.Core.Heads.AssessmentFormStore>();
        var period = $"matrix-{Interlocked.Increment(ref _periods)}";
        var now = _clock.GetUtcNow();
        await forms.CloseAsync(period, "annual", now.AddDays(-30), now, CancellationToken.None);
        var (_, list, _) = await _clients["supervisor"].GetAsync($"/api/assessment-forms?periodId={period}");
        return list!.AsArray().Single(f => f!.Str("branchId") == "urban-management.chengguan")!.Str("id");
    }

    /// <summary>The same, graded by the township.</summary>
    private async Task<string> SubmittedFormAsync()
    {
        var id = await PendingFormAsync();
        await _clients["township"].PostAsync($"/api/assessment-forms/{id}/submit", new { grade = "competent", opinion = "称职" });
        return id;
    }

    private static object Recommendation(string branchId = "urban-management.chengguan") => new { kind = "recommendation", branchId, action = "commend", reasons = "全年表现突出" };

    /// <summary>城关's recommendation on its 城管 branch, open (the 城管 institution answers it).</summary>
    private async Task<string> RecommendationAsync() =>
        (await _clients["township"].PostAsync("/api/recommendations", Recommendation())).Body!.Str("id");

    /// <summary>The 城管 institution's consultation about its 城关 branch, open and inside its limit.</summary>
    private async Task<string> ConsultationAsync() =>
        (await _clients["agency"].PostAsync("/api/recommendations", new { kind = "consultation", branchId = "urban-management.chengguan", action = "remove", reasons = "拟免职" })).Body!.Str("id");

    /// <summary>A branch head's form or recommendation: the township, the institution and the supervisors; never a branch.</summary>
    /// <summary>The city roles are no part of the heads rule: 403 from the policy.</summary>
    private static Dictionary<string, HttpStatusCode> HeadsVisible(HttpStatusCode code) =>
        E([("township", code), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", code), ("agency-other", NotFound), ("supervisor", code), .. City(Forbidden)]);

    private static Dictionary<string, HttpStatusCode> Set(Dictionary<string, HttpStatusCode> codes, string actor, HttpStatusCode code)
    {
        codes[actor] = code;
        return codes;
    }

    private static Dictionary<string, HttpStatusCode> Set(Dictionary<string, HttpStatusCode> codes, (string Actor, HttpStatusCode Code)[] answers)
    {
        foreach (var (actor, code) in answers) codes[actor] = code;
        return codes;
    }

    private static Dictionary<string, HttpStatusCode> HeadsEveryone(HttpStatusCode code) =>
        E([("township", code), ("township-other", code), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", code), ("agency-other", code), ("supervisor", code), .. City(Forbidden)]);

    private static object NoticeChannel() => new
    {
        unitKind = "branch", unitId = "urban-management.baiyun", kind = "webhook", url = "http://127.0.0.1:9/matrix", secret = "matrix-secret", events = new[] { "AssignmentEscalated" },
    };

    /// <summary>A notice channel (its receiver never answers), created by the system administrator.</summary>
    private async Task<string> NoticeChannelAsync(string id)
    {
        await _clients["sysadmin"].SendAsync(HttpMethod.Put, $"/api/notice-channels/{id}", NoticeChannel());
        return id;
    }

    private Dictionary<string, Row> Rows()
    {
        var matter = new
        {
            name = "矩阵事项", nameEn = "Matrix matter", category = "城市管理", categoryEn = "Urban management",
            agencies = new[] { new { agencyCode = "urban-management", role = "lead" } },
            limits = new { routine = new { reportWithinMinutes = 60, resolveWithinMinutes = 600 }, urgent = new { reportWithinMinutes = 60, resolveWithinMinutes = 600 }, emergency = new { reportWithinMinutes = 30, resolveWithinMinutes = 300 } },
        };
        var account = 0;
        return new()
        {
            ["POST /api/auth/token"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/token", new { userName = "supervisor", password = "demo" })), E(Actors.Select(a => (a, Ok)).ToArray())),
            // Sign-in's second step, and what a signed-in account does with its own password and second factor (issue 11).
            ["POST /api/auth/token/second-factor"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/token/second-factor", new { challenge = "not-a-challenge", code = "123456" })),
                E(Actors.Select(a => (a, HttpStatusCode.Unauthorized)).ToArray())),
            ["POST /api/auth/password"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/password", new { currentPassword = "demo", newPassword = "weak" })), AllSignedIn(BadRequest)),
            ["GET /api/auth/second-factor"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/auth/second-factor", null)), AllSignedIn(Ok)),
            ["POST /api/auth/second-factor/enrol"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/second-factor/enrol", null)), AllSignedIn(Ok)),
            ["POST /api/auth/second-factor/confirm"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/second-factor/confirm", new { code = "not-a-code" })), AllSignedIn(BadRequest)),
            ["POST /api/auth/second-factor/disable"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/second-factor/disable", new { password = "demo" })), AllSignedIn(Conflict)),
            ["POST /api/users/{userName}/second-factor/disable"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users/township.shuangqiao/second-factor/disable", null)), Only("secadmin", NoContent)),
            ["GET /api/demo/users"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/demo/users", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            // Reference data: the business roles; the system administrator keeps both, the security administrator needs the organisation.
            ["GET /api/whistle-list"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/whistle-list", null)), E([.. BusinessActors.Select(a => (a, Ok)), ("sysadmin", Ok)])),
            ["GET /api/org"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/org", null)), E([.. BusinessActors.Select(a => (a, Ok)), ("sysadmin", Ok), ("secadmin", Ok)])),
            // Issue 17, the city level: the township level's roles read none of it; the supervisors all of it; a city role its
            // own part (a relation not its own: 404); only department staff raise a work request, on their own relations' lists.
            ["GET /api/city/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/city", null)), Set(SupervisorOnly(Ok), City(Ok))),
            ["GET /api/city/relations/{id}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/city/relations/construction-guidance", null)),
                Set(SupervisorOnly(Ok), City(Ok, NotFound, Ok, NotFound, Ok, Ok, Ok))),
            // Issue 17, the establishment office (编办): its view and follow-ups, a relation's mechanism upkeep. The county's
            // roles get 403 from the policy; the supervisors read (city-wide), and are refused what only the office (raising a
            // follow-up), the lead department or the institution (answering it) or the lead department and the office
            // (recording a mechanism) do. A department or institution not of the relation: 404.
            ["GET /api/city/office"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/city/office", null)), Set(SupervisorOnly(Ok), City(Forbidden, Forbidden, Forbidden, Forbidden, Ok, Forbidden, Forbidden))),
            ["GET /api/city/follow-ups"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/city/follow-ups", null)), Set(SupervisorOnly(Ok), City(Ok))),
            ["GET /api/city/follow-ups/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/city/follow-ups/{await FollowUpAsync()}", null),
                Set(SupervisorOnly(Ok), City(Ok, NotFound, Ok, NotFound, Ok, NotFound, NotFound))),
            // The relation's follow-up is open (raised first): the office is answered 409 follow-up-open, never a second one.
            ["POST /api/city/follow-ups"] = new(async () =>
            {
                await FollowUpAsync();
                return new Probe(HttpMethod.Post, "/api/city/follow-ups", new { relationId = "construction-guidance", dueAt = _clock.GetUtcNow().AddDays(7), note = "矩阵" });
            }, E([.. CountyActors.Select(a => (a, Forbidden)), .. City(Forbidden, Forbidden, Forbidden, Forbidden, Conflict, Forbidden, Forbidden)])),
            ["POST /api/city/follow-ups/{id}/reply"] = new(async () => new Probe(HttpMethod.Post, $"/api/city/follow-ups/{await FollowUpAsync()}/reply", new { reply = "矩阵" }),
                E([.. CountyActors.Select(a => (a, Forbidden)), .. City(Ok, NotFound, Ok, NotFound, Forbidden, NotFound, NotFound)])),
            ["PUT /api/city/relations/{id}/mechanisms/{kind}"] = new(() => Task.FromResult(new Probe(HttpMethod.Put, "/api/city/relations/construction-guidance/mechanisms/decision-rule", new { title = "矩阵" })),
                E([.. CountyActors.Select(a => (a, Forbidden)), .. City(Ok, NotFound, Forbidden, NotFound, Ok, Forbidden, Forbidden)])),
            // Another department asking for an item of a relation it has no part in: 400 not-on-relation-list (the lists are no secret: GET /api/city).
            ["POST /api/work-requests/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/work-requests", new { institutionId = "construction-quality-center", workItemCode = "building-quality-inspection", title = "矩阵" })),
                E([.. CountyActors.Select(a => (a, Forbidden)), .. City(Created, BadRequest, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden)])),
            // An institution's submissions to its departments (请示报告, 选拔任用备案): none of the township level's roles, not
            // the supervisors; another institution's relation is an unknown one (400), another department's or institution's
            // submission 404; only the department addressed answers.
            ["POST /api/submissions/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/submissions", new { kind = "report", relationId = "construction-guidance", title = "矩阵", body = "矩阵" })),
                E([.. CountyActors.Select(a => (a, Forbidden)), .. City(Forbidden, Forbidden, Created, BadRequest, Forbidden, Created, Created)])),
            ["GET /api/submissions/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/submissions", null)), E([.. CountyActors.Select(a => (a, Forbidden)), .. City(Ok)])),
            ["GET /api/submissions/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/submissions/{await SubmissionAsync()}", null),
                E([.. CountyActors.Select(a => (a, Forbidden)), .. City(Ok, NotFound, Ok, NotFound, Ok, NotFound, NotFound)])),
            ["POST /api/submissions/{id}/answer"] = new(async () => new Probe(HttpMethod.Post, $"/api/submissions/{await SubmissionAsync()}/answer", new { answer = "noted" }),
                E([.. CountyActors.Select(a => (a, Forbidden)), .. City(Ok, NotFound, Forbidden, NotFound, Forbidden, NotFound, NotFound)]), OwnerLast: "department"),
            // 补充材料: the submitting institution only (the department addressed and the office read it: 403); the body's
            // empty list answers the institution 400 before its status is looked at (the shared submission may be answered by then).
            ["POST /api/submissions/{id}/attachments"] = new(async () => new Probe(HttpMethod.Post, $"/api/submissions/{await SubmissionAsync()}/attachments", new { attachmentIds = Array.Empty<string>() }),
                E([.. CountyActors.Select(a => (a, Forbidden)), .. City(Forbidden, NotFound, BadRequest, NotFound, Forbidden, NotFound, NotFound)])),
            // 系统管理员: the whistle list and the county's settings.
            ["PUT /api/whistle-list/{code}"] = new(() => Task.FromResult(new Probe(HttpMethod.Put, "/api/whistle-list/matrix-matter", matter)), Only("sysadmin", Ok)),
            ["DELETE /api/whistle-list/{code}"] = new(async () =>
            {
                await _clients["sysadmin"].SendAsync(HttpMethod.Put, "/api/whistle-list/matrix-retire", matter);
                return new Probe(HttpMethod.Delete, "/api/whistle-list/matrix-retire", null);
            }, Only("sysadmin", NoContent), OwnerLast: "sysadmin"),
            ["PUT /api/org/agencies/{code}"] = new(() => Task.FromResult(new Probe(HttpMethod.Put, "/api/org/agencies/agriculture", new { name = "县农业农村局", nameEn = "County Agriculture and Rural Affairs Bureau" })), Only("sysadmin", Ok)),
            // 审计管理员: the audit trail, its export and its verification, nothing else.
            ["GET /api/audit/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/audit", null)), Only("auditadmin", Ok)),
            ["GET /api/audit/verify"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/audit/verify", null)), Only("auditadmin", Ok)),
            // Issue 13: an agency sees its own assessment (itself and its branches).
            ["GET /api/stats/response-times"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/stats/response-times", null)),
                E([("township", Ok), ("township-other", Ok), ("supervisor", Ok), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", Ok), ("agency-other", Ok), .. City(Ok)])),
            ["GET /api/stats/assessment"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/stats/assessment", null)),
                E([("township", Ok), ("township-other", Ok), ("supervisor", Ok), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", Ok), ("agency-other", Ok), .. City(Ok)])),
            // Issue 13: the map's boundaries and tile URL are the business roles' reference data.
            ["GET /api/map"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/map", null)), Everyone(Ok)),
            ["GET /api/users/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/users", null)), Only("secadmin", Ok)),
            ["POST /api/users/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users", new { userName = $"matrix.user{Interlocked.Increment(ref account)}", displayName = "矩阵", role = "township", orgId = "baiyun", password = "A-long-password" })), Only("secadmin", Created)),
            ["POST /api/users/{userName}/disable"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users/township.baiyun/disable", null)), Only("secadmin", NoContent), OwnerLast: "secadmin"),
            ["POST /api/users/{userName}/enable"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users/township.baiyun/enable", null)), Only("secadmin", NoContent)),
            ["POST /api/users/{userName}/unlock"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users/township.liuhe/unlock", null)), Only("secadmin", NoContent)),
            ["PUT /api/users/{userName}/role"] = new(() => Task.FromResult(new Probe(HttpMethod.Put, "/api/users/branch.market-supervision.liuhe/role", new { role = "branch", orgId = "market-supervision.liuhe" })), Only("secadmin", Ok)),
            ["POST /api/users/{userName}/password"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users/township.shuangqiao/password", new { password = "Another-long-password" })), Only("secadmin", NoContent)),
            ["POST /api/whistles/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/whistles", WhistleClient.Raise("矩阵", "street-vending", "routine"))),
                E([("township", Created), ("township-other", Created), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", Forbidden), ("agency-other", Forbidden), ("supervisor", Forbidden), .. City(Forbidden)])),
            ["GET /api/whistles/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/whistles", null)), Everyone(Ok)),
            ["GET /api/whistles/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/whistles/{(await FreshAsync()).Whistle}", null), Visible(Ok)),
            ["POST /api/whistles/{id}/cancel"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshAsync()).Whistle}/cancel", null), TownshipAction(Ok), OwnerLast: "township"),
            ["POST /api/whistles/{id}/confirm"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshAsync()).Whistle}/confirm", new { ratings = Array.Empty<object>() }), TownshipAction(Conflict)),
            ["POST /api/whistles/{id}/reopen"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshAsync()).Whistle}/reopen", new { reason = "r" }), TownshipAction(Conflict)),
            ["POST /api/whistles/{id}/assignments"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshAsync()).Whistle}/assignments", new { agencyCode = "health" }),
                E([("township", Forbidden), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Ok), .. City(NotFound)]), OwnerLast: "supervisor"),
            // Attachments (issue 14): reads under the whistle's visibility, deletion by the uploader or a supervisor.
            ["POST /api/attachments/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/attachments", new { })), Everyone(HttpStatusCode.UnsupportedMediaType)),
            ["GET /api/attachments/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/attachments/{await FreshPhotoAsync()}", null), Visible(Ok)),
            ["GET /api/attachments/{id}/content"] = new(async () => new Probe(HttpMethod.Get, $"/api/attachments/{await FreshPhotoAsync()}/content", null), Visible(Ok)),
            ["GET /api/attachments/{id}/display"] = new(async () => new Probe(HttpMethod.Get, $"/api/attachments/{await FreshPhotoAsync()}/display", null), Visible(Ok)),
            ["GET /api/attachments/{id}/thumbnail"] = new(async () => new Probe(HttpMethod.Get, $"/api/attachments/{await FreshPhotoAsync()}/thumbnail", null), Visible(Ok)),
            // One probe for every caller, the uploading township last: the supervisor removes the township's photo before it, so
            // the township finds it gone (its own removal: AttachmentSpecs).
            ["DELETE /api/attachments/{id}"] = new(async () => new Probe(HttpMethod.Delete, $"/api/attachments/{await FreshPhotoAsync()}", null),
                E([("township", NotFound), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Ok), .. City(NotFound)]), OwnerLast: "township"),
            ["POST /api/whistles/{id}/attachments"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshAsync()).Whistle}/attachments", new { attachmentIds = Array.Empty<string>() }), Visible(BadRequest)),
            ["GET /api/assignments/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/assignments", null)), Everyone(Ok)),
            ["POST /api/assignments/{id}/report"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshAsync()).Lead}/report", new { }), BranchAction(Ok), OwnerLast: "branch"),
            ["POST /api/assignments/{id}/resolve"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshAsync()).Lead}/resolve", new { note = "n" }), BranchAction(Conflict)),
            ["POST /api/assignments/{id}/decline"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshAsync()).Lead}/decline", new { reason = "r" }), BranchAction(Ok), OwnerLast: "branch"),
            ["POST /api/assignments/{id}/reassign"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshAsync()).Lead}/reassign", new { agencyCode = "public-security", reason = "r" }),
                E([("township", Conflict), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Ok), .. City(NotFound)]), OwnerLast: "supervisor"),
            // Issue 13: 催办 by an agency, of its own branch's duty only.
            ["POST /api/assignments/{id}/urge"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshAsync()).Lead}/urge", new { note = "请尽快到场" }),
                E([("township", Forbidden), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Ok), ("agency-other", NotFound), ("supervisor", Forbidden), .. City(NotFound)]), OwnerLast: "agency"),
            ["POST /api/meetings/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/meetings", Meeting())),
                E([("township", Created), ("township-other", Created), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", Forbidden), ("agency-other", Forbidden), ("supervisor", Created),
                    // A department or institution convenes only joint meetings (institutionIds / departmentIds): 400; the establishment office and an internal office none: 403.
                    .. City(BadRequest, BadRequest, BadRequest, BadRequest, Forbidden, Forbidden, Forbidden)])),
            ["GET /api/meetings/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/meetings", null)), Everyone(Ok)),
            ["GET /api/meetings/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/meetings/{(await FreshMeetingAsync()).Meeting}", null), Visible(Ok)),
            ["GET /api/meetings/{id}/ics"] = new(async () => new Probe(HttpMethod.Get, $"/api/meetings/{(await FreshMeetingAsync()).Meeting}/ics", null), Visible(Ok)),
            ["POST /api/meetings/{id}/summons/{summonsId}/confirm"] = new(async () =>
            {
                var (m, s) = await FreshMeetingAsync();
                return new Probe(HttpMethod.Post, $"/api/meetings/{m}/summons/{s}/confirm", new { attendee = "张队长" });
            }, BranchAction(Ok), OwnerLast: "branch"),
            ["POST /api/meetings/{id}/summons/{summonsId}/decline"] = new(async () =>
            {
                var (m, s) = await FreshMeetingAsync();
                return new Probe(HttpMethod.Post, $"/api/meetings/{m}/summons/{s}/decline", new { reason = "同时段有应急任务" });
            }, BranchAction(Ok), OwnerLast: "branch"),
            ["POST /api/meetings/{id}/attendance"] = new(async () =>
            {
                var (m, s) = await FreshMeetingAsync();
                return new Probe(HttpMethod.Post, $"/api/meetings/{m}/attendance", new { entries = new[] { new { summonsId = s, attendance = "present" } } });
            }, Organizer(Ok), OwnerLast: "township"),
            ["POST /api/meetings/{id}/minutes"] = new(async () => new Probe(HttpMethod.Post, $"/api/meetings/{(await FreshMeetingAsync()).Meeting}/minutes", new { minutes = "议定事项如下" }), Organizer(Ok), OwnerLast: "township"),
            ["POST /api/meetings/{id}/cancel"] = new(async () => new Probe(HttpMethod.Post, $"/api/meetings/{(await FreshMeetingAsync()).Meeting}/cancel", null), Organizer(Ok), OwnerLast: "township"),
            // Branch heads (issue 16): the record is no secret (a branch sees its own); only the institution keeps it.
            ["GET /api/heads/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/heads", null)), Everyone(Ok)),
            ["GET /api/heads/{branchId}/history"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/heads/urban-management.chengguan/history", null)), Visible(Ok)),
            ["PUT /api/heads/{branchId}/{post}"] = new(() => Task.FromResult(new Probe(HttpMethod.Put, "/api/heads/urban-management.chengguan/head", new { name = "矩阵测试", title = "中队长" })),
                E([("township", Forbidden), ("township-other", Forbidden), ("branch", NotFound), ("branch-other", NotFound), ("agency", Ok), ("agency-other", Forbidden), ("supervisor", Forbidden), .. City(NotFound)])),
            ["DELETE /api/heads/{branchId}/{post}"] = new(async () =>
            {
                await _clients["agency"].SendAsync(HttpMethod.Put, "/api/heads/urban-management.chengguan/deputy", new { name = "矩阵副职", title = "副中队长" });
                return new Probe(HttpMethod.Delete, "/api/heads/urban-management.chengguan/deputy", null);
            }, E([("township", Forbidden), ("township-other", Forbidden), ("branch", NotFound), ("branch-other", NotFound), ("agency", Ok), ("agency-other", Forbidden), ("supervisor", Forbidden), .. City(NotFound)]), OwnerLast: "agency"),
            // Assessment forms and recommendations (confidential): never a branch; another township or institution: 404.
            ["GET /api/assessment-forms/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/assessment-forms", null)), HeadsEveryone(Ok)),
            ["GET /api/assessment-forms/settings"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/assessment-forms/settings", null)), HeadsEveryone(Ok)),
            ["GET /api/assessment-forms/export"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/assessment-forms/export", null)), HeadsEveryone(Ok)),
            ["GET /api/assessment-forms/summary"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/assessment-forms/summary", null)), SupervisorOnly(Ok)),
            ["GET /api/assessment-forms/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/assessment-forms/{await PendingFormAsync()}", null), HeadsVisible(Ok)),
            ["POST /api/assessment-forms/{id}/submit"] = new(async () => new Probe(HttpMethod.Post, $"/api/assessment-forms/{await PendingFormAsync()}/submit", new { grade = "excellent", opinion = "优秀" }),
                Set(HeadsVisible(Forbidden), "township", Ok), OwnerLast: "township"),
            ["POST /api/assessment-forms/{id}/corrections"] = new(async () => new Probe(HttpMethod.Post, $"/api/assessment-forms/{await SubmittedFormAsync()}/corrections", new { grade = "excellent", opinion = "优秀", reason = "复核" }),
                Set(HeadsVisible(Forbidden), "township", Created), OwnerLast: "township"),
            ["POST /api/recommendations/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/recommendations", Recommendation())),
                E([("township", Created), ("township-other", BadRequest), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", BadRequest), ("agency-other", BadRequest), ("supervisor", Forbidden), .. City(Forbidden)])),
            ["GET /api/recommendations/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/recommendations", null)), HeadsEveryone(Ok)),
            ["GET /api/recommendations/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/recommendations/{await RecommendationAsync()}", null), HeadsVisible(Ok)),
            ["POST /api/recommendations/{id}/answer"] = new(async () => new Probe(HttpMethod.Post, $"/api/recommendations/{await RecommendationAsync()}/answer", new { answer = "accepted", reasons = "同意", actionTaken = "已通报表扬" }),
                Set(HeadsVisible(Forbidden), "agency", Ok), OwnerLast: "agency"),
            ["POST /api/recommendations/{id}/decide"] = new(async () => new Probe(HttpMethod.Post, $"/api/recommendations/{await ConsultationAsync()}/decide", new { decision = "免去职务" }),
                Set(HeadsVisible(Forbidden), "agency", Conflict)),
            ["GET /api/export/whistles"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/export/whistles", null)), SupervisorOnly(Ok)),
            // Issue 17: one row per duty, both levels.
            ["GET /api/export/assignments"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/export/assignments", null)), SupervisorOnly(Ok)),
            ["GET /api/export/timeline"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/export/timeline", null)), SupervisorOnly(Ok)),
            ["GET /api/export/attachments"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/export/attachments", null)), SupervisorOnly(Ok)),
            // Notice channels (issue 7): the system administrator only.
            ["GET /api/notice-channels/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/notice-channels", null)), Only("sysadmin", Ok)),
            ["GET /api/notice-channels/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/notice-channels/{await NoticeChannelAsync("matrix-read")}", null), Only("sysadmin", Ok)),
            ["PUT /api/notice-channels/{id}"] = new(() => Task.FromResult(new Probe(HttpMethod.Put, "/api/notice-channels/matrix-put", NoticeChannel())), Only("sysadmin", Ok)),
            ["DELETE /api/notice-channels/{id}"] = new(async () => new Probe(HttpMethod.Delete, $"/api/notice-channels/{await NoticeChannelAsync("matrix-delete")}", null), Only("sysadmin", NoContent)),
            ["GET /api/notice-channels/{id}/deliveries"] = new(async () => new Probe(HttpMethod.Get, $"/api/notice-channels/{await NoticeChannelAsync("matrix-read")}/deliveries", null), Only("sysadmin", Ok)),
            ["POST /api/notice-channels/{id}/test"] = new(async () => new Probe(HttpMethod.Post, $"/api/notice-channels/{await NoticeChannelAsync("matrix-read")}/test", null), Only("sysadmin", HttpStatusCode.Accepted)),
            // Operations (issue 7): probes, the scrape endpoint and the API reference are public, and say nothing about any organisation.
            ["* /health/live"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/health/live", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["* /health/ready"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/health/ready", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["* /metrics"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/metrics", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /openapi/{documentName}.json"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/openapi/v1.json", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /scalar/{documentName?}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/scalar/v1", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /scalar/scalar.js"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/scalar/scalar.js", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /scalar/scalar.aspnetcore.js"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/scalar/scalar.aspnetcore.js", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /scalar/favicon.svg"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/scalar/favicon.svg", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            // Open311 GeoReport v2 (issue 7): anonymous at the HTTP level, authorised by api_key (none here: 403 in the specification's format).
            ["GET /open311/v2/discovery.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/open311/v2/discovery.json", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /open311/v2/services.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/open311/v2/services.json", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /open311/v2/services/{code}.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/open311/v2/services/street-vending.xml", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["POST /open311/v2/requests.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/open311/v2/requests.json", new { service_code = "street-vending" })), E(Actors.Select(a => (a, Forbidden)).ToArray())),
            ["GET /open311/v2/requests.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/open311/v2/requests.json", null)), E(Actors.Select(a => (a, Forbidden)).ToArray())),
            ["GET /open311/v2/requests/{id}.{format}"] = new(async () => new Probe(HttpMethod.Get, $"/open311/v2/requests/{(await FreshAsync()).Whistle}.json?api_key=not-a-key", null), E(Actors.Select(a => (a, Forbidden)).ToArray())),
            // Open311's media_url: read with an API key, never a bearer token (a wrong key: 403 for everyone).
            ["GET /open311/v2/media/{id}.{format}"] = new(async () => new Probe(HttpMethod.Get, $"/open311/v2/media/{await FreshPhotoAsync()}.jpg?api_key=not-a-key", null), E(Actors.Select(a => (a, Forbidden)).ToArray())),
            ["* /api/{**path}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/no-such-thing", null)), E(Actors.Select(a => (a, NotFound)).ToArray())),

            // ---- Issue 17: the same endpoints on the city level's objects (a row "route · object" probes the route's city
            // object). A work request of 市住建局 to its center, routed to 房屋建筑监督科: no county role but the supervisors
            // sees it (404); the department asks, confirms, cancels; the office account acts on its duty; the institution's own
            // account and the establishment office read; another department, institution or office: 404. It is never
            // reassigned nor given another unit (409 work-request-not-reassigned).
            ["GET /api/whistles/{id} · work request"] = new(async () => new Probe(HttpMethod.Get, $"/api/whistles/{(await FreshWorkRequestAsync()).Whistle}", null), RequestVisible(Ok)),
            ["POST /api/whistles/{id}/cancel · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshWorkRequestAsync()).Whistle}/cancel", null),
                CityObject(Forbidden, City(Ok, NotFound, Forbidden, NotFound, Forbidden, Forbidden, NotFound)), OwnerLast: "department"),
            ["POST /api/whistles/{id}/confirm · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshWorkRequestAsync()).Whistle}/confirm", new { ratings = Array.Empty<object>() }),
                CityObject(Forbidden, City(Conflict, NotFound, Forbidden, NotFound, Forbidden, Forbidden, NotFound))),
            ["POST /api/whistles/{id}/reopen · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshWorkRequestAsync()).Whistle}/reopen", new { reason = "r" }),
                CityObject(Forbidden, City(Conflict, NotFound, Forbidden, NotFound, Forbidden, Forbidden, NotFound))),
            ["POST /api/whistles/{id}/assignments · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshWorkRequestAsync()).Whistle}/assignments", new { agencyCode = "health" }),
                CityObject(Conflict, City(Forbidden, NotFound, Forbidden, NotFound, Forbidden, Forbidden, NotFound))),
            ["POST /api/whistles/{id}/attachments · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshWorkRequestAsync()).Whistle}/attachments", new { attachmentIds = Array.Empty<string>() }),
                CityObject(BadRequest, City(BadRequest, NotFound, BadRequest, NotFound, BadRequest, BadRequest, NotFound))),
            ["POST /api/assignments/{id}/report · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshWorkRequestAsync()).Lead}/report", new { }),
                CityObject(Forbidden, City(Forbidden, NotFound, Forbidden, NotFound, Forbidden, Ok, NotFound)), OwnerLast: "institution-office"),
            ["POST /api/assignments/{id}/resolve · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshWorkRequestAsync()).Lead}/resolve", new { note = "n" }),
                CityObject(Forbidden, City(Forbidden, NotFound, Forbidden, NotFound, Forbidden, Conflict, NotFound))),
            ["POST /api/assignments/{id}/decline · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshWorkRequestAsync()).Lead}/decline", new { reason = "r" }),
                CityObject(Forbidden, City(Forbidden, NotFound, Forbidden, NotFound, Forbidden, Ok, NotFound)), OwnerLast: "institution-office"),
            ["POST /api/assignments/{id}/reassign · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshWorkRequestAsync()).Lead}/reassign", new { agencyCode = "public-security", reason = "r" }),
                CityObject(Conflict, City(Conflict, NotFound, Conflict, NotFound, Conflict, Conflict, NotFound))),
            ["POST /api/assignments/{id}/urge · work request"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshWorkRequestAsync()).Lead}/urge", new { note = "请尽快办理" }),
                CityObject(Forbidden, City(Forbidden, NotFound, Forbidden, NotFound, Forbidden, Forbidden, NotFound))),
            // A work request's photo (the department's): read under the request's visibility.
            ["GET /api/attachments/{id} · work request"] = new(async () => new Probe(HttpMethod.Get, $"/api/attachments/{await FreshRequestPhotoAsync()}", null), RequestVisible(Ok)),
            ["GET /api/attachments/{id}/content · work request"] = new(async () => new Probe(HttpMethod.Get, $"/api/attachments/{await FreshRequestPhotoAsync()}/content", null), RequestVisible(Ok)),
            ["GET /api/attachments/{id}/display · work request"] = new(async () => new Probe(HttpMethod.Get, $"/api/attachments/{await FreshRequestPhotoAsync()}/display", null), RequestVisible(Ok)),
            ["GET /api/attachments/{id}/thumbnail · work request"] = new(async () => new Probe(HttpMethod.Get, $"/api/attachments/{await FreshRequestPhotoAsync()}/thumbnail", null), RequestVisible(Ok)),
            // A joint meeting of 市住建局 with its center (begun): its participants only — not the supervisors, not the
            // establishment office, not the center's offices; the convener keeps it, the institution summoned answers.
            ["GET /api/meetings/{id} · joint meeting"] = new(async () => new Probe(HttpMethod.Get, $"/api/meetings/{(await FreshJointMeetingAsync()).Meeting}", null),
                CityObject(NotFound, City(Ok, NotFound, Ok, NotFound, NotFound, NotFound, NotFound))),
            ["GET /api/meetings/{id}/ics · joint meeting"] = new(async () => new Probe(HttpMethod.Get, $"/api/meetings/{(await FreshJointMeetingAsync()).Meeting}/ics", null),
                CityObject(NotFound, City(Ok, NotFound, Ok, NotFound, NotFound, NotFound, NotFound))),
            ["POST /api/meetings/{id}/summons/{summonsId}/confirm · joint meeting"] = new(async () =>
            {
                var (m, s) = await FreshJointMeetingAsync();
                return new Probe(HttpMethod.Post, $"/api/meetings/{m}/summons/{s}/confirm", new { attendee = "王主任" });
            }, CityObject(NotFound, City(Forbidden, NotFound, Ok, NotFound, NotFound, NotFound, NotFound)), OwnerLast: "institution"),
            ["POST /api/meetings/{id}/summons/{summonsId}/decline · joint meeting"] = new(async () =>
            {
                var (m, s) = await FreshJointMeetingAsync();
                return new Probe(HttpMethod.Post, $"/api/meetings/{m}/summons/{s}/decline", new { reason = "同时段有检查任务" });
            }, CityObject(NotFound, City(Forbidden, NotFound, Ok, NotFound, NotFound, NotFound, NotFound)), OwnerLast: "institution"),
            ["POST /api/meetings/{id}/attendance · joint meeting"] = new(async () =>
            {
                var (m, s) = await FreshJointMeetingAsync();
                return new Probe(HttpMethod.Post, $"/api/meetings/{m}/attendance", new { entries = new[] { new { summonsId = s, attendance = "present" } } });
            }, CityObject(NotFound, City(Ok, NotFound, Forbidden, NotFound, NotFound, NotFound, NotFound)), OwnerLast: "department"),
            ["POST /api/meetings/{id}/minutes · joint meeting"] = new(async () => new Probe(HttpMethod.Post, $"/api/meetings/{(await FreshJointMeetingAsync()).Meeting}/minutes", new { minutes = "议定事项如下" }),
                CityObject(NotFound, City(Ok, NotFound, Forbidden, NotFound, NotFound, NotFound, NotFound)), OwnerLast: "department"),
            ["POST /api/meetings/{id}/cancel · joint meeting"] = new(async () => new Probe(HttpMethod.Post, $"/api/meetings/{(await FreshJointMeetingAsync()).Meeting}/cancel", null),
                CityObject(NotFound, City(Ok, NotFound, Forbidden, NotFound, NotFound, NotFound, NotFound)), OwnerLast: "department"),
        };
    }

    /// <summary>A township's whistle, meeting or branch: its own organisations and the supervisors; no city role sees it (404, as another township).</summary>
    private static Dictionary<string, HttpStatusCode> Visible(HttpStatusCode code) =>
        E([("township", code), ("township-other", NotFound), ("branch", code), ("branch-other", NotFound), ("agency", code), ("agency-other", NotFound), ("supervisor", code), .. City(NotFound)]);

    private static Dictionary<string, HttpStatusCode> TownshipAction(HttpStatusCode code) =>
        E([("township", code), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Forbidden), .. City(NotFound)]);

    private static Dictionary<string, HttpStatusCode> BranchAction(HttpStatusCode code) =>
        E([("township", Forbidden), ("township-other", NotFound), ("branch", code), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Forbidden), .. City(NotFound)]);

    /// <summary>A row's route: its key without the " · object" of a row that probes the route's city object.</summary>
    private static string RouteOf(string row) => row.Split(" · ")[0];

    /// <summary>A work request's read: the supervisors, its department, its institution and the office its duty names, the establishment office.</summary>
    private static Dictionary<string, HttpStatusCode> RequestVisible(HttpStatusCode code) => CityObject(code, City(code, NotFound, code, NotFound, code, code, NotFound));

    /// <summary>A city object's row: no county role sees it (404) but the supervisors (their answer given); the city roles' as given.</summary>
    private static Dictionary<string, HttpStatusCode> CityObject(HttpStatusCode supervisor, (string, HttpStatusCode)[] city) =>
        E([.. CountyActors.Where(a => a != "supervisor").Select(a => (a, NotFound)), ("supervisor", supervisor), .. city]);

    private IEnumerable<string> Endpoints() =>
        _system.Apis[0].Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/hubs/", StringComparison.Ordinal) && e.RoutePattern.RawText != "{*path:nonfile}")
            .Select(e => $"{(e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? string.Join(",", m) : "*")} {e.RoutePattern.RawText}")
            .Distinct();

    [Test]
    public void Should_have_a_row_for_every_endpoint()
    {
        var rows = Rows().Keys.Select(RouteOf).ToHashSet();
        Assert.That(Endpoints().Where(e => !rows.Contains(e)), Is.Empty, "endpoints without a row in the authorization matrix");
        Assert.That(rows.Where(r => !Endpoints().Contains(r)), Is.Empty, "rows for endpoints that do not exist");
    }

    [TestCaseSource(nameof(RowNames))]
    public async Task Should_answer_each_role_as_the_table_says(string endpoint)
    {
        var row = Rows()[endpoint];
        var probe = await row.Setup();
        var order = Actors.Where(a => a != row.OwnerLast).Append(row.OwnerLast).OfType<string>();
        var failures = new List<string>();
        lock (_endpointsCalled) _endpointsCalled.Add(endpoint);
        foreach (var actor in order)
        {
            var status = await SendAsync(actor, probe);
            Interlocked.Increment(ref _calls);
            if (status != row.Expected[actor])
            {
                failures.Add($"{actor}: expected {(int)row.Expected[actor]}, got {(int)status}");
                Interlocked.Increment(ref _unexpected);
            }
        }

        Assert.That(failures, Is.Empty, $"{endpoint} {probe.Path}");
    }

    // ---- the hub: every method, over a real connection of each role ----

    /// <summary>What each caller's connection may get from a hub method: its own organisation's events only.</summary>
    private sealed record HubRow(Func<PushClient, Task<IReadOnlyList<JsonNode>>> Call);

    private static Dictionary<string, HubRow> HubRows() => new()
    {
        ["CatchUp"] = new(CatchUpAllAsync),
    };

    /// <summary>Every event of the caller's stream, batch after batch (a full batch means: call again from its last sequence).</summary>
    private static async Task<IReadOnlyList<JsonNode>> CatchUpAllAsync(PushClient push)
    {
        var events = new List<JsonNode>();
        for (long after = 0; ;)
        {
            var batch = await push.CatchUpAsync(after);
            events.AddRange(batch);
            if (batch.Count < Whistle.Api.Whistles.WhistleQueries.CatchUpBatch) return events;
            after = batch[^1]["sequence"]!.GetValue<long>();
        }
    }

    private static IEnumerable<string> HubMethods() =>
        typeof(Whistle.Api.Push.WhistleHub).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && m.Name is not ("OnConnectedAsync" or "OnDisconnectedAsync" or "Dispose"))
            .Select(m => m.Name);

    [Test]
    public void Should_have_a_row_for_every_hub_method()
    {
        Assert.That(HubMethods().Where(m => !HubRows().ContainsKey(m)), Is.Empty, "hub methods without a row in the authorization matrix");
        Assert.That(HubRows().Keys.Where(r => !HubMethods().Contains(r)), Is.Empty, "rows for hub methods that do not exist");
        // No hub method takes a group, or any text a caller could aim at another organisation.
        var parameters = typeof(Whistle.Api.Push.WhistleHub).GetMethods().Where(m => HubMethods().Contains(m.Name)).SelectMany(m => m.GetParameters());
        Assert.That(parameters.Where(p => p.ParameterType == typeof(string)).Select(p => p.Name), Is.Empty);
    }

    /// <summary>The whistles a business caller may see, from its own (row-checked) list.</summary>
    private async Task<HashSet<string>> VisibleWhistlesAsync(string actor) =>
        (await AllItemsAsync(_clients[actor], "/api/whistles?status=all")).Select(w => w.Str("id")).ToHashSet();

    private static async Task<List<JsonNode>> AllItemsAsync(WhistleClient client, string path)
    {
        var items = new List<JsonNode>();
        for (var page = 1; ; page++)
        {
            var (status, body, _) = await client.GetAsync($"{path}&page={page}&pageSize=100");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), path);
            var batch = body!["items"]!.AsArray().Select(i => i!).ToList();
            items.AddRange(batch);
            if (batch.Count < 100) return items;
        }
    }

    [TestCaseSource(nameof(HubMethodNames))]
    public async Task Should_answer_each_hub_method_with_the_callers_own_events_only(string method)
    {
        var row = HubRows()[method];
        // Every kind of event on the stream, of both levels (whistles, meetings, heads, work requests, joint meetings,
        // submissions, follow-ups), and a fresh whistle and work request each caller sees or does not.
        await ListDataAsync();
        var (whistle, _) = await FreshAsync();
        var (request, _) = await FreshWorkRequestAsync();
        var failures = new List<string>();
        lock (_hubMethodsCalled) _hubMethodsCalled.Add(method);
        foreach (var actor in Actors.Where(a => a != "anonymous"))
        {
            Interlocked.Increment(ref _hubCalls);
            if (Administrators.Contains(actor))
            {
                // Administrators see no whistle: their connection is refused before any method can be called.
                try
                {
                    await using var refused = await _system.ConnectAsync(_clients[actor]);
                    failures.Add($"{actor}: connected");
                    Interlocked.Increment(ref _unexpected);
                }
                catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or HttpRequestException or InvalidOperationException)
                {
                }

                continue;
            }

            await using var push = await _system.ConnectAsync(_clients[actor]);
            var events = await row.Call(push);
            var visible = await VisibleWhistlesAsync(actor);
            var meetings = (await AllItemsAsync(_clients[actor], "/api/meetings?status=all")).Select(m => m.Str("id")).ToHashSet();
            var (role, org) = (RoleOf(actor), _clients[actor].OrgId);
            // A branch head's events (issue 16), a submission's and a follow-up's (issue 17) carry their own snapshot: judged
            // by their rule; a meeting's by the caller's own (row-checked) meetings; any other by its whistles.
            var foreign = events.Where(e => e["heads"] is { } heads ? !HeadsRow(role, org, heads)
                    : e["submission"] is { } submission ? !SubmissionRow(role, org, submission)
                    : e["followUp"] is { } followUp ? !FollowUpRow(role, org, followUp)
                    : e["meeting"] is { } meeting ? !meetings.Contains(meeting.Str("id"))
                    : e["whistleId"] is { } id && !visible.Contains(id.GetValue<string>())).ToList();
            var seesFresh = events.Any(e => (string?)e["whistleId"] == whistle);
            var shouldSeeFresh = actor is "township" or "branch" or "agency" or "supervisor";
            var seesRequest = events.Any(e => (string?)e["whistleId"] == request);
            var shouldSeeRequest = actor is "supervisor" or "department" or "institution" or "institution-office" or "establishment-office";
            if (foreign.Count > 0 || seesFresh != shouldSeeFresh || seesRequest != shouldSeeRequest)
            {
                failures.Add($"{actor}: {foreign.Count} events it may not see{(foreign.Count > 0 ? $" (e.g. {foreign[0].ToJsonString()[..Math.Min(200, foreign[0].ToJsonString().Length)]})" : "")}; "
                    + $"sees the fresh whistle: {seesFresh}; sees the fresh work request: {seesRequest}");
                Interlocked.Increment(ref _unexpected);
            }
        }

        Assert.That(failures, Is.Empty, method);
    }

    public static IEnumerable<string> HubMethodNames() => HubRows().Keys;

    [Test]
    public async Task Should_refuse_a_hub_method_that_would_join_a_group_and_a_connection_without_a_token()
    {
        await using var push = await _system.ConnectAsync(_clients["township-other"]);
        foreach (var (name, args) in new (string, object[])[] { ("JoinGroup", ["county"]), ("AddToGroupAsync", ["township:chengguan"]), ("Subscribe", ["county"]) })
        {
            var e = Assert.CatchAsync<Exception>(() => push.Connection.InvokeCoreAsync(name, typeof(object), args), name);
            Assert.That(e, Is.InstanceOf<Microsoft.AspNetCore.SignalR.HubException>(), name);
        }

        Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => PushClient.ConnectAsync(_system.Api, "not-a-token"));
    }

    [Test]
    public async Task Should_push_live_events_to_their_own_organisation_only()
    {
        // Each of a pair of callers of one kind listens; a whistle of the first's organisation is raised, then one of the
        // second's. Pushes reach a connection in sequence order, so once the second's own event arrived, the first's
        // would have arrived before it if it were going to.
        await using var township = await _system.ConnectAsync(_clients["township"]);
        await using var townshipOther = await _system.ConnectAsync(_clients["township-other"]);
        await using var branch = await _system.ConnectAsync(_clients["branch"]);
        await using var branchOther = await _system.ConnectAsync(_clients["branch-other"]);
        var mine = await _clients["township"].RaiseAsync(WhistleClient.Raise("矩阵推送", "street-vending", "routine"));
        await township.WaitForAsync("AssignmentDispatched", mine.Str("id"));
        await branch.WaitForAsync("AssignmentDispatched", mine.Str("id"));
        var theirs = await _clients["township-other"].RaiseAsync(WhistleClient.Raise("矩阵推送（东风）", "street-vending", "routine"));
        await townshipOther.WaitForAsync("AssignmentDispatched", theirs.Str("id"));
        await branchOther.WaitForAsync("AssignmentDispatched", theirs.Str("id"));
        Assert.Multiple(() =>
        {
            Assert.That(townshipOther.Received.Where(e => (string?)e["whistleId"] == mine.Str("id")), Is.Empty, "the other township");
            Assert.That(branchOther.Received.Where(e => (string?)e["whistleId"] == mine.Str("id")), Is.Empty, "the other township's branch");
            Assert.That(township.Received.Where(e => (string?)e["whistleId"] == theirs.Str("id")), Is.Empty, "the first township");
            Assert.That(branch.Received.Where(e => (string?)e["whistleId"] == theirs.Str("id")), Is.Empty, "the first branch");
        });
    }

    [Test]
    public async Task Should_push_a_work_requests_live_events_to_its_own_department_institution_and_office_only()
    {
        // The city level (issue 17): 市住建局 asks its center's building office, 市水务局 the same center's water office,
        // 团市委 its own center. Each listener waits for its own request's event; pushes reach a connection in sequence
        // order, so the others' would have arrived before the last one each waits for if they were going to.
        await using var department = await _system.ConnectAsync(_clients["department"]);
        await using var departmentOther = await _system.ConnectAsync(_clients["department-other"]);
        await using var office = await _system.ConnectAsync(_clients["institution-office"]);
        await using var officeOther = await _system.ConnectAsync(_clients["institution-office-other"]);
        await using var institutionOther = await _system.ConnectAsync(_clients["institution-other"]);
        await using var township = await _system.ConnectAsync(_clients["township"]);
        using var water = await _system.SignInAsync("department.city-water");
        var mine = (await FreshWorkRequestAsync()).Whistle;
        await department.WaitForAsync("AssignmentDispatched", mine);
        await office.WaitForAsync("AssignmentDispatched", mine);
        var (_, waterRequest, _) = await water.PostAsync("/api/work-requests", new { institutionId = "construction-quality-center", workItemCode = "water-works-inspection", title = "矩阵推送（水务）" });
        var waterId = waterRequest!.Str("id");
        await officeOther.WaitForAsync("AssignmentDispatched", waterId);
        var (_, youth, _) = await _clients["department-other"].PostAsync("/api/work-requests", new { institutionId = "mass-org-center", workItemCode = "mass-event-support", title = "矩阵推送（团市委）" });
        var youthId = youth!.Str("id");
        await departmentOther.WaitForAsync("AssignmentDispatched", youthId);
        var theirs = await _clients["township"].RaiseAsync(WhistleClient.Raise("矩阵推送（城关）", "street-vending", "routine"));
        await township.WaitForAsync("AssignmentDispatched", theirs.Str("id"));
        var last = (await FreshWorkRequestAsync()).Whistle;
        await department.WaitForAsync("AssignmentDispatched", last);
        await office.WaitForAsync("AssignmentDispatched", last);
        using var ndrc = await _system.SignInAsync("department.city-ndrc");
        var (_, credit, _) = await ndrc.PostAsync("/api/work-requests", new { institutionId = "credit-center", workItemCode = "credit-data-collection", title = "矩阵推送（信用）" });
        await institutionOther.WaitForAsync("AssignmentDispatched", credit!.Str("id"));
        static IEnumerable<string?> Of(PushClient push) => push.Received.Select(e => (string?)e["whistleId"]);
        Assert.Multiple(() =>
        {
            Assert.That(Of(departmentOther), Does.Not.Contain(mine).And.Not.Contain(waterId), "another department");
            Assert.That(Of(officeOther), Does.Not.Contain(mine), "another office of the same institution");
            Assert.That(Of(office), Does.Not.Contain(waterId), "the first office, of the water office's request");
            Assert.That(Of(institutionOther), Does.Not.Contain(mine).And.Not.Contain(youthId).And.Not.Contain(last), "another institution");
            Assert.That(Of(township), Does.Not.Contain(mine), "a township");
            Assert.That(Of(department), Does.Not.Contain(theirs.Str("id")).And.Not.Contain(waterId), "the department, of a township's whistle and another department's request");
        });
    }

    // ---- lists: every row of a 200 belongs to what its caller may see ----

    /// <summary>A list endpoint: its path, where its rows are, and whether a row is the caller's to see.</summary>
    private sealed record ListRow(string Path, Func<JsonNode, IEnumerable<JsonNode>> Rows, Func<string, string, JsonNode, bool> Sees, string[] NonEmptyFor);

    private static IEnumerable<JsonNode> Items(JsonNode body) => body["items"]!.AsArray().Select(i => i!);

    private static IEnumerable<JsonNode> Elements(JsonNode body) => body.AsArray().Select(i => i!);

    private static bool Any(JsonNode? list, string property, string value) => list!.AsArray().Any(x => (string?)x![property] == value);

    private static readonly string[] Everybody = ["township", "township-other", "branch", "branch-other", "agency", "supervisor"];

    /// <summary>The city callers whose lists hold rows (団市委, the "department-other", has no relation the list data touches).</summary>
    private static readonly string[] CityWithRows = ["department", "institution", "institution-other", "establishment-office", "institution-office"];

    private static IEnumerable<JsonNode> Summons(JsonNode meeting) => meeting["summons"]!.AsArray().Select(x => x!);

    private static bool IsCity(JsonNode w) => (string?)w["level"] == "city";

    private static Dictionary<string, ListRow> ListRows() => new()
    {
        // A work request (issue 17) is a whistle of the city level: its department (township_id), the institution and office
        // its duties name, the establishment office; never a township's or an agency's.
        ["GET /api/whistles"] = new("/api/whistles?status=all&pageSize=100", Items, (role, org, w) => role switch
        {
            "supervisor" => true,
            "township" => !IsCity(w) && w.Str("townshipId") == org,
            "branch" => Any(w["assignments"], "branchId", org),
            "agency" => !IsCity(w) && Any(w["assignments"], "agencyCode", org),
            "department" => IsCity(w) && w.Str("townshipId") == org,
            "institution" => IsCity(w) && (Any(w["assignments"], "agencyCode", org) || Any(w["assignments"], "branchId", org)),
            "establishment-office" => IsCity(w),
            _ => false,
        }, [.. Everybody, .. CityWithRows]),
        ["GET /api/assignments"] = new("/api/assignments?status=all&pageSize=100", Items, (role, org, a) => role switch
        {
            "supervisor" => true,
            "township" => !IsCity(a["whistle"]!) && a["whistle"]!.Str("townshipId") == org,
            "branch" => (string?)a["branchId"] == org,
            "agency" => !IsCity(a["whistle"]!) && a.Str("agencyCode") == org,
            "department" => IsCity(a["whistle"]!) && a["whistle"]!.Str("townshipId") == org,
            "institution" => IsCity(a["whistle"]!) && (a.Str("agencyCode") == org || (string?)a["branchId"] == org),
            "establishment-office" => IsCity(a["whistle"]!),
            _ => false,
        }, [.. Everybody, .. CityWithRows]),
        // A joint meeting (issue 17) is its participants' only: its convening department or institution and those it
        // summons; not the supervisors, not the establishment office; a township's meeting no city role's.
        ["GET /api/meetings"] = new("/api/meetings?status=all&pageSize=100", Items, (role, org, m) => role switch
        {
            "supervisor" => m.Str("convenerKind") == "township",
            "township" => m.Str("convenerKind") == "township" && (string?)m["townshipId"] == org,
            "branch" => Summons(m).Any(x => x.Str("participantKind") == "unit" && (string?)x["branchId"] == org),
            "agency" => Summons(m).Any(x => x.Str("participantKind") == "unit" && x.Str("agencyCode") == org),
            "department" or "institution" => (m.Str("convenerKind") == role && (string?)m["townshipId"] == org)
                || Summons(m).Any(x => x.Str("participantKind") == role && x.Str("agencyCode") == org),
            _ => false,
        }, ["township", "township-other", "branch", "branch-other", "agency", "supervisor", "department", "institution", "institution-other"]),
        // The establishment office's follow-ups: the office and the supervisors all; the department addressed and the
        // relation's institution their own.
        ["GET /api/city/follow-ups"] = new("/api/city/follow-ups", Elements, FollowUpRow, ["supervisor", "establishment-office", "department", "institution"]),
        // Submissions: the institution (or office) that filed, the department addressed, the establishment office.
        ["GET /api/submissions"] = new("/api/submissions", Elements, SubmissionRow, ["department", "institution", "institution-other", "establishment-office"]),
        // A township's statistics: the branches stationed in it, no agency.
        // An agency's: itself and its own branches (issue 13).
        // A city role's (issue 17): the city level only, none of the township level's units (and no township or agency
        // gets a city unit).
        ["GET /api/stats/response-times"] = new("/api/stats/response-times", StatsUnits, StatsRow, ["township", "township-other", "agency", "agency-other", "supervisor"]),
        ["GET /api/stats/assessment"] = new("/api/stats/assessment", StatsUnits, StatsRow, ["township", "township-other", "agency", "agency-other", "supervisor"]),
        // The branch heads' record (issue 16): a township its stationed branches, an agency its own, a branch itself; no
        // city role any (the county's branches are none of a department's or institution's relations).
        ["GET /api/heads"] = new("/api/heads", Elements, (role, org, b) => role switch
        {
            "supervisor" => true,
            "township" => b.Str("townshipId") == org,
            "agency" => b.Str("agencyCode") == org,
            "branch" => b.Str("branchId") == org,
            _ => false,
        }, ["township", "township-other", "branch", "branch-other", "agency", "agency-other", "supervisor"]),
        // A branch head's forms and recommendations (issue 16): the township's own, the institution's own, the county's for supervisors.
        ["GET /api/assessment-forms"] = new("/api/assessment-forms", Elements, HeadsRow, ["township", "township-other", "agency", "supervisor"]),
        ["GET /api/recommendations"] = new("/api/recommendations", Elements, HeadsRow, ["township", "township-other", "agency", "supervisor"]),
        // The administrators' lists are county-wide, and theirs alone (any other caller: 403, by the table above).
        ["GET /api/audit"] = new("/api/audit?pageSize=100", Items, (role, _, _) => role == "auditadmin", ["auditadmin"]),
        ["GET /api/users"] = new("/api/users", Elements, (role, _, _) => role == "secadmin", ["secadmin"]),
        ["GET /api/notice-channels"] = new("/api/notice-channels", Elements, (role, _, _) => role == "sysadmin", ["sysadmin"]),
    };

    private static IEnumerable<JsonNode> StatsUnits(JsonNode b) =>
        new[] { "agencies", "branches", "institutions", "offices", "relations" }.SelectMany(k => b[k]?.AsArray() ?? []).Select(x => x!);

    private static bool StatsRow(string role, string org, JsonNode u)
    {
        var city = u.Str("kind") is "institution" or "office" or "relation";
        return role switch
        {
            "supervisor" => true,
            "township" => !city && u.Str("kind") != "agency" && (string?)u["townshipId"] == org,
            "agency" => !city && u.Str("agencyCode") == org,
            "department" or "institution" or "establishment-office" => city,
            _ => false,
        };
    }

    private static bool FollowUpRow(string role, string org, JsonNode f) => role switch
    {
        "supervisor" or "establishment-office" => true,
        "department" => f.Str("departmentId") == org,
        "institution" => f.Str("institutionId") == org,
        _ => false,
    };

    /// <summary>An institution's own account sees all its submissions, an office account only its office's.</summary>
    private static bool SubmissionRow(string role, string org, JsonNode x) => role switch
    {
        "establishment-office" => true,
        "department" => x.Str("departmentId") == org,
        "institution" => x.Str("institutionId") == org || (string?)x["unitId"] == org,
        _ => false,
    };

    private static bool HeadsRow(string role, string org, JsonNode row) => role switch
    {
        "supervisor" => true,
        "township" => row.Str("townshipId") == org,
        "agency" => row.Str("agencyCode") == org,
        _ => false,
    };

    public static IEnumerable<string> ListNames() => ListRows().Keys;

    private bool _listData;

    /// <summary>Whistles and meetings in both townships, so that every list has rows of another organisation to leak.</summary>
    private async Task ListDataAsync()
    {
        if (_listData) return;
        await FreshAsync();
        var other = (await _clients["township-other"].RaiseAsync(WhistleClient.Raise("矩阵列表（东风）", "street-vending", "routine"))).Str("id");
        await _clients["township-other"].WaitForWhistleAsync(other, w => w.Str("status") == "dispatched");
        await FreshMeetingAsync();
        await _clients["township-other"].PostAsync("/api/meetings", Meeting());
        await NoticeChannelAsync("matrix-list");
        await RecommendationAsync();
        await _clients["township-other"].PostAsync("/api/recommendations", Recommendation("urban-management.dongfeng"));
        await PendingFormAsync();
        // The city level: a work request, a joint meeting and a submission of the probed relation (市住建局 and its center),
        // and of another (市发展改革委 and the credit center, the "institution-other"); the office's follow-up.
        using (var ndrc = await _system.SignInAsync("department.city-ndrc"))
        {
            foreach (var (department, institution, item) in new[] { (_clients["department"], "construction-quality-center", "building-quality-inspection"), (ndrc, "credit-center", "credit-data-collection") })
            {
                var (status, body, _) = await department.PostAsync("/api/work-requests", new { institutionId = institution, workItemCode = item, title = "矩阵列表" });
                Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
                await department.WaitForWhistleAsync(body!.Str("id"), w => w.Str("status") == "dispatched");
                var (met, meeting, _) = await department.PostAsync("/api/meetings", new
                {
                    kind = "regular", title = "矩阵联席会", place = "市政府会议室", startsAt = _clock.GetUtcNow().AddDays(1), institutionIds = new[] { institution },
                });
                Assert.That(met, Is.EqualTo(HttpStatusCode.Created), meeting?.ToJsonString());
            }
        }

        await SubmissionAsync();
        var (submitted, submission, _) = await _clients["institution-other"].PostAsync("/api/submissions", new { kind = "report", relationId = "ndrc-credit", title = "矩阵报告", body = "矩阵" });
        Assert.That(submitted, Is.EqualTo(HttpStatusCode.Created), submission?.ToJsonString());
        await FollowUpAsync();
        _listData = true;
    }

    private static string RoleOf(string actor) => actor.Replace("-other", "", StringComparison.Ordinal) is var role && role == "institution-office" ? "institution" : role;

    [TestCaseSource(nameof(ListNames))]
    public async Task Should_list_only_rows_the_caller_may_see(string list)
    {
        await ListDataAsync();
        var row = ListRows()[list];
        lock (_listsChecked) _listsChecked.Add(list);
        var failures = new List<string>();
        foreach (var actor in Actors.Where(a => a != "anonymous"))
        {
            var client = _clients[actor];
            var (status, body, _) = await client.GetAsync(row.Path);
            if (status != HttpStatusCode.OK)
            {
                if (row.NonEmptyFor.Contains(actor)) failures.Add($"{actor}: {(int)status}");
                continue;
            }

            Interlocked.Increment(ref _rowChecks);
            var rows = row.Rows(body!).ToList();
            Interlocked.Add(ref _rowsChecked, rows.Count);
            var leaked = rows.Where(r => !row.Sees(RoleOf(actor), client.OrgId, r)).ToList();
            if (leaked.Count > 0)
            {
                failures.Add($"{actor}: {leaked.Count} of {rows.Count} rows it may not see, e.g. {leaked[0].ToJsonString()[..Math.Min(200, leaked[0].ToJsonString().Length)]}");
                Interlocked.Increment(ref _unexpected);
            }

            if (rows.Count == 0 && row.NonEmptyFor.Contains(actor)) failures.Add($"{actor}: no rows at all (the check would mean nothing)");
        }

        Assert.That(failures, Is.Empty, list);
    }

    public static IEnumerable<string> RowNames() => new When_every_role_calls_every_endpoint("sqlite").Rows().Keys;

    private async Task<HttpStatusCode> SendAsync(string actor, Probe probe)
    {
        if (actor == "anonymous")
        {
            using var request = new HttpRequestMessage(probe.Method, probe.Path);
            if (probe.Body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(probe.Body);
            return (await _anonymous.SendAsync(request)).StatusCode;
        }

        return (await _clients[actor].SendAsync(probe.Method, probe.Path, probe.Body)).Status;
    }
}
