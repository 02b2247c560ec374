using Whistle.Api.Auth;
using Whistle.Api.Meetings;
using Whistle.Api.Whistles;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Api.Attachments;

/// <summary>
/// Who may read an attachment — the one rule, applied to every read (metadata, original, display copy, thumbnail, the
/// zip export, Open311's <c>media_url</c>): a draft only its uploader; a whistle's file whoever sees the whistle
/// (<see cref="WhistleQueries.CanSee"/>); a meeting's file whoever sees the meeting (<see cref="MeetingQueries.CanSee"/>).
/// A deleted file nobody. Anything else is a 404, as for a whistle outside the caller's scope.
/// </summary>
public sealed class AttachmentAccess(WhistleDatabase database, AttachmentStore store)
{
    public async Task<AttachmentRow?> ReadableAsync(CurrentUser user, string id, CancellationToken ct)
    {
        var row = await store.GetAsync(id, ct);
        return row is not null && await CanReadAsync(user, row, ct) ? row : null;
    }

    public async Task<bool> CanReadAsync(CurrentUser user, AttachmentRow row, CancellationToken ct)
    {
        if (row.DeletedAt is not null) return false;
        if (row.IsDraft) return row.UploadedByUser == user.UserName;
        return await database.ReadAsync(
            async c =>
            {
                if (row.WhistleId is not null)
                {
                    var whistle = await WhistleData.GetWhistleAsync(c, row.WhistleId);
                    return whistle is not null && WhistleQueries.CanSee(user, whistle, await WhistleData.GetAssignmentsAsync(c, row.WhistleId));
                }

                if (row.MeetingId is not null)
                {
                    var (meeting, summons) = await MeetingQueries.LoadAsync(c, row.MeetingId);
                    return meeting is not null && MeetingQueries.CanSee(user, meeting, summons);
                }

                return false;
            },
            ct);
    }

    /// <summary>
    /// Soft deletion by its uploader or a supervisor (both must see it first: 404 otherwise; anyone else who sees it: 403),
    /// announced on the whistle's timeline as <c>AttachmentRemoved</c>.
    /// </summary>
    public async Task<CommandResult<AttachmentDto>> DeleteAsync(CurrentUser user, string id, TimeProvider time, CancellationToken ct)
    {
        var row = await ReadableAsync(user, id, ct);
        if (row is null) return new CommandResult<AttachmentDto>.NotFound();
        if (row.UploadedByUser != user.UserName && user.Role != Roles.Supervisor)
        {
            return new CommandResult<AttachmentDto>.Forbidden("Only the one who added a file, or a supervisor, removes it.");
        }

        return await database.WriteAsync<CommandResult<AttachmentDto>>(
            async unit =>
            {
                var now = time.GetUtcNow();
                (WhistleSummary, IReadOnlyList<string>)? announce = null;
                if (row.WhistleId is not null && !row.IsDraft)
                {
                    var whistle = await WhistleData.GetWhistleForUpdateAsync(unit, row.WhistleId);
                    var assignments = await WhistleData.GetAssignmentsAsync(unit.Connection, row.WhistleId, unit.Transaction);
                    if (whistle is not null)
                    {
                        announce = (whistle.ToSummary(), Timeline.Audience(whistle.TownshipId, assignments.Select(a => (a.AgencyCode, a.BranchId))));
                    }
                }

                var current = await store.GetForUpdateAsync(unit, row.Id);
                if (current is null || !await store.SoftDeleteAsync(unit, current, user.Uploader, announce, now))
                {
                    return new CommandResult<AttachmentDto>.NotFound();
                }

                unit.Complete();
                return new CommandResult<AttachmentDto>.Success(AttachmentDto.From(current with { DeletedAt = now, DeletedByUser = user.UserName, DeletedByName = user.DisplayName }));
            },
            ct);
    }
}
