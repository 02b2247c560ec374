using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
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
/// There is no hub method to join a group.
/// </summary>
[Authorize]
public sealed class WhistleHub(WhistleQueries queries, WhistleMetrics metrics) : Hub<IWhistleClient>
{
    public const string Path = "/hubs/whistles";

    private const string RoleKey = "whistle.role";

    public override async Task OnConnectedAsync()
    {
        var user = CurrentUser.TryFrom(Context.User!) ?? throw new HubException("The token lacks the Whistle claims.");
        await Groups.AddToGroupAsync(Context.ConnectionId, user.Group, Context.ConnectionAborted);
        metrics.Connected(user.Role);
        Context.Items[RoleKey] = user.Role;
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(RoleKey, out var role) && role is string r)
        {
            metrics.Disconnected(r);
        }

        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>
    /// Every event this caller may see after <paramref name="afterSequence"/>, oldest first, at most
    /// <see cref="WhistleQueries.CatchUpBatch"/>; a full batch means: call again from its last sequence.
    /// </summary>
    public Task<IReadOnlyList<WhistleEvent>> CatchUp(long afterSequence) =>
        queries.CatchUpAsync(CurrentUser.From(Context.User!), Math.Max(0, afterSequence), Context.ConnectionAborted);
}
