using Whistle.Contracts;

namespace Whistle.Core.Attachments;

/// <summary>
/// An attachment as clients see it. <c>url</c> downloads the kept original (<c>Content-Disposition: attachment</c>);
/// an image also has <c>displayUrl</c> and <c>thumbnailUrl</c> (re-encoded JPEG, shown inline). Every one of them is read
/// with the caller's token, under the visibility rule of its whistle, meeting or submission.
/// </summary>
public sealed record AttachmentDto(
    string Id,
    string? WhistleId,
    string? MeetingId,
    string? AssignmentId,
    string? Purpose,
    string MediaKind,
    string FileName,
    string ContentType,
    long SizeBytes,
    int? Width,
    int? Height,
    EventActor UploadedBy,
    DateTimeOffset UploadedAt,
    string? Note,
    long? AddedSequence,
    string Url,
    string? DisplayUrl,
    string? ThumbnailUrl,
    string? SourceUrl,
    string? SubmissionId)
{
    public static AttachmentDto From(AttachmentRow r) => new(
        r.Id, r.WhistleId, r.MeetingId, r.AssignmentId, r.Purpose, r.MediaKind, r.FileName, r.ContentType, r.SizeBytes, r.Width, r.Height,
        new EventActor(r.UploadedByUser, r.UploadedByName, r.UploadedByOrg), r.UploadedAt, r.Note, r.AddedSequence,
        $"/api/attachments/{r.Id}/content",
        r.DisplayBytes is null ? null : $"/api/attachments/{r.Id}/display",
        r.ThumbnailBytes is null ? null : $"/api/attachments/{r.Id}/thumbnail",
        r.SourceUrl,
        r.SubmissionId);
}
