using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Whistle.Contracts;
using Whistle.Dispatcher.Notices;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>Issue 14: a whistle's files beyond its page — exports, the archive's zip, Open311, chat-group notices.</summary>
[NonParallelizable]
public sealed class When_evidence_leaves_the_whistle
{
    private const string Key = "test-key-of-open311-client-evidence-0123456789";
    private const string OtherKey = "test-key-of-open311-client-evidence-other-0123";

    private WhistleSystem _system = null!;
    private WhistleClient _township = null!;
    private WhistleClient _supervisor = null!;
    private HttpClient _http = null!;
    private string _whistleId = "";
    private string[] _photos = [];

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?>
        {
            ["Whistle:Open311:ApiKeys:0:Key"] = Key,
            ["Whistle:Open311:ApiKeys:0:UserName"] = "township.chengguan",
            ["Whistle:Open311:ApiKeys:1:Key"] = OtherKey,
            ["Whistle:Open311:ApiKeys:1:UserName"] = "township.dongfeng",
            ["Whistle:PublicBaseUrl"] = "https://whistle.example.gov.cn",
        });
        _township = await _system.SignInAsync("township.chengguan");
        _supervisor = await _system.SignInAsync("supervisor");
        _http = new HttpClient { BaseAddress = _system.Api };
        _photos = await _township.UploadOkAsync(
            null, ("a.jpg", TestImages.JpegWithGps(640, 480, 30.27, 120.15), "image/jpeg"), ("b.pdf", TestImages.Pdf(), "application/pdf"));
        var raise = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(WhistleClient.Raise("证据外送测试", "street-vending", "routine"), WhistleClient.Json))!;
        raise["attachmentIds"] = new JsonArray(_photos.Select(p => (JsonNode)p).ToArray());
        _whistleId = (await _township.RaiseAsync(raise)).Str("id");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _http?.Dispose();
        _township?.Dispose();
        _supervisor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_count_the_files_in_the_export_and_zip_them_for_the_archive()
    {
        var (status, _, response) = await _supervisor.GetAsync("/api/export/whistles?format=jsonl");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var line = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!).Single(r => r.Str("id") == _whistleId);
        Assert.That(line["attachments"]!.GetValue<int>(), Is.EqualTo(2));

        var zipResponse = await _supervisor.Http.GetAsync("/api/export/attachments");
        Assert.That(zipResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(zipResponse.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/zip"));
        using var zip = new ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        var mine = zip.Entries.Where(e => e.FullName.Contains(_whistleId, StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            // {purpose}-{n}-{name}: files added together are numbered in the order the store lists them.
            Assert.That(mine.Select(e => e.Name.Split('-', 3)[2]), Is.EquivalentTo(new[] { "a.jpg", "b.pdf" }));
            Assert.That(mine.Select(e => e.Name.Split('-', 3)[1]), Is.EquivalentTo(new[] { "1", "2" }));
            Assert.That(zip.GetEntry("manifest.csv"), Is.Not.Null);
        });
        using var pdf = new MemoryStream();
        await mine.Single(e => e.Name.EndsWith(".pdf", StringComparison.Ordinal)).Open().CopyToAsync(pdf);
        Assert.That(pdf.ToArray(), Is.EqualTo(TestImages.Pdf()));
        Assert.That((await _township.Http.GetAsync("/api/export/attachments")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Should_give_Open311_clients_a_media_url_readable_with_their_key_only()
    {
        var answer = JsonNode.Parse(await _http.GetStringAsync($"/open311/v2/requests/{_whistleId}.json?api_key={Key}"))!;
        var media = answer[0]!.Str("media_url");
        Assert.That(media, Is.EqualTo($"https://whistle.example.gov.cn/open311/v2/media/{_photos[0]}.jpg"));
        var path = new Uri(media).AbsolutePath;
        var mine = await _http.GetAsync($"{path}?api_key={Key}");
        var theirs = await _http.GetAsync($"{path}?api_key={OtherKey}");
        var none = await _http.GetAsync(path);
        Assert.Multiple(() =>
        {
            Assert.That(mine.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(mine.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/jpeg"));
            Assert.That(theirs.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another township's key");
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "no key");
        });
    }

    [Test]
    public async Task Should_keep_an_Open311_clients_media_url_as_a_reference_without_fetching_it()
    {
        // A loopback address nothing listens on: were it fetched, the request would fail; it is only kept.
        const string reference = "http://127.0.0.1:9/photos/scene.jpg";
        var posted = await _http.PostAsync("/open311/v2/requests.json", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["api_key"] = Key, ["service_code"] = "street-vending", ["address_string"] = "人民路", ["description"] = "占道", ["media_url"] = reference,
        }));
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await posted.Content.ReadAsStringAsync());
        var id = JsonNode.Parse(await posted.Content.ReadAsStringAsync())![0]!.Str("service_request_id");
        var answer = JsonNode.Parse(await _http.GetStringAsync($"/open311/v2/requests/{id}.json?api_key={Key}"))!;
        Assert.That(answer[0]!.Str("media_url"), Is.EqualTo(reference));

        var bad = await _http.PostAsync("/open311/v2/requests.json", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["api_key"] = Key, ["service_code"] = "street-vending", ["address_string"] = "人民路", ["media_url"] = "file:///etc/passwd",
        }));
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public void Should_link_a_chat_group_notice_to_the_whistles_page_and_carry_no_file()
    {
        var e = new WhistleEvent(
            1, WhistleEventTypes.AssignmentDispatched, "w-1", "a-1", DateTimeOffset.UnixEpoch, new EventActor("system", "调度中心", "qingshan"),
            new WhistleSummary("w-1", "夜市占道", "dispatched", "chengguan", "street-vending", "routine"), null, null);
        Assert.Multiple(() =>
        {
            Assert.That(NoticeFormatter.Text(e, null, "https://whistle.example.gov.cn/"), Does.EndWith("\n查看：https://whistle.example.gov.cn/whistles/w-1"));
            Assert.That(NoticeFormatter.Text(e, null), Does.Not.Contain("查看"));
            Assert.That(NoticeFormatter.Text(e, null, "https://whistle.example.gov.cn"), Does.Not.Contain("/api/attachments"));
        });
    }
}
