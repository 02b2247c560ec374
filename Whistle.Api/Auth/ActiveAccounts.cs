using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Options;
using Whistle.Core.Storage;

namespace Whistle.Api.Auth;

/// <summary>
/// Whether a token's session is still current: its account exists, is enabled, and still has the security stamp the
/// token carries (a new stamp on disable, enable, password and second-factor changes ends every token issued before).
/// Looked up at most once per <see cref="AuthOptions.AccountCheckInterval"/> per account and instance, forgotten at once
/// on the instance where the account was changed, and refreshed by the hub's sweep of its connections.
/// </summary>
public sealed class ActiveAccounts(WhistleDatabase database, IOptions<AuthOptions> options, TimeProvider time)
{
    private const string StampSql = "SELECT security_stamp FROM users WHERE user_name = @UserName AND disabled = 0;";

    private static string StampsSql(SqlDialect dialect) =>
        $"SELECT user_name AS UserName, security_stamp AS Stamp FROM users WHERE {dialect.InList("user_name", "@Names")} AND disabled = 0;";

    private const int ChunkSize = 500;

    // Stamp null: the account is disabled or gone.
    private readonly ConcurrentDictionary<string, (string? Stamp, DateTimeOffset Until)> _known = new(StringComparer.Ordinal);

    private sealed record StampRow(string UserName, string Stamp);

    /// <summary>Whether a token of <paramref name="userName"/> carrying <paramref name="stamp"/> is still good (<paramref name="fresh"/>: ask the database now).</summary>
    public async Task<bool> IsCurrentAsync(string userName, string? stamp, CancellationToken ct, bool fresh = false)
    {
        if (string.IsNullOrEmpty(stamp)) return false;
        var now = time.GetUtcNow();
        if (fresh || !_known.TryGetValue(userName, out var known) || known.Until <= now)
        {
            var current = await database.ReadAsync(c => c.QuerySingleOrDefaultAsync<string?>(StampSql, new { UserName = userName }), ct);
            known = (current, now + options.Value.AccountCheckInterval);
            _known[userName] = known;
        }

        return known.Stamp is not null && string.Equals(known.Stamp, stamp, StringComparison.Ordinal);
    }

    /// <summary>The current stamps of these accounts (absent: disabled or gone), read now; the cache learns them too.</summary>
    public async Task<IReadOnlyDictionary<string, string>> RefreshAsync(IReadOnlyCollection<string> userNames, CancellationToken ct)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in userNames.Chunk(ChunkSize))
        {
            var rows = await database.ReadAsync(async c => (await c.QueryAsync<StampRow>(database.Dialect.Sql(StampsSql), new { Names = chunk })).ToList(), ct);
            foreach (var row in rows) result[row.UserName] = row.Stamp;
        }

        var until = time.GetUtcNow() + options.Value.AccountCheckInterval;
        foreach (var name in userNames) _known[name] = (result.GetValueOrDefault(name), until);
        return result;
    }

    public void Forget(string userName) => _known.TryRemove(userName, out _);
}
