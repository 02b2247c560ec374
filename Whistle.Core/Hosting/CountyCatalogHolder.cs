using Dapper;
using Whistle.Core.County;
using Whistle.Core.Storage;

namespace Whistle.Core.Hosting;

/// <summary>
/// The county as loaded from the database: at start-up, again on every <c>CountyChanged</c>, and on
/// demand where a request names something this copy does not know yet (read-your-writes across instances).
/// </summary>
public sealed class CountyCatalogHolder
{
    private const string VersionSql = "SELECT catalog_version FROM county;";

    private volatile CountyCatalog? _catalog;
    private int _version = -1;

    public CountyCatalog Catalog => _catalog ?? throw new InvalidOperationException("The county has not been loaded yet.");

    public bool IsLoaded => _catalog is not null;

    private readonly Lock _gate = new();

    internal void Set(CountyCatalog catalog) => _catalog = catalog;

    public async Task ReloadAsync(WhistleDatabase database, CancellationToken cancellationToken)
    {
        var version = await database.ReadAsync(c => c.ExecuteScalarAsync<int>(VersionSql), cancellationToken);
        Install(new CountyCatalog(await database.ReadAsync(CountyStore.LoadAsync, cancellationToken)), version, always: true);
    }

    /// <summary>
    /// Takes a catalog an upkeep command loaded in its own transaction (after bumping the version to
    /// <paramref name="version"/>, so it is exactly the committed county of that version) instead of loading it again;
    /// ignored when this copy already holds a newer version.
    /// </summary>
    public void Install(CountyCatalog catalog, int version) => Install(catalog, version, always: false);

    private void Install(CountyCatalog catalog, int version, bool always)
    {
        lock (_gate)
        {
            if (!always && version < _version) return;
            _catalog = catalog;
            _version = version;
        }
    }

    /// <summary>Reloads when the database holds a newer county than this copy; true when it did.</summary>
    public async Task<bool> RefreshIfStaleAsync(WhistleDatabase database, CancellationToken cancellationToken)
    {
        var version = await database.ReadAsync(c => c.ExecuteScalarAsync<int>(VersionSql), cancellationToken);
        if (version == _version)
        {
            return false;
        }

        await ReloadAsync(database, cancellationToken);
        return true;
    }
}
