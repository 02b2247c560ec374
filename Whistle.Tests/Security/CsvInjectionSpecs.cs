using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// CSV formula injection (issue 11, finding 2): text anyone can plant — a user name typed at the sign-in page,
/// a whistle's title, a report's note, a unit's name — must reach a supervisor's spreadsheet as text, never as a
/// formula that Excel or WPS runs when the export is opened.
/// </summary>
[NonParallelizable]
public sealed class When_hostile_text_reaches_a_CSV_export
{
    private const string Hyperlink = "=HYPERLINK(\"http://127.0.0.1/x\",\"y\")";
    private const string Dde = "+cmd|' /C calc'!A0";
    private const string Sum = "@SUM(1+1)*cmd|' /C calc'!A0";
    private const string Minus = "-2+3+cmd|' /C calc'!A0";

    private WhistleSystem _system = null!;
    private WhistleClient _supervisor = null!;
    private WhistleClient _auditor = null!;
    private string _whistle = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        // The county file is the operator's, but its names end up in the assessment CSV like any other text.
        var county = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json")))!;
        county["agencies"]!.AsArray().Single(a => a!["code"]!.GetValue<string>() == "urban-management")!["name"] = Hyperlink;
        county["branches"]!.AsArray().Single(b => b!["id"]!.GetValue<string>() == "urban-management.chengguan")!["name"] = Sum;
        var folder = TestSettings.NewDataFolder();
        var file = Path.Combine(folder, "hostile-county.json");
        await File.WriteAllTextAsync(file, county.ToJsonString());
        _system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?> { ["Whistle:County:File"] = file });
        _supervisor = await _system.SignInAsync("supervisor");
        _auditor = await _system.SignInAsync("auditadmin");

        using var township = await _system.SignInAsync("township.chengguan");
        using var branch = await _system.SignInAsync("branch.urban-management.chengguan");
        var raise = new
        {
            matterCode = "illegal-construction",
            title = Hyperlink,
            description = Dde,
            address = Sum,
            urgency = "urgent",
            extraAgencyCodes = Array.Empty<string>(),
        };
        _whistle = (await township.RaiseAsync(raise)).Str("id");
        var dispatched = await township.WaitForWhistleAsync(_whistle, w => w.Str("status") == "dispatched");
        var assignment = dispatched["assignments"]!.AsArray().Single(a => a!["branchId"]?.GetValue<string>() == "urban-management.chengguan")!.Str("id");
        var (reported, body, _) = await branch.PostAsync($"/api/assignments/{assignment}/report", new { etaMinutes = 15, note = Minus });
        Assert.That(reported, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _supervisor?.Dispose();
        _auditor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private static string Period() =>
        $"from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}";

    private async Task<List<List<string>>> CsvAsync(string path, WhistleClient? reader = null)
    {
        using var response = await (reader ?? _supervisor).Http.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), System.Text.Encoding.UTF8.GetString(body));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/csv"));
        return CsvText.Parse(body);
    }

    private static void AssertNoFormula(List<List<string>> rows, params int[] numericColumns)
    {
        var formulas = rows.SelectMany((row, r) => row.Select((cell, c) => (r, c, cell)))
            .Where(x => !numericColumns.Contains(x.c) && CsvText.StartsLikeAFormula(x.cell))
            .Select(x => $"row {x.r}, column {x.c}: {x.cell}")
            .ToList();
        Assert.That(formulas, Is.Empty, "a cell a spreadsheet would run as a formula");
    }

    [Test]
    public async Task Should_neutralise_a_user_name_an_anonymous_caller_planted_in_the_audit_trail()
    {
        using var anonymous = new HttpClient { BaseAddress = _system.Api };
        var refused = await anonymous.PostAsync("/api/auth/token", JsonContent.Create(new { userName = Hyperlink, password = "not-the-password" }));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        var rows = await CsvAsync("/api/audit?format=csv&entity=account", _auditor);
        // 编号, 时间, 账号, 姓名, 来源地址, 对象, 对象编号, 操作, …: the unknown name is the account, the name and the key.
        var planted = rows.Where(r => r.Count > 7 && r[7] == "sign-in-failed" && r[6].Contains("HYPERLINK", StringComparison.Ordinal)).ToList();
        Assert.That(planted, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(planted[0][2], Is.EqualTo("'" + Hyperlink), "the planted account name, as text, after the quote that keeps it text");
            Assert.That(planted[0][3], Is.EqualTo("'" + Hyperlink));
            Assert.That(planted[0][6], Is.EqualTo("'" + Hyperlink));
        });
        AssertNoFormula(rows);
    }

    [Test]
    public async Task Should_neutralise_a_title_a_description_and_an_address_in_the_whistles_export()
    {
        var rows = await CsvAsync($"/api/export/whistles?{Period()}&format=csv");
        var row = rows.Single(r => r[0] == _whistle);
        Assert.Multiple(() =>
        {
            Assert.That(row[6], Is.EqualTo("'" + Hyperlink), "title");
            Assert.That(row[7], Is.EqualTo("'" + Dde), "description");
            Assert.That(row[8], Is.EqualTo("'" + Sum), "address");
        });
        AssertNoFormula(rows);
    }

    [Test]
    public async Task Should_neutralise_a_note_in_the_timeline_export()
    {
        var rows = await CsvAsync($"/api/export/timeline?{Period()}&format=csv");
        Assert.That(rows.Where(r => r.Count > 8 && r[2] == _whistle && r[4] == "AssignmentReported").Select(r => r[8]), Is.EqualTo(new[] { "'" + Minus }));
        AssertNoFormula(rows);
    }

    [Test]
    public async Task Should_neutralise_a_unit_name_in_the_assessment_and_keep_the_figures_numbers()
    {
        var rows = await CsvAsync("/api/stats/assessment?period=month&format=csv");
        Assert.Multiple(() =>
        {
            Assert.That(rows.Single(r => r[3] == "urban-management")[2], Is.EqualTo("'" + Hyperlink));
            Assert.That(rows.Single(r => r[3] == "urban-management.chengguan")[2], Is.EqualTo("'" + Sum));
            Assert.That(rows.Single(r => r[3] == "urban-management.chengguan")[6], Is.EqualTo("1"), "the branch's one assignment, a number as a number");
        });
        AssertNoFormula(rows);
    }
}
