using Whistle.Contracts;

namespace Whistle.Core.Attachments;

/// <summary>The purposes an attachment serves on its item.</summary>
public static class AttachmentPurpose
{
    public const string Raise = "raise";
    public const string Report = "report";
    public const string Resolution = "resolution";
    public const string Note = "note";
    public const string Minutes = "minutes";
    public const string Submission = "submission";

    public static readonly IReadOnlyList<string> All = [Raise, Report, Resolution, Note, Minutes, Submission];
}

/// <summary>The variants stored of one attachment: the kept original, and for an image its display copy and thumbnail.</summary>
public static class AttachmentVariant
{
    public const string Original = "original";
    public const string Display = "display";
    public const string Thumbnail = "thumbnail";

    public static string Key(string attachmentId, string variant) => $"{attachmentId}/{variant}";
}

/// <summary>An attachments row.</summary>
public sealed record AttachmentRow
{
    public string Id { get; init; } = "";
    public string? WhistleId { get; init; }
    public string? MeetingId { get; init; }
    public string? SubmissionId { get; init; }
    public string? AssignmentId { get; init; }
    public string? Purpose { get; init; }
    public string FileName { get; init; } = "";
    public string MediaKind { get; init; } = "";
    public string ContentType { get; init; } = "";
    public long SizeBytes { get; init; }
    public string Sha256 { get; init; } = "";
    public int? Width { get; init; }
    public int? Height { get; init; }
    public long? DisplayBytes { get; init; }
    public long? ThumbnailBytes { get; init; }
    public string? SourceUrl { get; init; }
    public string UploadedByUser { get; init; } = "";
    public string UploadedByName { get; init; } = "";
    public string UploadedByOrg { get; init; } = "";
    public DateTimeOffset UploadedAt { get; init; }
    public DateTimeOffset? LinkedAt { get; init; }
    public long? AddedSequence { get; init; }
    public string? Note { get; init; }
    public DateTimeOffset? DeletedAt { get; init; }
    public string? DeletedByUser { get; init; }
    public string? DeletedByName { get; init; }

    public bool IsDraft => LinkedAt is null;

    public bool HasThumbnail => ThumbnailBytes is not null;

    public AttachmentSnapshot ToSnapshot() => new(
        Id, Purpose, MediaKind, FileName, ContentType, SizeBytes, Width, Height, HasThumbnail, AssignmentId, UploadedByName, UploadedByOrg, UploadedAt);

    public const string Columns = """
        x.id, x.whistle_id AS WhistleId, x.meeting_id AS MeetingId, x.submission_id AS SubmissionId, x.assignment_id AS AssignmentId, x.purpose,
        x.file_name AS FileName, x.media_kind AS MediaKind, x.content_type AS ContentType, x.size_bytes AS SizeBytes, x.sha256,
        x.width, x.height, x.display_bytes AS DisplayBytes, x.thumbnail_bytes AS ThumbnailBytes, x.source_url AS SourceUrl,
        x.uploaded_by_user AS UploadedByUser, x.uploaded_by_name AS UploadedByName, x.uploaded_by_org AS UploadedByOrg,
        x.uploaded_at AS UploadedAt, x.linked_at AS LinkedAt, x.added_sequence AS AddedSequence, x.note,
        x.deleted_at AS DeletedAt, x.deleted_by_user AS DeletedByUser, x.deleted_by_name AS DeletedByName
        """;
}

/// <summary>Who uploads: the account, its name and organisation, and where from (for the audit trail).</summary>
public sealed record AttachmentUploader(string UserName, string DisplayName, string OrgId, string? RemoteAddress);
