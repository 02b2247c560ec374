using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Options;
using Whistle.Core.Storage;

namespace Whistle.Api.Auth;

/// <summary>
/// Whether a token's account is still enabled: looked up at most once per <see cref="AuthOptions.AccountCheckInterval"/>
/// per account and instance, and forgotten at once on this instance when a supervisor disables it.
/// </summary>
public sealed class ActiveAccounts(WhistleDatabase database, IOptions<AuthOptions> options, TimeProvider time)
{
    private const string ActiveSql = "SELECT COUNT(*) FROM users WHERE user_name = @UserName AND disabled = 0;";

    private readonly ConcurrentDictionary<string, (bool Active, DateTimeOffset Until)> _known = new(StringComparer.Ordinal);

    public async Task<bool> IsActiveAsync(string userName, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_known.TryGetValue(userName, out var known) && known.Until > now)
        {
            return known.Active;
        }

        var active = await database.ReadAsync(c => c.ExecuteScalarAsync<long>(ActiveSql, new { UserName = userName }), ct) == 1;
        _known[userName] = (active, now + options.Value.AccountCheckInterval);
        return active;
    }

    public void Forget(string userName) => _known.TryRemove(userName, out _);
}
