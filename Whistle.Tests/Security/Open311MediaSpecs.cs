using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using SkiaSharp;
using Whistle.Core.Attachments;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 14: Open311 GeoReport v2 lets a client send its photo with a service request (<c>multipart/form-data</c>, a
/// <c>media</c> file part). It goes through the one intake of uploads: type judged from the content, re-encoded without
/// EXIF, within the size limit — and a refused photo raises nothing and stores nothing.
/// </summary>
[NonParallelizable]
public sealed class When_an_Open311_client_posts_a_photo
{
    private static readonly string Key = "open311-media-" + new string('m', 40);
    private const int MaxFileBytes = 400_000;
    private WhistleSystem _system = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.Open311Async(Key, new Dictionary<string, string?>
        {
            ["Whistle:Attachments:MaxFileBytes"] = MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        _http = new HttpClient { BaseAddress = _system.Api };
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _http?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(string description, params (string Field, string FileName, byte[] Content, string ContentType)[] files)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(Key), "api_key" },
            { new StringContent("street-vending"), "service_code" },
            { new StringContent("城关镇人民路 12 号"), "address_string" },
            { new StringContent(description), "description" },
        };
        foreach (var (field, name, content, type) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            form.Add(part, field, name);
        }

        return _http.PostAsync("/open311/v2/requests.json", form);
    }

    /// <summary>Whistles, attachment rows and stored chunks: what a refused request must leave as it was.</summary>
    private Task<long[]> StoredAsync() => _system.Database.ReadAsync(
        async c => new[]
        {
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM whistles"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachments"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachment_chunks"),
        },
        CancellationToken.None);

    [Test]
    public async Task Should_take_the_media_part_through_the_intake_and_serve_it_at_media_url()
    {
        var photo = TestImages.JpegWithGps(1200, 900, 30.2741, 120.1551);
        var response = await PostAsync("人行道占道摆摊", ("media", "IMG_2001.jpg", photo, "image/jpeg"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        var id = JsonNode.Parse(text)!.AsArray()[0]!.Str("service_request_id");

        var (_, request, _) = await GetJsonAsync($"/open311/v2/requests/{id}.json?api_key={Key}");
        var mediaUrl = request!.AsArray()[0]!.Str("media_url");
        Assert.That(mediaUrl, Does.Match(@"/open311/v2/media/[0-9a-f-]+\.jpg$"));
        var media = await _http.GetAsync(new Uri(mediaUrl).PathAndQuery + $"?api_key={Key}");
        var bytes = await media.Content.ReadAsByteArrayAsync();
        Assert.Multiple(() =>
        {
            Assert.That(media.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(media.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/jpeg"));
            Assert.That(bytes.AsSpan().IndexOf("Exif\0\0"u8), Is.EqualTo(-1), "re-encoded: no EXIF");
            Assert.That(ExifGps.Read(new MemoryStream(bytes), "jpeg"), Is.Null, "no position");
            using var decoded = SKBitmap.Decode(bytes);
            Assert.That(decoded?.Width, Is.EqualTo(1200));
        });

        using var township = await _system.SignInAsync("township.chengguan");
        var (_, whistle, _) = await township.GetAsync($"/api/whistles/{id}");
        Assert.That(whistle!["attachments"]!.AsArray().Select(a => (a!.Str("purpose"), a!.Str("mediaKind"))), Is.EqualTo(new[] { ("raise", "image") }));
    }

    private async Task<(HttpStatusCode, JsonNode?, string)> GetJsonAsync(string path)
    {
        var response = await _http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text), text);
    }

    private static IEnumerable<TestCaseData> Refused()
    {
        var html = Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body><script>fetch('/api/whistles')</script></body></html>");
        yield return new TestCaseData("HTML disguised as a JPEG", new[] { ("media", "photo.jpg", html, "image/jpeg") }, HttpStatusCode.UnsupportedMediaType)
            .SetName("Should_refuse_an_HTML_page_disguised_as_a_photo_and_store_nothing");
        var big = TestImages.JpegWithGps(200, 200, 30, 120).Concat(new byte[MaxFileBytes]).ToArray();
        yield return new TestCaseData("oversize", new[] { ("media", "big.jpg", big, "image/jpeg") }, HttpStatusCode.RequestEntityTooLarge)
            .SetName("Should_refuse_a_photo_over_the_file_limit_with_413_and_store_nothing");
        yield return new TestCaseData("a PDF", new[] { ("media", "report.pdf", TestImages.Pdf(), "image/jpeg") }, HttpStatusCode.UnsupportedMediaType)
            .SetName("Should_refuse_a_document_as_media_and_store_nothing");
        var photo = TestImages.JpegWithGps(300, 200, 30, 120);
        yield return new TestCaseData("two photos", new[] { ("media", "a.jpg", photo, "image/jpeg"), ("media", "b.jpg", photo, "image/jpeg") }, HttpStatusCode.RequestEntityTooLarge)
            .SetName("Should_refuse_more_than_one_media_part_and_store_nothing");
        yield return new TestCaseData("another part", new[] { ("attachment", "a.jpg", photo, "image/jpeg") }, HttpStatusCode.BadRequest)
            .SetName("Should_refuse_a_file_part_not_named_media_and_store_nothing");
    }

    [TestCaseSource(nameof(Refused))]
    public async Task Should_refuse_and_store_nothing(string description, (string, string, byte[], string)[] files, HttpStatusCode expected)
    {
        var before = await StoredAsync();
        var response = await PostAsync(description, files);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), text);
        var error = JsonNode.Parse(text)!.AsArray().Single()!;
        Assert.Multiple(async () =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo((int)expected), "the specification's error format");
            Assert.That(await StoredAsync(), Is.EqualTo(before), "no whistle, no attachment row, no bytes");
        });
    }
}
