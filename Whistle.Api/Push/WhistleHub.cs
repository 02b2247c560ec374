using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Contracts;
using Whistle.Core.Telemetry;

namespace Whistle.Api.Push;

/// <summary>The client side of the push contract (PRODUCT.md §5).</summary>
public interface IWhistleClient
{
#pragma warning disable IDE1006 // The contract names the client method in camelCase.
    Task whistleEvent(WhistleEvent @event);
#pragma warning restore IDE1006
}

/// <summary>
/// Stateless: a connection joins exactly the group its token's claims name, and nothing else.
/// There is no hub method to join a group. A connection lives no longer than its token (SignalR closes it at the
/// token's expiry) nor than its account as it was (<see cref="HubSessions"/>).
/// </summary>
[Authorize]
public sealed class WhistleHub(
    WhistleQueries queries, WhistleMetrics metrics, HubSessions sessions, ActiveAccounts accounts, IOptions<AuthOptions> options, TimeProvider time) : Hub<IWhistleClient>
{
    public const string Path = "/hubs/whistles";

    public const string TooManyCatchUps = "Too many CatchUp calls on this connection; wait a few seconds and call again.";

    public const string SessionEnded = "The session has ended (the account was disabled or changed); sign in again.";

    public override async Task OnConnectedAsync()
    {
        var user = CurrentUser.TryFrom(Context.User!) ?? throw new HubException("The token lacks the Whistle claims.");
        await Groups.AddToGroupAsync(Context.ConnectionId, user.Group, Context.ConnectionAborted);
        metrics.Connected(user.Role);
        sessions.Opened(
            Context, user.UserName, Context.User!.FindFirst(CurrentUser.StampClaim)?.Value, user.Role,
            new CatchUpBucket(options.Value.CatchUpBurst, options.Value.CatchUpsPerMinute, time));
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (sessions.Closed(Context.ConnectionId) is { } session)
        {
            metrics.Disconnected(session.Role);
        }

        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>
    /// Every event this caller may see after <paramref name="afterSequence"/>, oldest first, at most
    /// <see cref="WhistleQueries.CatchUpBatch"/>; a full batch means: call again from its last sequence.
    /// Rate-limited per connection (<see cref="AuthOptions.CatchUpBurst"/>, <see cref="AuthOptions.CatchUpsPerMinute"/>),
    /// and answered only while the account is enabled and unchanged (checked now, not from the cache).
    /// </summary>
    public async Task<IReadOnlyList<WhistleEvent>> CatchUp(long afterSequence)
    {
        var session = sessions.Find(Context.ConnectionId) ?? throw new HubException(SessionEnded);
        if (!session.Bucket.TryTake()) throw new HubException(TooManyCatchUps);
        var user = CurrentUser.From(Context.User!);
        if (!await accounts.IsCurrentAsync(user.UserName, Context.User!.FindFirst(CurrentUser.StampClaim)?.Value, Context.ConnectionAborted, fresh: true))
        {
            throw new HubException(SessionEnded);
        }

        return await queries.CatchUpAsync(user, Math.Max(0, afterSequence), Context.ConnectionAborted);
    }
}
