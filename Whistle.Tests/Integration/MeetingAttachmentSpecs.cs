using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Issue 14: a meeting's minutes carry photos and files (the sign-in sheet, the scene) — uploaded for the meeting, named
/// in the minutes, linked in their transaction, on the audit trail and in the live minutes event; read by whoever sees
/// the meeting and by nobody else.
/// </summary>
[NonParallelizable]
public sealed class When_meeting_minutes_carry_photos_and_files
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 9, 1, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() => _system = await WhistleSystem.EmbeddedAsync(
        s => s.AddSingleton<TimeProvider>(_clock),
        new Dictionary<string, string?> { ["Whistle:Auth:TokenLifetime"] = "60.00:00:00" });

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private static (string, byte[], string) Photo(string name) => (name, TestImages.JpegWithGps(800, 600, 30.27, 120.15), "image/jpeg");

    /// <summary>A meeting of 东风街道 with its urban-management branch, begun: the minutes may be taken.</summary>
    private async Task<string> HeldMeetingAsync(WhistleClient township)
    {
        var startsAt = _clock.GetUtcNow().AddHours(3);
        var (status, created, _) = await township.PostAsync("/api/meetings", new
        {
            kind = "ad-hoc", title = "河道保洁协调会", agenda = "研究河道保洁分工", place = "东风街道办事处", startsAt, agencyCodes = new[] { "urban-management" },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), created?.ToJsonString());
        _clock.Advance(TimeSpan.FromHours(3.5));
        return created!.AsArray()[0]!.Str("id");
    }

    /// <summary>Uploads the files for the meeting and records its minutes naming them; asserts the minutes took them all.</summary>
    private static async Task<(string[] Files, JsonNode Meeting)> MinutesWithFilesAsync(WhistleClient township, string id, params (string, byte[], string)[] upload)
    {
        var files = await township.UploadForMeetingOkAsync(id, upload);
        var (held, meeting, _) = await township.PostAsync($"/api/meetings/{id}/minutes", new { minutes = "议定河道保洁分工。", attachmentIds = files });
        Assert.That(held, Is.EqualTo(HttpStatusCode.OK), meeting?.ToJsonString());
        Assert.That(meeting!["attachments"]!.AsArray().Select(a => a!.Str("id")), Is.EquivalentTo(files), "the minutes took every file");
        return (files, meeting);
    }

    [Test]
    public async Task Should_keep_the_files_with_the_minutes_for_everyone_at_the_meeting_live_and_on_the_audit_trail()
    {
        using var township = await _system.SignInAsync("township.dongfeng");
        using var branch = await _system.SignInAsync("branch.urban-management.dongfeng");
        using var supervisor = await _system.SignInAsync("supervisor");
        var id = await HeldMeetingAsync(township);
        await using var branchPush = await _system.ConnectAsync(branch);
        var (files, meeting) = await MinutesWithFilesAsync(township, id, Photo("签到表.jpg"), ("会议纪要.pdf", TestImages.Pdf(), "application/pdf"));
        Assert.That(meeting["attachments"]!.AsArray().Select(a => a!.Str("purpose")), Has.All.EqualTo("minutes"));

        var pushed = await branchPush.WaitForAsync("MeetingMinutesRecorded", id);
        Assert.That(pushed["attachments"]!.AsArray().Select(a => a!.Str("id")), Is.EquivalentTo(files), "the live event carries the files");

        // The summoned branch and the supervisors read them: metadata, the photo's thumbnail, the PDF itself.
        foreach (var reader in new[] { branch, supervisor })
        {
            var (_, seen, _) = await reader.GetAsync($"/api/meetings/{id}");
            Assert.That(seen!["attachments"]!.AsArray(), Has.Count.EqualTo(2));
            Assert.That((await reader.Http.GetAsync($"/api/attachments/{files[0]}/thumbnail")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await reader.Http.GetAsync($"/api/attachments/{files[1]}/content")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var audited = await _system.Database.ReadAsync(
            c => c.ExecuteScalarAsync<long>(
                $"SELECT COUNT(*) FROM audit_log WHERE entity = 'attachment' AND action = 'added' AND {_system.Database.Dialect.InList("entity_key", "@Ids")}", new { Ids = files }),
            CancellationToken.None);
        Assert.That(audited, Is.EqualTo(2), "each file's linking on the audit trail");
    }

    /// <summary>
    /// Attack: someone not at the meeting — a branch of another township, another township — reads the minutes' files by
    /// their ids, or names them in minutes of its own. Every read is 404 (as the meeting itself); the foreign ids are refused.
    /// </summary>
    [Test]
    public async Task Should_refuse_the_files_to_anyone_not_at_the_meeting()
    {
        using var township = await _system.SignInAsync("township.dongfeng");
        using var outsiderBranch = await _system.SignInAsync("branch.urban-management.chengguan");
        using var otherTownship = await _system.SignInAsync("township.chengguan");
        var id = await HeldMeetingAsync(township);
        var (files, _) = await MinutesWithFilesAsync(township, id, Photo("现场.jpg"));

        foreach (var outsider in new[] { outsiderBranch, otherTownship })
        {
            foreach (var path in new[] { "", "/content", "/display", "/thumbnail" })
            {
                Assert.That((await outsider.Http.GetAsync($"/api/attachments/{files[0]}{path}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), path);
            }

            var (upload, _, _) = await outsider.UploadToAsync($"/api/attachments?meetingId={id}", Photo("x.jpg"));
            Assert.That(upload, Is.EqualTo(HttpStatusCode.NotFound), "no upload for a meeting one does not see");
        }

        // Another township's own meeting may not take these files (nor a draft of the organizer's meant for this one).
        var theirs = await HeldMeetingAsync(otherTownship);
        var draft = await township.UploadForMeetingOkAsync(id, Photo("draft.jpg"));
        var (stolen, problem, _) = await otherTownship.PostAsync($"/api/meetings/{theirs}/minutes", new { minutes = "议定。", attachmentIds = new[] { files[0], draft[0] } });
        Assert.That(stolen, Is.EqualTo(HttpStatusCode.BadRequest), problem?.ToJsonString());
        var (_, after, _) = await otherTownship.GetAsync($"/api/meetings/{theirs}");
        Assert.That(after!.Str("status"), Is.EqualTo("scheduled"), "refused minutes are not taken");
        var row = await _system.Database.ReadAsync(c => c.QuerySingleAsync<(string MeetingId, string? Linked)>(
            "SELECT meeting_id, CAST(linked_at AS varchar(40)) FROM attachments WHERE id = @Id", new { Id = draft[0] }), CancellationToken.None);
        Assert.That((row.MeetingId, row.Linked), Is.EqualTo((id, (string?)null)), "the draft stays the organizer's, unlinked");
    }
}
