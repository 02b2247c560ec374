using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using SkiaSharp;
using Whistle.Core.Attachments;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>Issue 14: evidence — photos and files with a whistle, a report, a resolution and a later note.</summary>
[NonParallelizable]
public sealed class When_a_clerk_raises_a_whistle_with_photos
{
    private WhistleSystem _system = null!;
    private WhistleClient _township = null!;
    private WhistleClient _branch = null!;
    private WhistleClient _supervisor = null!;

    // 青山县城关街道 (the demo county's seat), as a phone would write it.
    private const double Latitude = 30.2741;
    private const double Longitude = 120.1551;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync();
        _township = await _system.SignInAsync("township.chengguan");
        _branch = await _system.SignInAsync("branch.urban-management.chengguan");
        _supervisor = await _system.SignInAsync("supervisor");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _township?.Dispose();
        _branch?.Dispose();
        _supervisor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private static (string, byte[], string) Photo(string name = "IMG_0001.jpg", int width = 1200, int height = 900) =>
        (name, TestImages.JpegWithGps(width, height, Latitude, Longitude), "image/jpeg");

    [Test]
    public async Task Should_offer_the_photos_position_to_the_uploader_and_keep_no_EXIF()
    {
        var (status, body, _) = await _township.UploadAsync(null, Photo());
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        var item = body!["items"]![0]!;
        Assert.Multiple(() =>
        {
            Assert.That(item["gps"]!["latitude"]!.GetValue<double>(), Is.EqualTo(Latitude).Within(0.0001));
            Assert.That(item["gps"]!["longitude"]!.GetValue<double>(), Is.EqualTo(Longitude).Within(0.0001));
            Assert.That(item.Str("mediaKind"), Is.EqualTo("image"));
            Assert.That(item.Str("contentType"), Is.EqualTo("image/jpeg"));
        });

        // Every stored variant was re-encoded from pixels: no APP1/EXIF, no GPS, no camera make.
        foreach (var variant in new[] { "content", "display", "thumbnail" })
        {
            var response = await _township.Http.GetAsync($"/api/attachments/{item.Str("id")}/{variant}");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), variant);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            using var stored = new MemoryStream(bytes);
            Assert.Multiple(() =>
            {
                Assert.That(ExifGps.Read(stored, "jpeg"), Is.Null, $"{variant}: no GPS position left");
                Assert.That(IndexOf(bytes, "Exif\0\0"u8.ToArray()), Is.EqualTo(-1), $"{variant}: no EXIF segment");
                Assert.That(IndexOf(bytes, "PhoneCo"u8.ToArray()), Is.EqualTo(-1), $"{variant}: no camera make");
                using var decoded = SKBitmap.Decode(bytes);
                Assert.That(decoded, Is.Not.Null, $"{variant} decodes");
                Assert.That(Math.Max(decoded.Width, decoded.Height), Is.LessThanOrEqualTo(variant == "thumbnail" ? 320 : 1600));
            });
        }

        // Nothing in the database holds the position either.
        var positions = await _system.Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%30.27%'"), CancellationToken.None);
        Assert.That(positions, Is.Zero);
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    [Test]
    public async Task Should_show_the_branch_the_photos_live_and_the_township_the_after_photo_beside_them()
    {
        await using var branchPush = await PushClient.ConnectAsync(_system.Api, _branch.Token);
        await using var townshipPush = await PushClient.ConnectAsync(_system.Api, _township.Token);
        var ids = await _township.UploadOkAsync(null, Photo("before-1.jpg"), Photo("before-2.jpg", 900, 1200));
        var raise = new JsonObject
        {
            ["matterCode"] = "illegal-construction",
            ["title"] = "河边违建加盖",
            ["description"] = "村民在河道管理范围内加盖彩钢棚。",
            ["address"] = "城关街道滨河路12号",
            ["latitude"] = Latitude,
            ["longitude"] = Longitude,
            ["urgency"] = "urgent",
            ["attachmentIds"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()),
        };
        var whistle = await _township.RaiseAsync(raise);
        var whistleId = whistle.Str("id");
        Assert.That(whistle["attachments"]!.AsArray().Select(a => a!.Str("purpose")), Is.EqualTo(new[] { "raise", "raise" }));

        var added = await townshipPush.WaitForAsync("AttachmentAdded", whistleId);
        Assert.That(added["attachments"]!.AsArray().Select(a => a!.Str("id")), Is.EquivalentTo(ids));

        // The branch is summoned live and its inbox card carries the thumbnails, which it may read.
        var dispatched = await branchPush.WaitForAsync("AssignmentDispatched", whistleId);
        var (_, inbox, _) = await _branch.GetAsync("/api/assignments?status=open");
        var card = inbox!["items"]!.AsArray().Single(i => i!.Str("whistleId") == whistleId)!;
        Assert.That(card["attachments"]!.AsArray().Select(a => a!.Str("thumbnailUrl")), Has.All.StartsWith("/api/attachments/"));
        var thumb = await _branch.Http.GetAsync(card["attachments"]![0]!.Str("thumbnailUrl"));
        Assert.Multiple(() =>
        {
            Assert.That(thumb.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(thumb.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/jpeg"));
            Assert.That(thumb.Content.Headers.ContentDisposition?.DispositionType, Is.EqualTo("inline"));
            Assert.That(thumb.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        });

        // The branch reports with an arrival photo and resolves with the after photo.
        var assignmentId = dispatched.Str("assignmentId");
        var arrival = await _branch.UploadOkAsync(whistleId, Photo("arrival.jpg"));
        var (reported, reportBody, _) = await _branch.PostAsync($"/api/assignments/{assignmentId}/report", new { etaMinutes = 0, note = "已到现场", attachmentIds = arrival });
        Assert.That(reported, Is.EqualTo(HttpStatusCode.OK), reportBody?.ToJsonString());
        var after = await _branch.UploadOkAsync(whistleId, Photo("after.jpg"));
        var (resolved, resolveBody, _) = await _branch.PostAsync($"/api/assignments/{assignmentId}/resolve", new { note = "违建已拆除", attachmentIds = after });
        Assert.That(resolved, Is.EqualTo(HttpStatusCode.OK), resolveBody?.ToJsonString());

        var pushed = await townshipPush.WaitForAsync(e => e.Str("type") == "AttachmentAdded" && e["assignmentId"]?.GetValue<string>() == assignmentId
            && e["attachments"]![0]!.Str("purpose") == "resolution");
        Assert.That(pushed["attachments"]![0]!.Str("id"), Is.EqualTo(after[0]));

        var (_, final, _) = await _township.GetAsync($"/api/whistles/{whistleId}");
        var byPurpose = final!["attachments"]!.AsArray().GroupBy(a => a!.Str("purpose")).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(byPurpose, Is.EqualTo(new Dictionary<string, int> { ["raise"] = 2, ["report"] = 1, ["resolution"] = 1 }));
        var timeline = final["timeline"]!.AsArray().Where(t => t!.Str("type") == "AttachmentAdded").ToList();
        Assert.That(timeline.Select(t => t!["attachmentIds"]!.AsArray().Count), Is.EqualTo(new[] { 2, 1, 1 }));
    }

    [Test]
    public async Task Should_serve_the_original_as_a_download_of_the_judged_type_with_a_safe_name()
    {
        var ids = await _township.UploadOkAsync(null, ("现场 报告.pdf", TestImages.Pdf(), "application/octet-stream"), ("台账.docx", TestImages.Docx(), "text/html"));
        var pdf = await _township.Http.GetAsync($"/api/attachments/{ids[0]}/content");
        var docx = await _township.Http.GetAsync($"/api/attachments/{ids[1]}/content");
        Assert.Multiple(async () =>
        {
            Assert.That(pdf.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/pdf"));
            Assert.That(pdf.Content.Headers.ContentDisposition?.DispositionType, Is.EqualTo("attachment"));
            Assert.That(pdf.Content.Headers.ContentDisposition?.FileNameStar, Is.EqualTo("现场 报告.pdf"));
            Assert.That(pdf.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
            Assert.That(pdf.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("sandbox"));
            Assert.That(await pdf.Content.ReadAsByteArrayAsync(), Is.EqualTo(TestImages.Pdf()));
            Assert.That(docx.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/vnd.openxmlformats-officedocument.wordprocessingml.document"));
            Assert.That((await _township.Http.GetAsync($"/api/attachments/{ids[0]}/thumbnail")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a PDF has no thumbnail");
        });
    }

    [Test]
    public async Task Should_let_only_the_uploader_or_a_supervisor_remove_a_file_softly_and_on_the_audit_trail()
    {
        var ids = await _township.UploadOkAsync(null, Photo("a.jpg"), Photo("b.jpg"));
        var whistle = await _township.RaiseAsync(new JsonObject
        {
            ["matterCode"] = "illegal-construction", ["title"] = "删除测试", ["address"] = "人民路1号", ["urgency"] = "routine",
            ["attachmentIds"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()),
        });
        await _township.WaitForWhistleAsync(whistle.Str("id"), w => w.Str("status") == "dispatched");

        var (byBranch, _, _) = await _branch.SendAsync(HttpMethod.Delete, $"/api/attachments/{ids[0]}");
        var (byOwner, _, _) = await _township.SendAsync(HttpMethod.Delete, $"/api/attachments/{ids[0]}");
        var (bySupervisor, _, _) = await _supervisor.SendAsync(HttpMethod.Delete, $"/api/attachments/{ids[1]}");
        var (read, _, _) = await _township.GetAsync($"/api/attachments/{ids[0]}");
        Assert.Multiple(async () =>
        {
            Assert.That(byBranch, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(byOwner, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(bySupervisor, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(read, Is.EqualTo(HttpStatusCode.NotFound));
            var (kept, deleted) = await _system.Database.ReadAsync(
                async c => (await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM attachments WHERE {_system.Database.Dialect.InList("id", "@Ids")} AND deleted_at IS NOT NULL", new { Ids = ids }),
                    await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM audit_log WHERE entity = 'attachment' AND action = 'deleted' AND {_system.Database.Dialect.InList("entity_key", "@Ids")}", new { Ids = ids })),
                CancellationToken.None);
            Assert.That(kept, Is.EqualTo(2), "soft: the rows stay, marked");
            Assert.That(deleted, Is.EqualTo(2));
        });
        var (_, after, _) = await _township.GetAsync($"/api/whistles/{whistle.Str("id")}");
        Assert.That(after!["attachments"]!.AsArray(), Is.Empty);
        Assert.That(after["timeline"]!.AsArray().Count(t => t!.Str("type") == "AttachmentRemoved"), Is.EqualTo(2));
    }

    [Test]
    public async Task Should_add_a_later_note_with_files_to_the_timeline()
    {
        var whistle = await _township.RaiseAsync();
        var id = whistle.Str("id");
        await _township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var files = await _branch.UploadOkAsync(id, ("补充材料.pdf", TestImages.Pdf(), "application/pdf"));
        var (status, body, _) = await _branch.PostAsync($"/api/whistles/{id}/attachments", new { attachmentIds = files, note = "补充现场勘验记录" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var note = body!["timeline"]!.AsArray().Last()!;
        Assert.Multiple(() =>
        {
            Assert.That(note.Str("type"), Is.EqualTo("AttachmentAdded"));
            Assert.That(note.Str("note"), Is.EqualTo("补充现场勘验记录"));
            Assert.That(body["attachments"]!.AsArray().Single()!.Str("purpose"), Is.EqualTo("note"));
        });
    }
}
