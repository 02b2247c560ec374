using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Whistle.Core.Attachments;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 14: every bad upload gets a clear answer (413 naming the limit, 415 or 400 with a code) and nothing is stored —
/// no attachment row, no chunk, no timeline event, no audit row. One attack each (docs/RELIABILITY.md, "Attachments").
/// </summary>
[NonParallelizable]
public sealed class When_someone_uploads_a_bad_file
{
    private const long MaxFileBytes = 200_000;
    private const long MaxItemBytes = 300_000;

    private WhistleSystem _system = null!;
    private WhistleClient _township = null!;
    private WhistleClient _otherTownship = null!;
    private WhistleClient _branch = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?>
        {
            ["Whistle:Attachments:MaxFileBytes"] = MaxFileBytes.ToString(),
            ["Whistle:Attachments:MaxItemBytes"] = MaxItemBytes.ToString(),
            ["Whistle:Attachments:MaxFilesPerItem"] = "3",
        });
        _township = await _system.SignInAsync("township.chengguan");
        _otherTownship = await _system.SignInAsync("township.dongfeng");
        _branch = await _system.SignInAsync("branch.urban-management.chengguan");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _township?.Dispose();
        _otherTownship?.Dispose();
        _branch?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    /// <summary>
    /// What is stored, counted before and after an attack. Only valid while no dispatch is under way: the dispatcher
    /// writes a raised whistle's events a moment after the raise answers, so every spec here that raises one waits for
    /// its dispatch (<see cref="DispatchedAsync"/>) — a dispatch landing between the two counts failed a spec once.
    /// </summary>
    private Task<(long Attachments, long Chunks, long Events, long Audit, long Whistles)> StoredAsync() =>
        _system.Database.ReadAsync(
            async c => (
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachments"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachment_chunks"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM timeline"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE entity = 'attachment'"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM whistles")),
            CancellationToken.None);

    /// <summary>Raises a whistle and waits until the dispatcher has written its duties and events.</summary>
    private static async Task<JsonNode> DispatchedAsync(WhistleClient client, JsonObject? request = null)
    {
        var raised = await client.RaiseAsync(request);
        return await client.WaitForWhistleAsync(raised.Str("id"), w => w.Str("status") == "dispatched");
    }

    private static byte[] PdfOf(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        "%PDF-1.7\n"u8.CopyTo(bytes);
        return bytes;
    }

    private async Task RefusedAsync(HttpStatusCode expected, string code, Func<Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)>> attack, long? limit = null)
    {
        var before = await StoredAsync();
        var (status, body, response) = await attack();
        var after = await StoredAsync();
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(expected), body?.ToJsonString());
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(body?["code"]?.GetValue<string>(), Is.EqualTo(code), body?.ToJsonString());
            Assert.That(body?["detail"]?.GetValue<string>(), Is.Not.Empty);
            if (limit is not null) Assert.That(body?["params"]?["limit"]?.GetValue<long>(), Is.EqualTo(limit), "the limit among the problem's params");
            Assert.That(after, Is.EqualTo(before), "nothing stored");
        });
    }

    [Test]
    public Task Should_refuse_a_file_over_the_limit_with_413_naming_it() =>
        RefusedAsync(HttpStatusCode.RequestEntityTooLarge, "file-too-large", () => _township.UploadAsync(null, ("big.pdf", PdfOf((int)MaxFileBytes + 1), "application/pdf")), MaxFileBytes);

    [Test]
    public Task Should_refuse_files_that_together_pass_the_item_limit() =>
        RefusedAsync(HttpStatusCode.RequestEntityTooLarge, "item-too-large", () => _township.UploadAsync(
            null, ("a.pdf", PdfOf(160_000), "application/pdf"), ("b.pdf", PdfOf(160_000), "application/pdf")), MaxItemBytes);

    [Test]
    public Task Should_refuse_more_files_than_an_item_may_carry() =>
        RefusedAsync(HttpStatusCode.RequestEntityTooLarge, "too-many-files", () => _township.UploadAsync(
            null, Enumerable.Range(0, 4).Select(i => ($"{i}.pdf", TestImages.Pdf(), "application/pdf")).ToArray()), 3);

    [Test]
    public Task Should_refuse_an_executable_named_and_typed_as_a_photo() =>
        RefusedAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-type", () => _township.UploadAsync(
            null, ("IMG_2024.jpg", [.. "MZ"u8, 0x90, 0x00, 0x03, 0x00, .. new byte[200]], "image/jpeg")));

    [Test]
    public Task Should_refuse_HTML_named_and_typed_as_a_PDF() =>
        RefusedAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-type", () => _township.UploadAsync(
            null, ("scan.pdf", "<!DOCTYPE html><html><script>fetch('/api/whistles')</script></html>"u8.ToArray(), "application/pdf")));

    [Test]
    public Task Should_refuse_an_SVG_with_a_script() =>
        RefusedAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-type", () => _township.UploadAsync(
            null, ("map.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"u8.ToArray(), "image/svg+xml")));

    [Test]
    public Task Should_refuse_a_HEIC_photo_with_advice() =>
        RefusedAsync(HttpStatusCode.UnsupportedMediaType, "heic-not-supported", () => _township.UploadAsync(
            null, ("IMG_0001.HEIC", [0, 0, 0, 24, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8, .. new byte[100]], "image/heic")));

    [Test]
    public Task Should_refuse_an_upload_cut_off_before_its_end() =>
        RefusedAsync(HttpStatusCode.BadRequest, "truncated-upload", async () =>
        {
            var photo = TestImages.JpegWithGps(400, 300, 30, 120);
            var head = Encoding.ASCII.GetBytes("--cut\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
            // The part and the body end without the closing boundary: the phone lost its connection.
            var content = new ByteArrayContent([.. head, .. photo[..(photo.Length / 2)]]);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=cut");
            var response = await _township.Http.PostAsync("/api/attachments", content);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, JsonNode.Parse(text), response);
        });

    [Test]
    public Task Should_refuse_a_truncated_photo() =>
        RefusedAsync(HttpStatusCode.BadRequest, "broken-image", () =>
        {
            var photo = TestImages.JpegWithGps(800, 600, 30, 120);
            return _township.UploadAsync(null, ("half.jpg", photo[..(photo.Length / 2)], "image/jpeg"));
        });

    [Test]
    public Task Should_refuse_a_photo_whose_data_is_garbage() =>
        RefusedAsync(HttpStatusCode.BadRequest, "broken-image", () =>
            _township.UploadAsync(null, ("noise.jpg", [0xFF, 0xD8, 0xFF, 0xE0, .. Encoding.ASCII.GetBytes(new string('x', 5000))], "image/jpeg")));

    [Test]
    public Task Should_refuse_a_decompression_bomb_before_decoding_it() =>
        // 60000 × 60000 RGB would be 14 GB of pixels; the file is a few dozen bytes.
        RefusedAsync(HttpStatusCode.BadRequest, "image-too-large", () => _township.UploadAsync(null, ("bomb.png", TestImages.PngClaiming(60000, 60000), "image/png")));

    [Test]
    public void Should_judge_a_decompression_bomb_from_its_header_without_allocating_its_pixels()
    {
        using var file = new MemoryStream(TestImages.PngClaiming(60000, 60000));
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var (image, refusal) = ImageProcessor.Process(file, "png", 50_000_000);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Multiple(() =>
        {
            Assert.That(image, Is.Null);
            Assert.That(refusal!.Code, Is.EqualTo("image-too-large"));
            Assert.That(allocated, Is.LessThan(1024 * 1024), "no pixel buffer");
        });
    }

    [Test]
    public Task Should_refuse_a_zip_bomb_dressed_as_a_Word_document() =>
        RefusedAsync(HttpStatusCode.BadRequest, "zip-bomb", () => _township.UploadAsync(null, ("报告.docx", TestImages.Zip(
            ("[Content_Types].xml", "<Types/>"u8.ToArray()),
            ("word/document.xml", new byte[20 * 1024 * 1024])), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")));

    [Test]
    public Task Should_refuse_a_document_with_macros() =>
        RefusedAsync(HttpStatusCode.UnsupportedMediaType, "macro-not-allowed", () => _township.UploadAsync(null, ("台账.docx", TestImages.Zip(
            ("[Content_Types].xml", "<Types/>"u8.ToArray()),
            ("word/document.xml", "<w:document/>"u8.ToArray()),
            ("word/vbaProject.bin", new byte[64])), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")));

    [Test]
    public async Task Should_store_a_name_with_path_tricks_and_control_characters_as_a_plain_safe_name()
    {
        var ids = await _township.UploadOkAsync(null, ("../../..\\windows\\system32/evil\u0000\u0007\u202Egpj.exe.pdf", TestImages.Pdf(), "application/pdf"));
        var (_, meta, _) = await _township.GetAsync($"/api/attachments/{ids[0]}");
        var name = meta!.Str("fileName");
        var download = await _township.Http.GetAsync($"/api/attachments/{ids[0]}/content");
        Assert.Multiple(() =>
        {
            Assert.That(name, Is.EqualTo("evilgpj.exe.pdf"));
            Assert.That(name.Any(c => char.IsControl(c) || c is '/' or '\\' or '\u202E'), Is.False);
            Assert.That(download.Content.Headers.ContentDisposition?.FileNameStar, Is.EqualTo("evilgpj.exe.pdf"));
        });
        var (device, _, _) = await _township.UploadAsync(null, ("CON.pdf", TestImages.Pdf(), "application/pdf"));
        Assert.That(device, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task Should_not_let_anyone_add_files_to_someone_elses_whistle()
    {
        var theirs = await DispatchedAsync(_otherTownship);
        var before = await StoredAsync();
        var (upload, _, _) = await _township.UploadAsync(theirs.Str("id"), ("a.pdf", TestImages.Pdf(), "application/pdf"));
        Assert.That(upload, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await StoredAsync(), Is.EqualTo(before), "nothing stored");

        // A draft of one's own, named on another township's whistle as a later note: 404, the draft stays a draft.
        var mine = await _township.UploadOkAsync(null, ("a.pdf", TestImages.Pdf(), "application/pdf"));
        var (note, _, _) = await _township.PostAsync($"/api/whistles/{theirs.Str("id")}/attachments", new { attachmentIds = mine });
        Assert.That(note, Is.EqualTo(HttpStatusCode.NotFound));

        // Someone else's draft, named on one's own raise: 400, and no whistle is raised.
        var branchDraft = await _branch.UploadOkAsync(null, ("b.pdf", TestImages.Pdf(), "application/pdf"));
        var whistles = (await StoredAsync()).Whistles;
        var raise = new JsonObject
        {
            ["matterCode"] = "illegal-construction", ["title"] = "借用他人附件", ["address"] = "人民路1号", ["urgency"] = "routine",
            ["attachmentIds"] = new JsonArray(branchDraft[0]),
        };
        var (raised, body, _) = await _township.PostAsync("/api/whistles", raise);
        Assert.Multiple(async () =>
        {
            Assert.That(raised, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body!["errors"]!["attachmentIds"], Is.Not.Null);
            Assert.That((await StoredAsync()).Whistles, Is.EqualTo(whistles));
            var linked = await _system.Database.ReadAsync(c => c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM attachments WHERE linked_at IS NOT NULL AND {_system.Database.Dialect.InList("id", "@Ids")}", new { Ids = mine.Concat(branchDraft).ToList() }), CancellationToken.None);
            Assert.That(linked, Is.Zero);
        });
    }

    [Test]
    public async Task Should_answer_404_to_reading_a_file_outside_ones_scope()
    {
        var ids = await _township.UploadOkAsync(null, ("a.jpg", TestImages.JpegWithGps(300, 200, 30, 120), "image/jpeg"));
        var whistle = await DispatchedAsync(_township, new JsonObject
        {
            ["matterCode"] = "illegal-construction", ["title"] = "范围测试", ["address"] = "人民路1号", ["urgency"] = "routine",
            ["attachmentIds"] = new JsonArray(ids[0]),
        });
        var draft = await _township.UploadOkAsync(null, ("draft.pdf", TestImages.Pdf(), "application/pdf"));
        Assert.Multiple(async () =>
        {
            foreach (var path in new[] { $"/api/attachments/{ids[0]}", $"/api/attachments/{ids[0]}/content", $"/api/attachments/{ids[0]}/thumbnail" })
            {
                Assert.That((await _otherTownship.Http.GetAsync(path)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), path);
            }

            // A draft is its uploader's alone, even within the township's own branch.
            Assert.That((await _branch.Http.GetAsync($"/api/attachments/{draft[0]}/content")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(whistle["attachments"]!.AsArray(), Has.Count.EqualTo(1));
        });
    }
}
