using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Core.Problems;
using Whistle.Dispatcher;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Issue 17, an institution's submissions to its departments on a fake clock: a request for instructions (请示) to the
/// managing department answered with a 批复, a report (报告) to a guiding department for its field answered 阅知, the
/// appointment filing (选拔任用备案) of an office's head acknowledged or objected to, and of a stationed branch's head
/// following the township's opinion (refused while the consultation's limit runs, filed without it and saying so when
/// none was asked); each reminded and escalated on its limit (the relation's mechanism record's, else the setting's)
/// until answered; seen by the institution, the department addressed and the establishment office only. On SQLite and
/// on PostgreSQL.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_an_institution_submits_to_its_departments(string database)
{
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 1, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private WhistleSystem _system = null!;

    private HeadsScheduler Scheduler => _system.Apis[0].Services.GetRequiredService<HeadsScheduler>();

    [OneTimeSetUp]
    public async Task Start() =>
        _system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<TimeProvider>(_clock), database: database);

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private Task<WhistleClient> As(string user) => _system.SignInAsync(user); // tokens live 12 hours of the fake clock

    private static object Request(string title = "关于调整信用信息归集范围的请示", string relationId = "ndrc-credit", string kind = "request", string? departmentId = null) =>
        new { kind, relationId, departmentId, title, body = "拟将县级行政处罚信息纳入归集范围，妥否，请批示。" };

    private static async Task<JsonNode> SubmitAsync(WhistleClient client, object request)
    {
        var (status, body, _) = await client.PostAsync("/api/submissions", request);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return body!;
    }

    private static async Task<JsonNode> ReadAsync(WhistleClient client, string id)
    {
        var (status, body, _) = await client.GetAsync($"/api/submissions/{id}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        return body!;
    }

    private static IEnumerable<string> Types(JsonNode submission) => submission["timeline"]!.AsArray().Select(e => e!.Str("type"));

    /// <summary>
    /// A request or report goes with its documents and photos (the scanned 请示 with its seal, the figures): the
    /// institution's drafts, linked with the submission in its transaction, read by whoever sees the submission — the
    /// department addressed and the establishment office — and by nobody else (404, as the submission itself). Attack:
    /// another institution's draft named in the submission is refused, and the submission is not made.
    /// </summary>
    [Test]
    public async Task Should_carry_its_files_to_the_department_and_keep_them_from_everyone_else()
    {
        using var institution = await As("institution.credit-center");
        using var department = await As("department.city-ndrc");
        using var establishment = await As("establishment-office");
        using var otherDepartment = await As("department.city-agriculture");
        using var otherInstitution = await As("institution.inspection-center");

        var foreign = (await otherInstitution.UploadOkAsync(null, ("他人草稿.pdf", TestImages.Pdf(), "application/pdf")))[0];
        var (refused, problem, _) = await institution.PostAsync("/api/submissions", new
        {
            kind = "request", relationId = "ndrc-credit", title = "附件不是本单位的", body = "正文", attachmentIds = new[] { foreign },
        });
        Assert.That(refused, Is.EqualTo(HttpStatusCode.BadRequest), problem?.ToJsonString());
        Assert.That(problem!["errors"]!["attachmentIds"], Is.Not.Null);

        await using var departmentPush = await _system.ConnectAsync(department);
        var files = await institution.UploadOkAsync(null, ("请示扫描件.pdf", TestImages.Pdf(), "application/pdf"), ("现场照片.png", TestImages.Png(64, 48), "image/png"));
        var filed = await SubmitAsync(institution, new
        {
            kind = "request", relationId = "ndrc-credit", title = "关于信用修复线上受理的请示（附扫描件）", body = "详见附件。妥否，请批示。", attachmentIds = files,
        });
        var id = filed.Str("id");
        Assert.Multiple(() =>
        {
            Assert.That(filed["attachments"]!.AsArray().Select(a => a!.Str("id")), Is.EquivalentTo(files));
            Assert.That(filed["attachments"]!.AsArray().Select(a => a!.Str("purpose")), Has.All.EqualTo("submission"));
            Assert.That(filed["attachments"]!.AsArray().Select(a => a!.Str("submissionId")), Has.All.EqualTo(id));
        });

        // The live event carries them too, as a whistle's photos travel with its events.
        var pushed = await departmentPush.WaitForAsync("SubmissionFiled", id);
        Assert.That(pushed["attachments"]?.AsArray().Select(a => a!.Str("fileName")), Is.EquivalentTo(new[] { "请示扫描件.pdf", "现场照片.png" }));

        foreach (var reader in new[] { department, establishment })
        {
            var seen = await ReadAsync(reader, id);
            Assert.That(seen["attachments"]!.AsArray(), Has.Count.EqualTo(2));
            Assert.That((await reader.Http.GetAsync($"/api/attachments/{files[0]}/content")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await reader.Http.GetAsync($"/api/attachments/{files[1]}/thumbnail")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        foreach (var outsider in new[] { otherDepartment, otherInstitution })
        {
            foreach (var path in new[] { $"/api/attachments/{files[0]}", $"/api/attachments/{files[0]}/content", $"/api/attachments/{files[1]}/thumbnail" })
            {
                Assert.That((await outsider.Http.GetAsync(path)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), path);
            }
        }
    }

    /// <summary>
    /// 补充材料: while the department has not answered, the institution adds files (with a note) to what it submitted —
    /// the department asked for the figures, the seal page was missing. They are linked to the submission, announced as
    /// one <c>AttachmentAdded</c> event carrying them to whoever sees it, and read like its first files. Attacks: the
    /// department addressed and the establishment office read it but cannot add to it (403), another institution is
    /// told nothing (404), an empty list is refused (400), and once answered nothing more is added (409).
    /// </summary>
    [Test]
    public async Task Should_take_more_files_from_the_institution_while_it_is_open_and_from_nobody_else()
    {
        using var institution = await As("institution.credit-center");
        using var department = await As("department.city-ndrc");
        using var establishment = await As("establishment-office");
        using var otherInstitution = await As("institution.inspection-center");
        await using var departmentPush = await _system.ConnectAsync(department);

        var id = (await SubmitAsync(institution, Request("关于信用修复线上受理的请示（待补充材料）"))).Str("id");
        await departmentPush.WaitForAsync("SubmissionFiled", id);

        foreach (var (reader, expected, code) in new[] { (department, HttpStatusCode.Forbidden, ProblemCodes.SubmissionFilesBySubmitter), (establishment, HttpStatusCode.Forbidden, ProblemCodes.SubmissionFilesBySubmitter), (otherInstitution, HttpStatusCode.NotFound, null) })
        {
            var draft = (await reader.UploadOkAsync(null, ("不是报送单位的材料.pdf", TestImages.Pdf(), "application/pdf")))[0];
            var (status, problem, _) = await reader.PostAsync($"/api/submissions/{id}/attachments", new { attachmentIds = new[] { draft }, note = "代为补充" });
            Assert.That(status, Is.EqualTo(expected), problem?.ToJsonString());
            if (code is not null) Assert.That(problem!.Str("code"), Is.EqualTo(code));
        }

        var empty = await institution.PostAsync($"/api/submissions/{id}/attachments", new { attachmentIds = Array.Empty<string>() });
        Assert.That(empty.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(empty.Body!["errors"]!["attachmentIds"], Is.Not.Null);
        Assert.That((await ReadAsync(department, id))["attachments"]!.AsArray(), Is.Empty, "nothing refused was linked");

        var files = await institution.UploadOkAsync(null, ("信用修复办理数据.pdf", TestImages.Pdf(), "application/pdf"), ("盖章页.png", TestImages.Png(64, 48), "image/png"));
        var (added, body, _) = await institution.PostAsync($"/api/submissions/{id}/attachments", new { attachmentIds = files, note = "按要求补充近三个月办理数据及盖章页。" });
        Assert.That(added, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.Multiple(() =>
        {
            Assert.That(body!["attachments"]!.AsArray().Select(a => a!.Str("id")), Is.EquivalentTo(files));
            Assert.That(body["attachments"]!.AsArray().Select(a => a!.Str("submissionId")), Has.All.EqualTo(id));
            Assert.That(Types(body), Is.EqualTo(new[] { "SubmissionFiled", "AttachmentAdded" }));
            Assert.That(body["timeline"]!.AsArray().Last()!.Str("note"), Is.EqualTo("按要求补充近三个月办理数据及盖章页。"));
        });

        var pushed = await departmentPush.WaitForAsync("AttachmentAdded", id);
        Assert.Multiple(() =>
        {
            Assert.That(pushed["attachments"]!.AsArray().Select(a => a!.Str("fileName")), Is.EquivalentTo(new[] { "信用修复办理数据.pdf", "盖章页.png" }));
            Assert.That(pushed["submission"]!.Str("id"), Is.EqualTo(id), "a submission's event, not a whistle's");
        });
        foreach (var reader in new[] { department, establishment })
        {
            Assert.That((await ReadAsync(reader, id))["attachments"]!.AsArray(), Has.Count.EqualTo(2));
            Assert.That((await reader.Http.GetAsync($"/api/attachments/{files[0]}/content")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        Assert.That((await otherInstitution.Http.GetAsync($"/api/attachments/{files[0]}/content")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        var (answered, _, _) = await department.PostAsync($"/api/submissions/{id}/answer", new { answer = "approved", text = "同意。" });
        Assert.That(answered, Is.EqualTo(HttpStatusCode.OK));
        var late = await institution.UploadOkAsync(null, ("答复后的材料.pdf", TestImages.Pdf(), "application/pdf"));
        var after = await institution.PostAsync($"/api/submissions/{id}/attachments", new { attachmentIds = late });
        Assert.That(after.Status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(after.Body!.Str("code"), Is.EqualTo(ProblemCodes.SubmissionAnswered));
        Assert.That((await ReadAsync(institution, id))["attachments"]!.AsArray(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Should_carry_a_request_for_instructions_to_the_managing_department_and_its_answer_back()
    {
        using var institution = await As("institution.credit-center");
        using var department = await As("department.city-ndrc");
        using var establishment = await As("establishment-office");
        await using var departmentPush = await _system.ConnectAsync(department);
        await using var establishmentPush = await _system.ConnectAsync(establishment);
        await using var institutionPush = await _system.ConnectAsync(institution);

        var now = _clock.GetUtcNow();
        var filed = await SubmitAsync(institution, Request());
        var id = filed.Str("id");
        Assert.Multiple(() =>
        {
            Assert.That(filed.Str("departmentId"), Is.EqualTo("city-ndrc"), "the managing department of the one-to-one relation");
            Assert.That(filed.Str("status"), Is.EqualTo("open"));
            Assert.That(filed["dueAt"]!.GetValue<DateTimeOffset>(), Is.EqualTo(now.AddDays(5)), "the relation's request-report record gives five days");
        });

        var pushed = await departmentPush.WaitForAsync("SubmissionFiled", id);
        Assert.That(pushed["submission"]!.Str("kind"), Is.EqualTo("request"));
        await establishmentPush.WaitForAsync("SubmissionFiled", id);

        var (_, inbox, _) = await department.GetAsync("/api/submissions?status=open");
        Assert.That(inbox!.AsArray().Select(s => s!.Str("id")), Does.Contain(id));

        var missingText = await department.PostAsync($"/api/submissions/{id}/answer", new { answer = "approved" });
        Assert.That(missingText.Status, Is.EqualTo(HttpStatusCode.BadRequest), "a 批复 carries its text");

        var (status, answered, _) = await department.PostAsync($"/api/submissions/{id}/answer", new { answer = "approved", text = "同意。请抓紧组织实施，按季度报送进展。" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), answered?.ToJsonString());
        await institutionPush.WaitForAsync("SubmissionAnswered", id);

        var seen = await ReadAsync(institution, id);
        Assert.Multiple(() =>
        {
            Assert.That(seen.Str("status"), Is.EqualTo("answered"));
            Assert.That(seen.Str("answer"), Is.EqualTo("approved"));
            Assert.That(seen.Str("answerText"), Does.StartWith("同意"));
            Assert.That(Types(seen), Is.EqualTo(new[] { "SubmissionFiled", "SubmissionAnswered" }), "the history both sides see");
        });
        Assert.That((await ReadAsync(establishment, id)).Str("answer"), Is.EqualTo("approved"), "the establishment office reads every submission");

        var again = await department.PostAsync($"/api/submissions/{id}/answer", new { answer = "disapproved", text = "改为不同意" });
        Assert.That(again.Status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(again.Body!.Str("code"), Is.EqualTo(ProblemCodes.SubmissionAnswered));
    }

    [Test]
    public async Task Should_send_a_report_to_a_guiding_department_for_its_field_on_the_settings_limit()
    {
        using var institution = await As("institution.inspection-center");
        using var ndrc = await As("department.city-ndrc");
        using var agriculture = await As("department.city-agriculture");
        var now = _clock.GetUtcNow();
        var filed = await SubmitAsync(institution, Request("2026年上半年价格认证工作报告", "inspection-guidance", "report", "city-ndrc"));
        var id = filed.Str("id");
        Assert.Multiple(() =>
        {
            Assert.That(filed.Str("field"), Does.StartWith("价格认证"), "the guiding department's field");
            Assert.That(filed["dueAt"]!.GetValue<DateTimeOffset>(), Is.EqualTo(now.AddDays(10)), "no record sets a limit: Whistle:Submissions:AnswerDays");
        });
        Assert.That((await agriculture.GetAsync($"/api/submissions/{id}")).Status, Is.EqualTo(HttpStatusCode.NotFound), "the lead department of the relation, not addressed");

        var wrong = await ndrc.PostAsync($"/api/submissions/{id}/answer", new { answer = "approved", text = "同意" });
        Assert.That(wrong.Status, Is.EqualTo(HttpStatusCode.BadRequest), "a report is noted, not approved");
        var (status, noted, _) = await ndrc.PostAsync($"/api/submissions/{id}/answer", new { answer = "noted" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), noted?.ToJsonString());
        Assert.That(noted!.Str("answer"), Is.EqualTo("noted"));

        var notADepartment = await institution.PostAsync("/api/submissions", Request("报告", "inspection-guidance", "report", "city-water"));
        Assert.That(notADepartment.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(notADepartment.Body!.ToJsonString(), Does.Contain(ProblemCodes.DepartmentNotOnRelation));
    }

    [Test]
    public async Task Should_remind_and_escalate_an_unanswered_submission_until_the_department_answers()
    {
        using var institution = await As("institution.credit-center");
        var opened = _clock.GetUtcNow();
        var id = (await SubmitAsync(institution, Request("关于信用修复工作的请示"))).Str("id");

        // Half of the five days: a reminder (催办) to the department.
        _clock.SetUtcNow(opened.AddDays(2.5).AddMinutes(1));
        await Scheduler.RunDueAsync(CancellationToken.None);
        using (var establishment = await As("establishment-office"))
        {
            var reminded = await ReadAsync(establishment, id);
            Assert.That(reminded["reminderCount"]!.GetValue<int>(), Is.EqualTo(1), reminded.ToJsonString());
            Assert.That(reminded["escalationCount"]!.GetValue<int>(), Is.Zero);
        }

        // The limit passes: escalated (督办), pushed to the establishment office; once, however often the clock is asked.
        _clock.SetUtcNow(opened.AddDays(5).AddMinutes(1));
        using var office = await As("establishment-office");
        await using var officePush = await _system.ConnectAsync(office);
        await Scheduler.RunDueAsync(CancellationToken.None);
        await Scheduler.RunDueAsync(CancellationToken.None);
        var escalated = (await officePush.CatchUpAsync(0)).Where(e => e.Str("whistleId") == id && e.Str("type") == "SubmissionEscalated").ToList();
        Assert.That(escalated, Has.Count.EqualTo(1), "the establishment office's group carries the 督办 once");
        Assert.That(escalated[0]["step"]!["level"]!.GetValue<int>(), Is.EqualTo(1));
        var overdue = await ReadAsync(office, id);
        Assert.Multiple(() =>
        {
            Assert.That(overdue["escalationCount"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(overdue["overdue"]!.GetValue<bool>(), Is.True);
        });

        // Answered: the chain stops.
        using (var department = await As("department.city-ndrc"))
            Assert.That((await department.PostAsync($"/api/submissions/{id}/answer", new { answer = "disapproved", text = "暂不同意，待全市统一部署。" })).Status, Is.EqualTo(HttpStatusCode.OK));
        _clock.SetUtcNow(opened.AddDays(9));
        await Scheduler.RunDueAsync(CancellationToken.None);
        using var later = await As("department.city-ndrc");
        var done = await ReadAsync(later, id);
        Assert.Multiple(() =>
        {
            Assert.That(done["escalationCount"]!.GetValue<int>(), Is.EqualTo(1), "no escalation after the answer");
            Assert.That(Types(done), Is.EqualTo(new[] { "SubmissionFiled", "SubmissionReminded", "SubmissionEscalated", "SubmissionAnswered" }));
            Assert.That(done["overdue"]!.GetValue<bool>(), Is.False);
        });
    }

    [Test]
    public async Task Should_file_an_office_heads_appointment_with_the_managing_department_only()
    {
        using var institution = await As("institution.credit-center");
        using var department = await As("department.city-ndrc");
        var filing = new
        {
            kind = "filing", relationId = "ndrc-credit", title = "关于数据归集科科长任用的备案", body = "经中心党组研究，拟任命张敏为数据归集科科长。",
            headUnitId = "credit-center.data", headName = "张敏", headTitle = "科长",
        };
        var filed = await SubmitAsync(institution, filing);
        Assert.Multiple(() =>
        {
            Assert.That(filed.Str("headUnitName"), Is.EqualTo("数据归集科"));
            Assert.That(filed["withoutOpinion"]?.GetValue<bool?>(), Is.Null, "an internal office's head: no township has a say");
        });

        var bare = await department.PostAsync($"/api/submissions/{filed.Str("id")}/answer", new { answer = "objected" });
        Assert.That(bare.Status, Is.EqualTo(HttpStatusCode.BadRequest), "an objection gives its reasons");
        var (status, objected, _) = await department.PostAsync($"/api/submissions/{filed.Str("id")}/answer", new { answer = "objected", text = "任职年限不足两年，请说明理由。" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), objected?.ToJsonString());
        Assert.That(objected!.Str("answer"), Is.EqualTo("objected"));

        using var inspection = await As("institution.inspection-center");
        var guidance = await inspection.PostAsync("/api/submissions", new
        {
            kind = "filing", relationId = "inspection-guidance", title = "备案", body = "备案", headUnitId = "inspection-center.price", headName = "李强", headTitle = "科长",
        });
        Assert.That(guidance.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(guidance.Body!.ToJsonString(), Does.Contain(ProblemCodes.FilingOneToOne));

        var notOurs = await institution.PostAsync("/api/submissions", filing with { headUnitId = "inspection-center.price" });
        Assert.That(notOurs.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(notOurs.Body!.ToJsonString(), Does.Contain(ProblemCodes.HeadUnitNotOfInstitution));
    }

    [Test]
    public async Task Should_file_a_stationed_branch_heads_appointment_after_the_townships_opinion_or_say_it_had_none()
    {
        using var institution = await As("institution.market-service-center");
        using var department = await As("department.city-market");
        object Filing(string name) => new
        {
            kind = "filing", relationId = "market-one-to-one", title = $"关于{name}任城关市场监管所所长的备案", body = "经中心研究决定。",
            headUnitId = "market-supervision.chengguan", headName = name, headTitle = "所长",
        };

        // None asked: filed, and it says so.
        var without = await SubmitAsync(institution, Filing("周立"));
        Assert.That(without["withoutOpinion"]!.GetValue<bool>(), Is.True);
        Assert.That(without["headLeadsStationedBranch"]!.GetValue<bool>(), Is.True);
        var seen = await ReadAsync(department, without.Str("id"));
        Assert.That(seen["timeline"]!.AsArray()[0]!.Str("noteCode"), Is.EqualTo("filed-without-opinion"));

        // Asked: refused while the township's limit runs unanswered.
        using var agency = await As("agency.market-supervision");
        var (asked, consultation, _) = await agency.PostAsync("/api/recommendations", new
        {
            kind = "consultation", branchId = "market-supervision.chengguan", action = "appoint", candidateName = "陈华", reasons = "拟任城关市场监管所所长",
        });
        Assert.That(asked, Is.EqualTo(HttpStatusCode.Created), consultation?.ToJsonString());
        var early = await institution.PostAsync("/api/submissions", Filing("陈华"));
        Assert.That(early.Status, Is.EqualTo(HttpStatusCode.Conflict), early.Body?.ToJsonString());
        Assert.That(early.Body!.Str("code"), Is.EqualTo(ProblemCodes.OpinionNotDue));

        // Answered: filed with the township's opinion, which the department sees on the filing.
        using var township = await As("township.chengguan");
        Assert.That((await township.PostAsync($"/api/recommendations/{consultation!.Str("id")}/answer", new { answer = "agree", reasons = "该同志熟悉辖区情况，同意任用。" })).Status, Is.EqualTo(HttpStatusCode.OK));
        var with = await SubmitAsync(institution, Filing("陈华"));
        var read = await ReadAsync(department, with.Str("id"));
        Assert.Multiple(() =>
        {
            Assert.That(read["withoutOpinion"]!.GetValue<bool>(), Is.False);
            Assert.That(read["townshipOpinion"]!.Str("answer"), Is.EqualTo("agree"));
            Assert.That(read["townshipOpinion"]!.Str("reasons"), Does.Contain("同意任用"));
            Assert.That(read["townshipOpinion"]!.Str("townshipId"), Is.EqualTo("chengguan"));
            Assert.That(read["timeline"]!.AsArray()[0]!.Str("noteCode"), Is.EqualTo("filed-with-opinion"));
        });

        // The list shows the same opinion (read for all the listed filings at once).
        var (_, listed, _) = await department.GetAsync("/api/submissions?status=all");
        var inList = listed!.AsArray().Single(s => s!.Str("id") == with.Str("id"))!;
        Assert.Multiple(() =>
        {
            Assert.That(inList["townshipOpinion"]!.Str("answer"), Is.EqualTo("agree"));
            Assert.That(inList["townshipOpinion"]!.Str("recommendationId"), Is.EqualTo(consultation!.Str("id")));
        });

        var foreign = await institution.PostAsync("/api/submissions", new
        {
            kind = "filing", relationId = "market-one-to-one", title = "备案", body = "备案", headUnitId = "market-supervision.chengguan", headName = "陈华", headTitle = "所长",
            recommendationId = "not-a-consultation",
        });
        Assert.That(foreign.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(foreign.Body!.ToJsonString(), Does.Contain(ProblemCodes.ConsultationNotOfBranch));
    }

    /// <summary>Attacks: every caller not concerned is answered as if the submission did not exist, or refused by role; nothing changes.</summary>
    [Test]
    public async Task Should_keep_a_submission_from_every_other_institution_department_township_and_branch()
    {
        using var institution = await As("institution.credit-center");
        using var ownOffice = await As("office.credit-center.data");
        var id = (await SubmitAsync(institution, Request("关于年度预算调整的请示"))).Str("id");
        var byOffice = (await SubmitAsync(ownOffice, Request("数据归集科工作报告", kind: "report"))).Str("id");

        foreach (var (user, expected) in new[]
        {
            ("institution.mass-org-center", HttpStatusCode.NotFound), ("department.city-water", HttpStatusCode.NotFound),
            ("office.credit-center.repair", HttpStatusCode.NotFound), ("township.chengguan", HttpStatusCode.Forbidden),
            ("branch.market-supervision.chengguan", HttpStatusCode.Forbidden), ("agency.market-supervision", HttpStatusCode.Forbidden),
            ("supervisor", HttpStatusCode.Forbidden), ("sysadmin", HttpStatusCode.Forbidden),
        })
        {
            using var other = await As(user);
            Assert.That((await other.GetAsync($"/api/submissions/{id}")).Status, Is.EqualTo(expected), $"{user} reads");
            Assert.That((await other.PostAsync($"/api/submissions/{id}/answer", new { answer = "approved", text = "同意" })).Status, Is.EqualTo(expected), $"{user} answers");
            var (listed, list, _) = await other.GetAsync("/api/submissions");
            if (listed == HttpStatusCode.OK) Assert.That(list!.AsArray().Select(s => s!.Str("id")), Does.Not.Contain(id), $"{user} lists");
            else Assert.That(listed, Is.EqualTo(HttpStatusCode.Forbidden), $"{user} lists");
        }

        // The institution does not answer its own; a department does not submit; another institution's relation is unknown.
        var selfAnswer = await institution.PostAsync($"/api/submissions/{id}/answer", new { answer = "approved", text = "同意" });
        Assert.That(selfAnswer.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(selfAnswer.Body!.Str("code"), Is.EqualTo(ProblemCodes.SubmissionAnswerer));
        using var department = await As("department.city-ndrc");
        Assert.That((await department.PostAsync("/api/submissions", Request())).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        using var massOrg = await As("institution.mass-org-center");
        var hijack = await massOrg.PostAsync("/api/submissions", Request());
        Assert.That(hijack.Status, Is.EqualTo(HttpStatusCode.BadRequest), "another institution's relation");

        // The institution's account sees its office's submission; the office its own only; nothing changed.
        var (_, own, _) = await institution.GetAsync("/api/submissions");
        Assert.That(own!.AsArray().Select(s => s!.Str("id")), Is.SupersetOf(new[] { id, byOffice }));
        var (_, officeList, _) = await ownOffice.GetAsync("/api/submissions");
        Assert.That(officeList!.AsArray().Select(s => s!.Str("id")), Does.Contain(byOffice).And.Not.Contain(id));
        Assert.That(officeList!.AsArray().All(s => s!.Str("institutionId") == "credit-center"));
        var after = await ReadAsync(institution, id);
        Assert.Multiple(() =>
        {
            Assert.That(after.Str("status"), Is.EqualTo("open"));
            Assert.That(Types(after), Is.EqualTo(new[] { "SubmissionFiled" }));
        });
        var (_, massList, _) = await massOrg.GetAsync("/api/submissions");
        Assert.That(massList!.AsArray(), Is.Empty, "nothing was stored for the hijacked relation");
    }
}
