using System.Net;
using System.Net.Sockets;
using System.Text;
using Whistle.Core.Notices;

namespace Whistle.Dispatcher.Notices;

/// <summary>Resolves a notice target's host name; the sender checks every address it returns before it connects.</summary>
public interface INoticeHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver (DNS, /etc/hosts).</summary>
public sealed class DnsNoticeHostResolver : INoticeHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>
/// The notice client's HTTP handler and answer reading (issue 11, finding 3: SSRF). It connects itself: it resolves
/// the host (<see cref="INoticeHostResolver"/>), refuses the connection when any address is one the
/// <see cref="NoticeAddressPolicy"/> refuses, and connects to the address it checked — so a name that resolves to the
/// inside (or is re-bound there between a check and the connection) never gets a request. No redirects (a 3xx is a
/// failed attempt), no proxy, no cookies, no decompression; an answer is read up to <see cref="MaxAnswerBytes"/> and
/// the connection is then closed, not drained.
/// </summary>
public static class NoticeHttp
{
    /// <summary>At most this much of an answer is read (enough for a platform's errcode and errmsg).</summary>
    public const int MaxAnswerBytes = 4096;

    /// <summary>At most this much of an answer is kept in the delivery log.</summary>
    public const int MaxLoggedAnswer = 200;

    public static SocketsHttpHandler CreateHandler(NoticeAddressPolicy policy, INoticeHostResolver resolver, TimeSpan connectTimeout) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxResponseDrainSize = 0,
        MaxResponseHeadersLength = 16, // KiB
        ConnectTimeout = connectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = (context, cancellationToken) => ConnectAsync(policy, resolver, context.DnsEndPoint, cancellationToken),
    };

    /// <summary>Resolves, checks every address, then connects to a checked one.</summary>
    public static async ValueTask<Stream> ConnectAsync(NoticeAddressPolicy policy, INoticeHostResolver resolver, DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        var host = endPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await resolver.ResolveAsync(host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new HttpRequestException($"{host} has no address.");
        }

        foreach (var address in addresses)
        {
            if (policy.Refusal(address) is { } range)
            {
                // The delivery log names the range, not the address: it is no way to read the inside's DNS.
                var what = address.ToString() == host ? $"{host} is" : $"{host} resolves to";
                throw new HttpRequestException(
                    $"Refused: {what} a {range} address; notices go there only when Whistle:Notices:AllowedNetworks lists its network.");
            }
        }

        SocketException? last = null;
        foreach (var checkedAddress in addresses)
        {
            var address = checkedAddress.IsIPv4MappedToIPv6 ? checkedAddress.MapToIPv4() : checkedAddress;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new HttpRequestException($"Could not connect to {host}: {last?.Message}", last);
    }

    /// <summary>Reads at most <see cref="MaxAnswerBytes"/> of an answer; the rest is never read.</summary>
    public static async Task<string> ReadAnswerAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxAnswerBytes];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>A short, single-line excerpt for the delivery log and the logs: control characters as spaces, at most <paramref name="length"/> characters.</summary>
    public static string Excerpt(string? text, int length = MaxLoggedAnswer)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var cut = text.Length <= length ? text : text[..length];
        var excerpt = new string(cut.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
        return text.Length <= length ? excerpt : excerpt + "…";
    }
}
