using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Problems;

namespace Whistle.Core.Whistles;

// What a caller asks of a whistle or a duty, as the HTTP API receives it (PRODUCT.md §5); checked by WhistleStore.

public sealed record RaiseWhistleRequest(
    string? MatterCode,
    string? Title,
    string? Description,
    string? Address,
    double? Latitude,
    double? Longitude,
    string? Urgency,
    IReadOnlyList<string>? ExtraAgencyCodes,
    IReadOnlyList<string>? AttachmentIds = null,
    string? MediaUrl = null);

public sealed record RatingRequest(string? AssignmentId, string? Rating, string? Comment);

public sealed record ConfirmWhistleRequest(IReadOnlyList<RatingRequest>? Ratings);

public sealed record ReopenWhistleRequest(string? Reason);

/// <summary><paramref name="ExpectedOn"/>: for work due in days (a meeting's decision), the day (YYYY-MM-DD, Asia/Shanghai) the unit expects to be done, instead of an ETA in minutes.</summary>
public sealed record ReportRequest(int? EtaMinutes, string? Note, string? ExpectedOn = null, IReadOnlyList<string>? AttachmentIds = null);

public sealed record ResolveRequest(string? Note, IReadOnlyList<string>? AttachmentIds = null);

/// <summary>
/// A later note (补充材料) on a whistle or on a submission: files uploaded first (<c>POST /api/attachments</c>), with an
/// optional text.
/// </summary>
public sealed record AddAttachmentsRequest(IReadOnlyList<string>? AttachmentIds, string? Note)
{
    /// <summary>What is wrong with it: the note past its length, no file named. The one check of both kinds of later note.</summary>
    public FieldErrors Errors()
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "note", Note, WhistleValidation.NoteMax, required: false, multiLine: true);
        if (AttachmentIds is null || AttachmentIds.Count == 0)
        {
            errors.Set("attachmentIds", Problem.AtLeastOne("attachmentIds", "Upload at least one file first (POST /api/attachments) and name it here."));
        }

        return errors;
    }
}

/// <summary>An agency's 催办 of its branch's duty, with its words (optional).</summary>
public sealed record UrgeRequest(string? Note);

public sealed record DeclineRequest(string? Reason);

/// <summary>
/// 改派: the duty goes to <paramref name="AgencyCode"/>'s branch <paramref name="BranchId"/>, or with <paramref name="ToAgency"/> to the
/// agency's own office (本部), or else to its branch stationed in the whistle's township (the agency itself where it has
/// none there).
/// </summary>
public sealed record ReassignRequest(string? AgencyCode, string? BranchId, string? Reason, bool? ToAgency = null);

/// <summary>A supervisor adds a co-handling unit to a whistle.</summary>
public sealed record AddAssignmentRequest(string? AgencyCode, string? BranchId, string? Reason, bool? ToAgency = null);

/// <summary>
/// A department's work request (工作事项, issue 17): the institution asked and the item of the relation's list, what and
/// where. Raised as a whistle of the city level by the same owner, dispatched by the same dispatch.
/// </summary>
public sealed record RaiseWorkRequest(
    string? InstitutionId,
    string? WorkItemCode,
    string? Title,
    string? Description,
    string? Address = null,
    IReadOnlyList<string>? AttachmentIds = null);

/// <summary>
/// A raise's whistle: its id, and — for a new whistle without photos — its row and its <c>WhistleRaised</c> event as
/// committed, the whole of it at that moment, so that the answer needs no read after the write (issue 15). Null for a
/// replayed <c>Idempotency-Key</c> or a whistle with photos: read it back.
/// </summary>
public sealed record RaisedWhistle(string Id, WhistleRow? Row = null, WhistleEvent? Event = null);
