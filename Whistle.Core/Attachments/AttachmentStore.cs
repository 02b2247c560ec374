using Dapper;
using Microsoft.Extensions.Options;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Meetings;
using Whistle.Core.Messaging;
using Whistle.Core.Problems;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

namespace Whistle.Core.Attachments;

/// <summary>Linking uploaded files to an item, in the item's own transaction.</summary>
/// <param name="Ids">The drafts the caller uploaded (<c>attachmentIds</c> of the request).</param>
/// <param name="Announce">The whistle and the audience of the <c>AttachmentAdded</c> event; null: no event (a meeting's minutes announce themselves).</param>
public sealed record AttachmentLink(
    IReadOnlyList<string> Ids,
    AttachmentUploader By,
    string Purpose,
    string? WhistleId,
    string? MeetingId,
    string? AssignmentId,
    string? Note,
    DateTimeOffset Now,
    (WhistleSummary Whistle, IReadOnlyList<string> Audience)? Announce,
    string? SubmissionId = null);

public abstract record LinkOutcome
{
    public sealed record Linked(IReadOnlyList<AttachmentRow> Rows) : LinkOutcome;

    public sealed record Invalid(FieldErrors Errors) : LinkOutcome;

    public sealed record TooLarge(AttachmentRefusal Refusal) : LinkOutcome;

    /// <summary>The files linked; none when they were refused.</summary>
    public IReadOnlyList<AttachmentRow> LinkedRows => this is Linked linked ? linked.Rows : [];

    /// <summary>What the item's command answers when its files were refused (400, 413); null when they were linked.</summary>
    public CommandResult<T>? Refused<T>() => this switch
    {
        Invalid invalid => new CommandResult<T>.Invalid(invalid.Errors),
        TooLarge large => new CommandResult<T>.TooLarge(large.Refusal.Problem),
        _ => null,
    };
}

/// <summary>
/// The one owner of the attachments aggregate: the only writer of <c>attachments</c>, and — through
/// <see cref="IAttachmentContent"/> — of the files' bytes. An upload is stored as a draft of its uploader (readable by
/// nobody else); the item it was uploaded for (a raise, a report, a resolution, a later note, a meeting's minutes) links
/// it in its own transaction, with the <c>AttachmentAdded</c> timeline event and the audit rows. Deletion is soft.
/// Every statement here is portable SQL (no provider's syntax), as the data layer's rule asks.
/// </summary>
public sealed class AttachmentStore(WhistleDatabase database, IAttachmentContent content, IOptions<AttachmentOptions> options, TimeProvider time)
{
    private const string InsertSql = """
        INSERT INTO attachments (id, whistle_id, meeting_id, assignment_id, purpose, file_name, media_kind, content_type, size_bytes, sha256,
                                 width, height, display_bytes, thumbnail_bytes, source_url, uploaded_by_user, uploaded_by_name,
                                 uploaded_by_org, uploaded_at, linked_at, added_sequence, note, deleted_at, deleted_by_user, deleted_by_name)
        VALUES (@Id, @WhistleId, @MeetingId, @AssignmentId, @Purpose, @FileName, @MediaKind, @ContentType, @SizeBytes, @Sha256,
                @Width, @Height, @DisplayBytes, @ThumbnailBytes, @SourceUrl, @UploadedByUser, @UploadedByName,
                @UploadedByOrg, @UploadedAt, @LinkedAt, @AddedSequence, @Note, NULL, NULL, NULL);
        """;

    private const string SelectSql = $"SELECT {AttachmentRow.Columns} FROM attachments x WHERE x.id = @Id;";

    public const string OfWhistleSql = $"""
        SELECT {AttachmentRow.Columns} FROM attachments x
        WHERE x.whistle_id = @WhistleId AND x.linked_at IS NOT NULL AND x.deleted_at IS NULL
        ORDER BY x.uploaded_at, x.id;
        """;

    private static string OfWhistlesSql(SqlDialect dialect) => $"""
        SELECT {AttachmentRow.Columns} FROM attachments x
        WHERE {dialect.InList("x.whistle_id", "@WhistleIds")} AND x.linked_at IS NOT NULL AND x.deleted_at IS NULL
        ORDER BY x.uploaded_at, x.id;
        """;

    private const string OfMeetingSql = $"""
        SELECT {AttachmentRow.Columns} FROM attachments x
        WHERE x.meeting_id = @MeetingId AND x.linked_at IS NOT NULL AND x.deleted_at IS NULL
        ORDER BY x.uploaded_at, x.id;
        """;

    private const string OfSubmissionSql = $"""
        SELECT {AttachmentRow.Columns} FROM attachments x
        WHERE x.submission_id = @SubmissionId AND x.linked_at IS NOT NULL AND x.deleted_at IS NULL
        ORDER BY x.uploaded_at, x.id;
        """;

    /// <summary>Who sees a submission (<see cref="Visibility.CanSeeSubmission"/>): its institution, its unit, its department.</summary>
    private const string SubmissionPartiesSql = "SELECT institution_id AS InstitutionId, unit_id AS UnitId, department_id AS DepartmentId FROM submissions WHERE id = @Id;";

    private sealed record SubmissionParties(string InstitutionId, string? UnitId, string DepartmentId);

    private const string LinkSql = """
        UPDATE attachments SET linked_at = @Now, whistle_id = @WhistleId, meeting_id = @MeetingId, submission_id = @SubmissionId, assignment_id = @AssignmentId,
                               purpose = @Purpose, note = @Note
        WHERE id = @Id AND linked_at IS NULL AND deleted_at IS NULL AND uploaded_by_user = @UserName
          AND (whistle_id IS NULL OR whistle_id = @WhistleId) AND (meeting_id IS NULL OR meeting_id = @MeetingId);
        """;

    private const string AnnouncedSql = "UPDATE attachments SET added_sequence = @Sequence WHERE id = @Id;";

    private const string SoftDeleteSql = """
        UPDATE attachments SET deleted_at = @Now, deleted_by_user = @UserName, deleted_by_name = @DisplayName
        WHERE id = @Id AND deleted_at IS NULL;
        """;

    private const string ExpiredDraftsSql = "SELECT id FROM attachments WHERE linked_at IS NULL AND uploaded_at < @Cutoff;";

    private const string DeleteRowSql = "DELETE FROM attachments WHERE id = @Id AND linked_at IS NULL;";

    public AttachmentOptions Options => options.Value;

    /// <summary>
    /// Stores checked files as drafts of their uploader, meant for <paramref name="whistleId"/> or <paramref name="meetingId"/>
    /// when named (the caller checked that the uploader sees it). The rows commit first (with an <c>uploaded</c> audit row
    /// each), then the bytes: a process that dies in between leaves a draft that nobody was told of, removed with the other
    /// expired drafts. A failure while writing the bytes removes what this call stored.
    /// </summary>
    public async Task<IReadOnlyList<AttachmentRow>> SaveDraftsAsync(
        AttachmentUploader uploader, IReadOnlyList<PreparedFile> files, string? whistleId, string? meetingId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var rows = files.Select(f => new AttachmentRow
        {
            Id = Guid.CreateVersion7(now).ToString(),
            WhistleId = whistleId,
            MeetingId = meetingId,
            FileName = f.FileName,
            MediaKind = f.MediaKind,
            ContentType = f.ContentType,
            SizeBytes = f.SizeBytes,
            Sha256 = f.Sha256,
            Width = f.Width,
            Height = f.Height,
            DisplayBytes = f.Display?.Length,
            ThumbnailBytes = f.Thumbnail?.Length,
            UploadedByUser = uploader.UserName,
            UploadedByName = uploader.DisplayName,
            UploadedByOrg = uploader.OrgId,
            UploadedAt = now,
        }).ToList();
        await database.WriteAsync(
            async unit =>
            {
                foreach (var row in rows)
                {
                    await unit.Connection.ExecuteAsync(InsertSql, row, unit.Transaction);
                    await AuditTrail.WriteAsync(
                        unit, new AuditActor(uploader.UserName, uploader.DisplayName, uploader.RemoteAddress), AuditEntities.Attachment, row.Id, AuditActions.Uploaded, null,
                        new { row.WhistleId, row.MeetingId, row.FileName, row.MediaKind, row.ContentType, row.SizeBytes, row.Sha256 }, now);
                }

                unit.Complete();
                return 0;
            },
            ct);
        try
        {
            for (var i = 0; i < rows.Count; i++)
            {
                await content.WriteAsync(AttachmentVariant.Key(rows[i].Id, AttachmentVariant.Original), files[i].Original.Rewound(), ct);
                if (files[i].Display is { } display) await content.WriteAsync(AttachmentVariant.Key(rows[i].Id, AttachmentVariant.Display), display.Rewound(), ct);
                if (files[i].Thumbnail is { } thumbnail) await content.WriteAsync(AttachmentVariant.Key(rows[i].Id, AttachmentVariant.Thumbnail), thumbnail.Rewound(), ct);
            }
        }
        catch
        {
            await RemoveDraftsAsync(rows.Select(r => r.Id), CancellationToken.None);
            throw;
        }

        return rows;
    }

    /// <summary>
    /// A client's own media URL (Open311's <c>media_url</c>), kept as a reference on the raised whistle — never fetched
    /// (no request leaves Whistle for an address a client chose: no SSRF), shown as a link.
    /// </summary>
    public async Task AddReferenceAsync(UnitOfWork unit, AttachmentUploader by, string whistleId, string url, DateTimeOffset now)
    {
        var row = new AttachmentRow
        {
            Id = Guid.CreateVersion7(now).ToString(),
            WhistleId = whistleId,
            Purpose = AttachmentPurpose.Raise,
            FileName = FileNames.Sanitise(new Uri(url).Segments.LastOrDefault(), string.Empty) is { Length: > 0 } name ? name : "media",
            MediaKind = "link",
            ContentType = "text/uri-list",
            SizeBytes = 0,
            Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(url))),
            SourceUrl = url,
            UploadedByUser = by.UserName,
            UploadedByName = by.DisplayName,
            UploadedByOrg = by.OrgId,
            UploadedAt = now,
            LinkedAt = now,
        };
        await unit.Connection.ExecuteAsync(InsertSql, row, unit.Transaction);
        await AuditTrail.WriteAsync(unit, new AuditActor(by.UserName, by.DisplayName, by.RemoteAddress), AuditEntities.Attachment, row.Id, AuditActions.Added, null, new { row.WhistleId, row.MediaKind, row.SourceUrl }, now);
    }

    /// <summary>A URL kept as a reference: absolute http(s), no user info, no control characters, at most 2000 characters.</summary>
    public static bool IsReferenceUrl(string url) =>
        url.Length <= 2000 && !url.Any(char.IsControl) && Uri.TryCreate(url, UriKind.Absolute, out var u)
        && u.Scheme is "http" or "https" && string.IsNullOrEmpty(u.UserInfo);

    /// <summary>
    /// Links the caller's drafts to an item in the item's transaction: each must be the caller's own, not yet linked, not
    /// deleted, and uploaded for this whistle or meeting (or for none); together at most <c>MaxFilesPerItem</c> files and
    /// <c>MaxItemBytes</c>. Writes an <c>added</c> audit row per file and, when <see cref="AttachmentLink.Announce"/> is
    /// given, one <c>AttachmentAdded</c> timeline event (pushed live through the outbox) carrying them all.
    /// </summary>
    public async Task<LinkOutcome> LinkAsync(UnitOfWork unit, AttachmentLink link)
    {
        if (link.Ids.Count == 0) return new LinkOutcome.Linked([]);
        var errors = new FieldErrors();
        if (link.Ids.Count != link.Ids.Distinct(StringComparer.Ordinal).Count())
        {
            errors.Set("attachmentIds", Problem.AttachmentTwice());
            return new LinkOutcome.Invalid(errors);
        }

        if (link.Ids.Count > options.Value.MaxFilesPerItem)
        {
            return new LinkOutcome.TooLarge(Limits.TooManyFiles(options.Value));
        }

        var rows = new List<AttachmentRow>();
        foreach (var id in link.Ids)
        {
            var row = id is { Length: > 0 and <= 40 } ? await unit.Connection.QuerySingleOrDefaultAsync<AttachmentRow>(SelectSql, new { Id = id }, unit.Transaction) : null;
            var usable = row is not null && row.IsDraft && row.DeletedAt is null && row.UploadedByUser == link.By.UserName
                && (row.WhistleId is null || row.WhistleId == link.WhistleId) && (row.MeetingId is null || row.MeetingId == link.MeetingId);
            if (!usable)
            {
                errors.Set("attachmentIds", Problem.AttachmentNotADraft(Truncate(id)));
                return new LinkOutcome.Invalid(errors);
            }

            rows.Add(row!);
        }

        if (rows.Sum(r => r.SizeBytes) > options.Value.MaxItemBytes)
        {
            return new LinkOutcome.TooLarge(Limits.ItemTooLarge(options.Value));
        }

        var linked = new List<AttachmentRow>();
        foreach (var row in rows)
        {
            var changed = await unit.Connection.ExecuteAsync(
                LinkSql,
                new { row.Id, link.Now, link.WhistleId, link.MeetingId, link.SubmissionId, link.AssignmentId, link.Purpose, link.Note, link.By.UserName },
                unit.Transaction);
            if (changed != 1)
            {
                errors.Set("attachmentIds", Problem.AttachmentTaken(row.Id));
                return new LinkOutcome.Invalid(errors);
            }

            var after = row with { LinkedAt = link.Now, WhistleId = link.WhistleId, MeetingId = link.MeetingId, SubmissionId = link.SubmissionId, AssignmentId = link.AssignmentId, Purpose = link.Purpose, Note = link.Note };
            await AuditTrail.WriteAsync(
                unit, new AuditActor(link.By.UserName, link.By.DisplayName, link.By.RemoteAddress), AuditEntities.Attachment, row.Id, AuditActions.Added, null,
                new { after.WhistleId, after.MeetingId, after.SubmissionId, after.AssignmentId, after.Purpose, after.FileName, after.SizeBytes, after.Sha256 }, link.Now);
            linked.Add(after);
        }

        if (link.Announce is { } announce)
        {
            var recorded = await Timeline.AppendAsync(
                unit,
                new WhistleEvent(
                    0, WhistleEventTypes.AttachmentAdded, announce.Whistle.Id, link.AssignmentId, link.Now,
                    new EventActor(link.By.UserName, link.By.DisplayName, link.By.OrgId), announce.Whistle, null, link.Note,
                    Attachments: linked.Select(r => r.ToSnapshot()).ToList()),
                announce.Audience,
                link.Now);
            await unit.Connection.ExecuteAsync(AnnouncedSql, linked.Select(r => new { r.Id, recorded.Sequence }), unit.Transaction);
            linked = linked.Select(r => r with { AddedSequence = recorded.Sequence }).ToList();
        }

        return new LinkOutcome.Linked(linked);
    }

    // ---- Who may read, who may remove ---------------------------------------------------------------------------

    /// <summary>
    /// The attachment if the caller may read it — the one rule, for every read (metadata, original, display copy,
    /// thumbnail, the zip export, Open311's <c>media_url</c>): a draft only its uploader; a whistle's file whoever sees the
    /// whistle, a meeting's file whoever sees the meeting, a submission's whoever sees the submission (<see cref="Visibility"/>); a deleted file nobody. Null otherwise
    /// (a 404, as for a whistle outside the caller's scope).
    /// </summary>
    public async Task<AttachmentRow?> ReadableAsync(Caller caller, string id, CancellationToken ct) =>
        id is { Length: > 0 and <= 40 }
            ? await database.ReadAsync(c => ReadableAsync(c, caller, id, null), ct)
            : null;

    /// <summary>
    /// Whether the caller may attach files to this whistle or meeting (an upload's target): the same check as a file of it
    /// is read by (<see cref="TargetVisibleAsync"/>), on one connection.
    /// </summary>
    public Task<bool> CanAttachToAsync(Caller caller, string? whistleId, string? meetingId, CancellationToken ct) =>
        whistleId is null && meetingId is null
            ? Task.FromResult(true)
            : database.ReadAsync(c => TargetVisibleAsync(c, caller, whistleId, meetingId, null, null), ct);

    /// <summary>The one read path: the row and the check, on the caller's connection (and transaction, for a removal).</summary>
    private static async Task<AttachmentRow?> ReadableAsync(System.Data.Common.DbConnection c, Caller caller, string id, System.Data.Common.DbTransaction? t)
    {
        var row = await c.QuerySingleOrDefaultAsync<AttachmentRow>(SelectSql, new { Id = id }, t);
        if (row is null || row.DeletedAt is not null) return null;
        if (row.IsDraft) return row.UploadedByUser == caller.UserName ? row : null;
        return await TargetVisibleAsync(c, caller, row.WhistleId, row.MeetingId, row.SubmissionId, t) ? row : null;
    }

    /// <summary>The one visibility check of an attachment's item: its whistle's (<see cref="Visibility"/>), else its meeting's, else its submission's; none: nobody.</summary>
    private static async Task<bool> TargetVisibleAsync(System.Data.Common.DbConnection c, Caller caller, string? whistleId, string? meetingId, string? submissionId, System.Data.Common.DbTransaction? t)
    {
        if (whistleId is not null)
        {
            var whistle = await WhistleRows.GetWhistleAsync(c, whistleId, t);
            return whistle is not null && Visibility.CanSee(caller, whistle, await WhistleRows.GetAssignmentsAsync(c, whistleId, t));
        }

        if (meetingId is not null)
        {
            var (meeting, summons) = await MeetingRows.LoadAsync(c, meetingId, t);
            return meeting is not null && Visibility.CanSee(caller, meeting, summons);
        }

        if (submissionId is not null)
        {
            var parties = await c.QuerySingleOrDefaultAsync<SubmissionParties>(SubmissionPartiesSql, new { Id = submissionId }, t);
            return parties is not null && Visibility.CanSeeSubmission(caller, parties.InstitutionId, parties.UnitId, parties.DepartmentId);
        }

        return false;
    }

    /// <summary>
    /// Soft deletion by its uploader or a supervisor (both must be able to read it first: 404 otherwise; anyone else who
    /// reads it: 403): the row stays, marked with who and when; audited; announced as <c>AttachmentRemoved</c> to the
    /// whistle's audience. The bytes stay with the whistle's data.
    /// </summary>
    public async Task<CommandResult<AttachmentRow>> DeleteAsync(Caller caller, string id, CancellationToken ct)
    {
        if (id is not { Length: > 0 and <= 40 }) return new CommandResult<AttachmentRow>.NotFound();
        return await database.WriteAsync<CommandResult<AttachmentRow>>(
            async unit =>
            {
                var row = await ReadableAsync(unit.Connection, caller, id, unit.Transaction);
                if (row is null)
                {
                    return new CommandResult<AttachmentRow>.NotFound();
                }

                if (row.UploadedByUser != caller.UserName && caller.Role != Roles.Supervisor)
                {
                    return new CommandResult<AttachmentRow>.Forbidden(Problem.AttachmentRemover());
                }

                var now = time.GetUtcNow();
                if (await unit.Connection.ExecuteAsync(SoftDeleteSql, new { row.Id, Now = now, caller.UserName, caller.DisplayName }, unit.Transaction) != 1)
                {
                    return new CommandResult<AttachmentRow>.NotFound();
                }

                await AuditTrail.WriteAsync(
                    unit, caller.Audit, AuditEntities.Attachment, row.Id, AuditActions.Deleted,
                    new { row.WhistleId, row.MeetingId, row.SubmissionId, row.Purpose, row.FileName, row.UploadedByUser }, new { DeletedAt = now }, now);
                if (row.WhistleId is not null && !row.IsDraft && await WhistleRows.GetWhistleAsync(unit.Connection, row.WhistleId, unit.Transaction) is { } whistle)
                {
                    var assignments = await WhistleRows.GetAssignmentsAsync(unit.Connection, row.WhistleId, unit.Transaction);
                    await Timeline.AppendAsync(
                        unit,
                        new WhistleEvent(
                            0, WhistleEventTypes.AttachmentRemoved, whistle.Id, row.AssignmentId, now, caller.Actor, whistle.ToSummary(), null, row.FileName,
                            Attachments: [row.ToSnapshot()]),
                        Visibility.Audience(whistle, assignments.Select(a => (a.AgencyCode, a.BranchId))),
                        now);
                }

                unit.Complete();
                return new CommandResult<AttachmentRow>.Success(row with { DeletedAt = now, DeletedByUser = caller.UserName, DeletedByName = caller.DisplayName });
            },
            ct);
    }

    public Task<AttachmentRow?> GetAsync(string id, CancellationToken ct) =>
        id is { Length: > 0 and <= 40 }
            ? database.ReadAsync(c => c.QuerySingleOrDefaultAsync<AttachmentRow>(SelectSql, new { Id = id }), ct)
            : Task.FromResult<AttachmentRow?>(null);

    /// <summary>The linked, not deleted attachments of a whistle, oldest first (in the caller's connection).</summary>
    public static async Task<IReadOnlyList<AttachmentRow>> OfWhistleAsync(System.Data.Common.DbConnection connection, string whistleId) =>
        (await connection.QueryAsync<AttachmentRow>(OfWhistleSql, new { WhistleId = whistleId })).ToList();

    /// <summary>The linked, not deleted attachments of several whistles, by whistle, oldest first (one statement per chunk of ids).</summary>
    public static async Task<ILookup<string, AttachmentRow>> OfWhistlesAsync(System.Data.Common.DbConnection connection, SqlDialect dialect, IReadOnlyCollection<string> whistleIds) =>
        (await dialect.QueryListAsync<AttachmentRow>(connection, dialect.Sql(OfWhistlesSql), whistleIds, ids => new { WhistleIds = ids })).ToLookup(r => r.WhistleId!);

    public static async Task<IReadOnlyList<AttachmentRow>> OfMeetingAsync(System.Data.Common.DbConnection connection, string meetingId) =>
        (await connection.QueryAsync<AttachmentRow>(OfMeetingSql, new { MeetingId = meetingId })).ToList();

    /// <summary>The linked, not deleted attachments of a submission, oldest first (in the caller's connection).</summary>
    public static async Task<IReadOnlyList<AttachmentRow>> OfSubmissionAsync(System.Data.Common.DbConnection connection, string submissionId) =>
        (await connection.QueryAsync<AttachmentRow>(OfSubmissionSql, new { SubmissionId = submissionId })).ToList();

    /// <summary>A stored variant's bytes as a stream (null when that variant does not exist).</summary>
    public Task<Stream?> OpenAsync(AttachmentRow row, string variant, CancellationToken ct) =>
        content.OpenReadAsync(AttachmentVariant.Key(row.Id, variant), ct);

    /// <summary>Removes drafts older than <c>DraftLifetime</c> that no item took up: rows and bytes. Answers how many.</summary>
    public async Task<int> PurgeExpiredDraftsAsync(CancellationToken ct)
    {
        var cutoff = time.GetUtcNow() - options.Value.DraftLifetime;
        var ids = (await database.ReadAsync(c => c.QueryAsync<string>(ExpiredDraftsSql, new { Cutoff = cutoff }), ct)).ToList();
        await RemoveDraftsAsync(ids, ct);
        return ids.Count;
    }

    /// <summary>Removes drafts at once (rows and bytes) that the item they were stored for did not take: a raise that failed.</summary>
    public Task DiscardDraftsAsync(IEnumerable<string> ids, CancellationToken ct) => RemoveDraftsAsync(ids, ct);

    private async Task RemoveDraftsAsync(IEnumerable<string> ids, CancellationToken ct)
    {
        foreach (var id in ids)
        {
            foreach (var variant in new[] { AttachmentVariant.Original, AttachmentVariant.Display, AttachmentVariant.Thumbnail })
            {
                await content.DeleteAsync(AttachmentVariant.Key(id, variant), ct);
            }

            await database.WriteAsync(
                async unit =>
                {
                    await unit.Connection.ExecuteAsync(DeleteRowSql, new { Id = id }, unit.Transaction);
                    unit.Complete();
                    return 0;
                },
                ct);
        }
    }

    private static string Truncate(string? id) => id is null ? "" : id.Length > 40 ? id[..40] + "…" : id;
}

/// <summary>The refusals that name a limit (413), worded once.</summary>
public static class Limits
{
    public static AttachmentRefusal FileTooLarge(AttachmentOptions o, string? name = null) => new(Problem.FileTooLarge(o.MaxFileBytes, name), 413);

    public static AttachmentRefusal ItemTooLarge(AttachmentOptions o) => new(Problem.ItemTooLarge(o.MaxItemBytes), 413);

    public static AttachmentRefusal TooManyFiles(AttachmentOptions o) => new(Problem.TooManyFiles(o.MaxFilesPerItem), 413);
}
