using System.Net;
using System.Text;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 11, finding 8: no text field of the API stores a control character (C0 but tab/CR/LF in multi-line
/// fields, DEL and C1, U+FFFE/U+FFFF, half a surrogate pair): one rule (WhistleValidation.Text) for the whistle
/// raise, notes, reasons, comments, meetings, whistle-list upkeep and accounts; a 400 naming the field.
/// </summary>
[NonParallelizable]
public sealed class When_text_carries_control_characters
{
    private WhistleSystem _system = null!;
    private readonly Dictionary<string, WhistleClient> _as = [];
    private string _whistle = "", _lead = "", _resolvedWhistle = "", _resolvedLead = "", _meeting = "", _summons = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync();
        foreach (var user in new[] { "township.chengguan", "branch.urban-management.chengguan", "branch.market-supervision.chengguan", "supervisor", "sysadmin", "secadmin" })
        {
            _as[user] = await _system.SignInAsync(user);
        }

        await FreshAsync();
    }

    /// <summary>A new whistle, a new all-resolved whistle and a new meeting: a case that is accepted changes only its own.</summary>
    private async Task FreshAsync()
    {
        var township = _as["township.chengguan"];
        (_whistle, _lead) = await WhistleAsync("控制字符");
        // A whistle whose duties are all resolved, for the ratings' comments.
        (_resolvedWhistle, _resolvedLead) = await WhistleAsync("控制字符（已办结）");
        var duties = (await township.GetAsync($"/api/whistles/{_resolvedWhistle}")).Body!["assignments"]!.AsArray();
        foreach (var duty in duties.Select(d => d!))
        {
            var branch = _as[$"branch.{duty.Str("branchId")}"];
            Assert.That((await branch.PostAsync($"/api/assignments/{duty.Str("id")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await branch.PostAsync($"/api/assignments/{duty.Str("id")}/resolve", new { note = "已处理" })).Status, Is.EqualTo(HttpStatusCode.OK));
        }

        var meeting = (await township.PostAsync("/api/meetings", new
        {
            kind = "regular", title = "控制字符协调会", place = "城关镇会议室", startsAt = DateTimeOffset.UtcNow.AddDays(2), agencyCodes = new[] { "urban-management" },
        })).Body!.AsArray()[0]!;
        (_meeting, _summons) = (meeting.Str("id"), meeting["summons"]!.AsArray()[0]!.Str("id"));
    }

    private async Task<(string Whistle, string Lead)> WhistleAsync(string title)
    {
        var township = _as["township.chengguan"];
        var id = (await township.RaiseAsync(WhistleClient.Raise(title, "street-vending", "routine"))).Str("id");
        var w = await township.WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
        return (id, w["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!.Str("id"));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        foreach (var c in _as.Values) c.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    /// <summary>One text field of the API: who sends it where, the body around it, and whether it may hold lines.</summary>
    public sealed record Target(string Name, string User, string Method, Func<When_text_carries_control_characters, string> Path, Func<When_text_carries_control_characters, string, object> Body, string Field, bool MultiLine)
    {
        public override string ToString() => Name;
    }

    private static readonly DateTimeOffset Later = DateTimeOffset.UtcNow.AddDays(5);

    private static object Raise(string title, string description, string address) =>
        new { matterCode = "street-vending", title, description, address, urgency = "routine" };

    private static object Matter(string name, string nameEn, string category, string categoryEn) => new
    {
        name, nameEn, category, categoryEn,
        agencies = new[] { new { agencyCode = "urban-management", role = "lead" } },
        limits = new { routine = new { reportWithinMinutes = 60, resolveWithinMinutes = 600 }, urgent = new { reportWithinMinutes = 60, resolveWithinMinutes = 600 }, emergency = new { reportWithinMinutes = 30, resolveWithinMinutes = 300 } },
    };

    private static object Meeting(string title, string agenda, string place) =>
        new { kind = "regular", title, agenda, place, startsAt = DateTimeOffset.UtcNow.AddDays(2), agencyCodes = new[] { "urban-management" } };

    public static IEnumerable<Target> Targets() =>
    [
        new("raise title", "township.chengguan", "POST", _ => "/api/whistles", (_, v) => Raise(v, "描述", "人民路"), "title", false),
        new("raise description", "township.chengguan", "POST", _ => "/api/whistles", (_, v) => Raise("标题", v, "人民路"), "description", true),
        new("raise address", "township.chengguan", "POST", _ => "/api/whistles", (_, v) => Raise("标题", "描述", v), "address", false),
        new("reopen reason", "township.chengguan", "POST", s => $"/api/whistles/{s._whistle}/reopen", (_, v) => new { reason = v }, "reason", true),
        new("report note", "branch.urban-management.chengguan", "POST", s => $"/api/assignments/{s._lead}/report", (_, v) => new { note = v }, "note", true),
        new("resolve note", "branch.urban-management.chengguan", "POST", s => $"/api/assignments/{s._lead}/resolve", (_, v) => new { note = v }, "note", true),
        new("decline reason", "branch.urban-management.chengguan", "POST", s => $"/api/assignments/{s._lead}/decline", (_, v) => new { reason = v }, "reason", true),
        new("reassign reason", "supervisor", "POST", s => $"/api/assignments/{s._lead}/reassign", (_, v) => new { agencyCode = "public-security", reason = v }, "reason", true),
        new("co-handling reason", "supervisor", "POST", s => $"/api/whistles/{s._whistle}/assignments", (_, v) => new { agencyCode = "health", reason = v }, "reason", true),
        new("rating comment", "township.chengguan", "POST", s => $"/api/whistles/{s._resolvedWhistle}/confirm",
            (s, v) => new { ratings = new[] { new { assignmentId = s._resolvedLead, rating = "satisfied", comment = v } } }, "ratings[0].comment", true),
        new("meeting title", "township.chengguan", "POST", _ => "/api/meetings", (_, v) => Meeting(v, "议程", "会议室"), "title", false),
        new("meeting agenda", "township.chengguan", "POST", _ => "/api/meetings", (_, v) => Meeting("协调会", v, "会议室"), "agenda", true),
        new("meeting place", "township.chengguan", "POST", _ => "/api/meetings", (_, v) => Meeting("协调会", "议程", v), "place", false),
        new("summons attendee", "branch.urban-management.chengguan", "POST", s => $"/api/meetings/{s._meeting}/summons/{s._summons}/confirm", (_, v) => new { attendee = v }, "attendee", false),
        new("summons reason", "branch.urban-management.chengguan", "POST", s => $"/api/meetings/{s._meeting}/summons/{s._summons}/decline", (_, v) => new { reason = v }, "reason", true),
        new("minutes", "township.chengguan", "POST", s => $"/api/meetings/{s._meeting}/minutes", (_, v) => new { minutes = v }, "minutes", true),
        new("decision text", "township.chengguan", "POST", s => $"/api/meetings/{s._meeting}/minutes",
            (_, v) => new { minutes = "纪要", decisions = new[] { new { text = v, agencyCode = "urban-management", dueAt = Later } } }, "decisions[0].text", true),
        new("matter name", "sysadmin", "PUT", _ => "/api/whistle-list/control-test", (_, v) => Matter(v, "Name", "类别", "Category"), "name", false),
        new("matter nameEn", "sysadmin", "PUT", _ => "/api/whistle-list/control-test", (_, v) => Matter("名称", v, "类别", "Category"), "nameEn", false),
        new("matter category", "sysadmin", "PUT", _ => "/api/whistle-list/control-test", (_, v) => Matter("名称", "Name", v, "Category"), "category", false),
        new("matter categoryEn", "sysadmin", "PUT", _ => "/api/whistle-list/control-test", (_, v) => Matter("名称", "Name", "类别", v), "categoryEn", false),
        new("agency name", "sysadmin", "PUT", _ => "/api/org/agencies/health", (_, v) => new { name = v, nameEn = "Health" }, "name", false),
        new("agency nameEn", "sysadmin", "PUT", _ => "/api/org/agencies/health", (_, v) => new { name = "卫健局", nameEn = v }, "nameEn", false),
        new("account displayName", "secadmin", "POST", _ => "/api/users", (_, v) => new { userName = "control.test", displayName = v, role = "township", orgId = "baiyun", password = "a-long-password" }, "displayName", false),
    ];

    // Refused in every field; the single-line fields refuse tab and line breaks too.
    private static readonly string[] Refused = ["\u0001", "\u0000", "\u001B[31m", "\u007F", "\u0085", "\u009B", "\uFFFE", "\uFFFF"];
    private static readonly string[] Lines = ["\t", "\n", "\r\n"];

    [TestCaseSource(nameof(Targets))]
    public async Task Should_refuse_a_control_character_naming_the_field(Target target)
    {
        var client = _as[target.User];
        var values = Refused.Concat(target.MultiLine ? [] : Lines).Select(c => $"正文{c}正文").ToList();
        var failures = new List<string>();
        foreach (var value in values)
        {
            var (status, problem, _) = await client.SendAsync(new HttpMethod(target.Method), target.Path(this), target.Body(this, value));
            var named = (problem as System.Text.Json.Nodes.JsonObject)?["errors"]?[target.Field] is not null;
            if (status != HttpStatusCode.BadRequest || !named) failures.Add($"{Escape(value)}: {(int)status} {problem?.ToJsonString()}");
        }

        Assert.That(failures, Is.Empty, target.Name);
    }

    public static IEnumerable<Target> MultiLineTargets() => Targets().Where(t => t.MultiLine);

    [TestCaseSource(nameof(MultiLineTargets))]
    public async Task Should_keep_tab_and_line_breaks_in_multi_line_fields(Target target)
    {
        await FreshAsync();
        var (status, problem, _) = await _as[target.User].SendAsync(new HttpMethod(target.Method), target.Path(this), target.Body(this, "第一行\r\n第二行\n\t缩进"));
        Assert.That((problem as System.Text.Json.Nodes.JsonObject)?["errors"]?[target.Field], Is.Null, $"{target.Name}: {(int)status} {problem?.ToJsonString()}");
    }

    [Test]
    public async Task Should_refuse_half_a_surrogate_pair_and_keep_whole_ones()
    {
        var township = _as["township.chengguan"];
        using var content = new StringContent("""{"matterCode":"street-vending","title":"\ud800 半个代理对","address":"人民路","urgency":"routine"}""", Encoding.UTF8, "application/json");
        using var response = await township.Http.PostAsync("/api/whistles", content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), await response.Content.ReadAsStringAsync());
        var (status, body, _) = await township.PostAsync("/api/whistles", Raise("表情 🙂 可以", "描述", "人民路"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
    }

    private static string Escape(string s) => string.Concat(s.Select(c => c < 0x20 || c is >= '\u007F' and <= '\u009F' || c >= '\uFFFE' ? $"\\u{(int)c:X4}" : c.ToString()));
}
