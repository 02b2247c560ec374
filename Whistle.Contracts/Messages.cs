namespace Whistle.Contracts;

/// <summary>
/// Event: a township raised a whistle, or a city department a work request (<c>Level</c> "city": <c>TownshipId</c> is
/// the department, <c>MatterCode</c> the work item, <c>RelationId</c> the relation it was raised along). Consumed by the dispatcher, which routes it to branches.
/// Carries everything routing needs so that the dispatcher does not read the whistle back, and in <c>Events</c> the
/// timeline entries its transaction recorded for the whistle (its <c>WhistleRaised</c> entry, with the photos linked
/// with it) with their audiences: every Api instance consumes it on its push endpoint and pushes them exactly as it
/// pushes a <see cref="WhistleEventsRecorded"/> (issue 15: a raise is one message to publish, confirm and route, not two).
/// A message without <c>Events</c> (written by an earlier version, or in a transaction too large for one statement) has
/// its entries in messages of their own.
/// </summary>
public sealed record WhistleRaised(
    string WhistleId,
    string TownshipId,
    string MatterCode,
    string Urgency,
    IReadOnlyList<string> ExtraAgencyCodes,
    DateTimeOffset RaisedAt,
    string Level = "township",
    string? RelationId = null,
    IReadOnlyList<WhistleEventRecorded>? Events = null);

/// <summary>
/// Event: one entry was appended to a whistle's timeline. Every Api instance consumes it on an
/// endpoint of its own and pushes <see cref="Event"/> to the SignalR groups in <see cref="Audience"/>.
/// </summary>
public sealed record WhistleEventRecorded(WhistleEvent Event, IReadOnlyList<string> Audience)
{
    /// <summary>
    /// The transaction that recorded the entry queued its notices itself (issue 15; every writer since the notice change of 2026-12-01): the
    /// dispatcher's notice queue, which an earlier version's writers relied on, has nothing to do with the message.
    /// </summary>
    public bool NoticesQueued { get; init; }
}

/// <summary>
/// Event: several entries were appended to one whistle's timeline in one transaction (a dispatch of several duties, a
/// reassignment with its decline): one message for all of them instead of one each (issue 15: fewer publishes, confirms
/// and deliveries per whistle). Consumed exactly like a <see cref="WhistleEventRecorded"/> per entry, in their order.
/// </summary>
public sealed record WhistleEventsRecorded(IReadOnlyList<WhistleEventRecorded> Events)
{
    /// <summary>As <see cref="WhistleEventRecorded.NoticesQueued"/>.</summary>
    public bool NoticesQueued { get; init; }
}

/// <summary>Event: the whistle list or the organisation changed; every instance reloads its copy.</summary>
public sealed record CountyChanged(int CatalogVersion);
