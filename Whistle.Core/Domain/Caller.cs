using Whistle.Contracts;
using Whistle.Core.Storage;

namespace Whistle.Core.Domain;

/// <summary>
/// Who asks, as the Api read it from the caller's token: the account, its role, the organisation it acts for
/// (a township's, branch's or agency's id; the county's for a supervisor), and where the request came from.
/// Every command of an aggregate owner takes one; the visibility rule (<see cref="Visibility"/>) judges by it.
/// </summary>
public sealed record Caller(string UserName, string DisplayName, string Role, string OrgId)
{
    /// <summary>Where the request came from, for the audit trail.</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>The one push group this caller belongs to (its live events and its catch-up).</summary>
    public string Group => Visibility.GroupOf(this);

    /// <summary>The caller as a timeline event names who acted.</summary>
    public EventActor Actor => new(UserName, DisplayName, OrgId);

    /// <summary>The caller as the audit trail names who acted.</summary>
    public AuditActor Audit => new(UserName, DisplayName, RemoteAddress);

    /// <summary>The caller as an attachment names who uploaded, added or removed it.</summary>
    public Attachments.AttachmentUploader Uploader => new(UserName, DisplayName, OrgId, RemoteAddress);
}
