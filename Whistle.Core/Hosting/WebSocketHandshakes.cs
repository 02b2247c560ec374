using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Whistle.Core.Hosting;

/// <summary>
/// A request that asks to become a WebSocket, recognised as the WebSocket middleware recognises it — before that
/// middleware runs (<c>HttpContext.WebSockets</c> knows only after it; SignalR runs it inside the hub's endpoint). Such a
/// request lasts as long as its connection: hours for a branch's hub connection.
/// </summary>
public static class WebSocketHandshakes
{
    /// <summary>An HTTP/1.1 upgrade to <c>websocket</c>, or HTTP/2's extended CONNECT for the <c>websocket</c> protocol.</summary>
    public static bool IsHandshake(HttpContext context)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
            && string.Equals(context.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect
            && string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);
    }
}
