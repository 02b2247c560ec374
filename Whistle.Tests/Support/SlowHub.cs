using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Push;
using Whistle.Contracts;

namespace Whistle.Tests.Support;

/// <summary>
/// The hub context the Api pushes through, with a delay the test chooses before each event is sent (a slow or busy
/// connection): installed in place of SignalR's own, it sends through SignalR's untyped context of the same hub.
/// </summary>
public sealed class SlowHub
{
    /// <summary>Awaited before an event is sent; completes at once unless a test says otherwise.</summary>
    public Func<WhistleEvent, Task> Delay { get; set; } = _ => Task.CompletedTask;

    public void Install(IServiceCollection services) =>
        services.AddSingleton<IHubContext<WhistleHub, IWhistleClient>>(sp => new Context(sp.GetRequiredService<IHubContext<WhistleHub>>(), this));

    private sealed class Context(IHubContext<WhistleHub> inner, SlowHub slow) : IHubContext<WhistleHub, IWhistleClient>
    {
        public IHubClients<IWhistleClient> Clients { get; } = new Clients(inner.Clients, slow);

        public IGroupManager Groups => inner.Groups;
    }

    private sealed class Clients(IHubClients inner, SlowHub slow) : IHubClients<IWhistleClient>
    {
        public IWhistleClient All => new Client(inner.All, slow);

        public IWhistleClient AllExcept(IReadOnlyList<string> excludedConnectionIds) => new Client(inner.AllExcept(excludedConnectionIds), slow);

        public IWhistleClient Client(string connectionId) => new Client(inner.Client(connectionId), slow);

        IWhistleClient IHubClients<IWhistleClient>.Clients(IReadOnlyList<string> connectionIds) => new Client(inner.Clients(connectionIds), slow);

        public IWhistleClient Group(string groupName) => new Client(inner.Group(groupName), slow);

        public IWhistleClient GroupExcept(string groupName, IReadOnlyList<string> excludedConnectionIds) => new Client(inner.GroupExcept(groupName, excludedConnectionIds), slow);

        public IWhistleClient Groups(IReadOnlyList<string> groupNames) => new Client(inner.Groups(groupNames), slow);

        public IWhistleClient User(string userId) => new Client(inner.User(userId), slow);

        public IWhistleClient Users(IReadOnlyList<string> userIds) => new Client(inner.Users(userIds), slow);
    }

    private sealed class Client(IClientProxy proxy, SlowHub slow) : IWhistleClient
    {
        public async Task whistleEvent(WhistleEvent @event)
        {
            await slow.Delay(@event);
            await proxy.SendAsync(nameof(whistleEvent), @event);
        }
    }
}
