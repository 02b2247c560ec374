using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Whistle.Api.Export;
using Whistle.Core.Domain;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Operations;

/// <summary>
/// Issue 15 (a pool of sixteen): the exports read a page at a time, each page after the last row of the one before,
/// and hold no connection while they write. Here a page is three rows and four whistles are raised, so every export
/// crosses pages — the photo zip's (two files a whistle) both inside one whistle's files, the deepest step of its
/// keyset, and between two whistles — and must hand on what one read of the whole period reads, in the same order,
/// nothing twice, nothing missing.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_an_export_is_read_a_page_at_a_time(string database)
{
    private static readonly Caller Supervisor = new("supervisor", "督查员", Roles.Supervisor, "county");

    private WhistleSystem _system = null!;
    private WhistleClient _supervisor = null!;
    private readonly List<string> _whistles = [];

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync(
            s => s.Replace(ServiceDescriptor.Singleton(p => new ExportQueries(p.GetRequiredService<WhistleDatabase>()) { PageSize = 3 })),
            database: database);
        _supervisor = await _system.SignInAsync("supervisor");
        using var township = await _system.SignInAsync("township.chengguan");
        foreach (var n in new[] { 1, 2, 3, 4 })
        {
            var files = await township.UploadOkAsync(
                null, ($"w{n}-a.png", TestImages.Png(320, 240), "image/png"), ($"w{n}-b.pdf", TestImages.Pdf(), "application/pdf"));
            var raise = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(WhistleClient.Raise($"分页导出 {n}", "street-vending", "routine"), WhistleClient.Json))!;
            raise["attachmentIds"] = new JsonArray(files.Select(f => (JsonNode)f).ToArray());
            _whistles.Add((await township.RaiseAsync(raise)).Str("id"));
        }

        foreach (var id in _whistles) await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _supervisor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private static (DateTimeOffset From, DateTimeOffset To) Period() => (DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));

    private static string Query((DateTimeOffset From, DateTimeOffset To) p) =>
        $"from={Uri.EscapeDataString(p.From.ToString("O"))}&to={Uri.EscapeDataString(p.To.ToString("O"))}";

    // The same export read in one page (as the export read it before it was paged).
    private async Task<List<T>> WholeAsync<T>(Func<ExportQueries, IAsyncEnumerable<T>> read)
    {
        var queries = new ExportQueries(_system.Database) { PageSize = 100_000 };
        var rows = new List<T>();
        await foreach (var row in read(queries)) rows.Add(row);
        return rows;
    }

    private async Task<List<JsonNode>> LinesAsync(string path)
    {
        using var response = await _supervisor.Http.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
    }

    [Test]
    public async Task Should_export_every_whistle_once_in_raise_order()
    {
        var period = Period();
        var lines = await LinesAsync($"/api/export/whistles?{Query(period)}&format=jsonl");
        var whole = await WholeAsync(q => q.WhistlesAsync(Supervisor, period.From, period.To, CancellationToken.None));
        Assert.Multiple(() =>
        {
            Assert.That(whole.Select(w => w.Id), Is.EqualTo(_whistles), "one read of the period: the four whistles in raise order");
            Assert.That(lines.Select(l => l.Str("id")), Is.EqualTo(_whistles), "pages of three: the same");
            Assert.That(lines.Select(l => l["attachments"]!.GetValue<int>()), Is.All.EqualTo(2));
        });
    }

    [Test]
    public async Task Should_export_every_duty_and_every_event_once_in_order()
    {
        var period = Period();
        var duties = await LinesAsync($"/api/export/assignments?{Query(period)}&format=jsonl");
        var events = await LinesAsync($"/api/export/timeline?{Query(period)}&format=jsonl");
        var wholeDuties = await WholeAsync(q => q.AssignmentsAsync(Supervisor, period.From, period.To, CancellationToken.None));
        var wholeEvents = await WholeAsync(q => q.TimelineAsync(Supervisor, period.From, period.To, CancellationToken.None));
        Assert.Multiple(() =>
        {
            Assert.That(wholeDuties.Select(d => d.WhistleId).Distinct(), Is.EquivalentTo(_whistles), "every whistle has its duties");
            Assert.That(wholeDuties, Has.Count.GreaterThan(3), "more duties than a page");
            Assert.That(duties.Select(d => d.Str("id")), Is.EqualTo(wholeDuties.Select(d => d.Id)));
            Assert.That(wholeEvents, Has.Count.GreaterThan(9), "the raises, the dispatches and the duties' events");
            Assert.That(events.Select(e => e.Seq()), Is.EqualTo(wholeEvents.Select(e => e.Sequence)));
            Assert.That(events.Select(e => e.Seq()), Is.Ordered.Ascending.And.Unique);
        });
    }

    [Test]
    public async Task Should_zip_every_file_once_whistle_by_whistle()
    {
        var period = Period();
        using var response = await _supervisor.Http.GetAsync($"/api/export/attachments?{Query(period)}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        var whole = await WholeAsync(q => q.AttachmentsAsync(Supervisor, period.From, period.To, CancellationToken.None));
        var files = zip.Entries.Where(e => e.FullName != "manifest.csv").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(whole.Select(a => a.WhistleId), Is.EqualTo(_whistles.SelectMany(w => new[] { w, w })), "one read: each whistle's two files together, in raise order");
            Assert.That(files.Select(e => e.FullName.Split('/')[0].Split('-', 2)[1]), Is.EqualTo(whole.Select(a => a.WhistleId)), "pages of three: the same whistles, in the same order");
            Assert.That(files.Select(e => e.Name.Split('-', 3)[2]), Is.EqualTo(whole.Select(a => a.FileName)));
            Assert.That(files.Select(e => e.Length), Is.EqualTo(whole.Select(a => a.SizeBytes)));
            Assert.That(CsvText.Parse(Encoding.UTF8.GetBytes(new StreamReader(zip.GetEntry("manifest.csv")!.Open()).ReadToEnd())), Has.Count.EqualTo(whole.Count + 1));
        });
    }
}

/// <summary>
/// Issue 15 (a pool of sixteen): the photo export holds no connection while it reads a file. It read its rows on one
/// connection and each file's bytes on another, so as many exports at once as the pool has connections each waited for
/// a second one until the pool's Timeout and failed. On a pool of one connection it must still zip every file.
/// </summary>
[NonParallelizable]
public sealed class When_the_photo_export_runs_on_a_pool_of_one
{
    private WhistleSystem _system = null!;
    private WhistleClient _supervisor = null!;
    private string _whistle = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync(database: "postgresql", postgresSettings: "Maximum Pool Size=1;Timeout=5");
        _supervisor = await _system.SignInAsync("supervisor");
        using var township = await _system.SignInAsync("township.chengguan");
        var files = await township.UploadOkAsync(null, ("a.png", TestImages.Png(320, 240), "image/png"), ("b.pdf", TestImages.Pdf(), "application/pdf"));
        var raise = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(WhistleClient.Raise("一个连接的导出", "street-vending", "routine"), WhistleClient.Json))!;
        raise["attachmentIds"] = new JsonArray(files.Select(f => (JsonNode)f).ToArray());
        _whistle = (await township.RaiseAsync(raise)).Str("id");
        await township.WaitForWhistleAsync(_whistle, w => w.Str("status") == "dispatched");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _supervisor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_zip_every_file()
    {
        using var response = await _supervisor.Http.GetAsync("/api/export/attachments");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        var mine = zip.Entries.Where(e => e.FullName.Contains(_whistle, StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(mine.Select(e => e.Name.Split('-', 3)[2]), Is.EquivalentTo(new[] { "a.png", "b.pdf" }));
            Assert.That(zip.GetEntry("manifest.csv"), Is.Not.Null);
        });
        using var pdf = new MemoryStream();
        await mine.Single(e => e.Name.EndsWith(".pdf", StringComparison.Ordinal)).Open().CopyToAsync(pdf);
        Assert.That(pdf.ToArray(), Is.EqualTo(TestImages.Pdf()));
    }
}
