using System.Data.Common;
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
    /// <summary>
    /// The county's version, to send with a statement of the caller's own (issue 15: a write checks that the county it
    /// judged by is still the newest in the same round trip as its first statement, instead of a read of its own first).
    /// </summary>
    public const string VersionSql = "SELECT catalog_version FROM county;";

    private volatile Loaded? _loaded;

    /// <summary>A catalog with the database's county version it was loaded at (-1: set without a version).</summary>
    public sealed record Loaded(CountyCatalog Catalog, int Version);

    public CountyCatalog Catalog => Current.Catalog;

    /// <summary>The catalog and its version, read together.</summary>
    public Loaded Current => _loaded ?? throw new InvalidOperationException("The county has not been loaded yet.");

    public bool IsLoaded => _loaded is not null;

    private readonly Lock _gate = new();

    // How many copies were installed, by any path: a reload that read before another copy was installed may not
    // replace that one with an older county.
    private long _installs;

    internal void Set(CountyCatalog catalog)
    {
        lock (_gate)
        {
            _loaded = new Loaded(catalog, -1);
            _installs++;
        }
    }

    /// <summary>
    /// Loads the county with its version in one read transaction (the catalog is exactly that version's) and installs
    /// it — even when its version is lower than this copy's (a database restored from a backup) — unless a newer copy
    /// was installed while it read (an upkeep command's, a write's): a <c>CountyChanged</c> whose reload read before
    /// that change would otherwise put the older county back.
    /// </summary>
    public async Task ReloadAsync(WhistleDatabase database, CancellationToken cancellationToken)
    {
        var begun = BeginReload();
        var (catalog, version) = await database.ReadAsync(
            async connection =>
            {
                await using var transaction = await database.Dialect.BeginReadAsync(connection, cancellationToken);
                var version = await connection.ExecuteScalarAsync<int>(VersionSql, transaction: transaction);
                return (new CountyCatalog(await CountyStore.LoadAsync(connection, transaction)), version);
            },
            cancellationToken);
        CompleteReload(begun, catalog, version);
    }

    /// <summary>Where a reload begins: the installs so far.</summary>
    internal long BeginReload()
    {
        lock (_gate)
        {
            return _installs;
        }
    }

    /// <summary>Installs what a reload begun at <paramref name="begun"/> read; false when a newer copy came meanwhile.</summary>
    internal bool CompleteReload(long begun, CountyCatalog catalog, int version)
    {
        lock (_gate)
        {
            if (_installs != begun && _loaded is { } held && version < held.Version)
            {
                return false;
            }

            _loaded = new Loaded(catalog, version);
            _installs++;
            return true;
        }
    }

    /// <summary>
    /// Takes a catalog an upkeep command loaded in its own transaction (after bumping the version to
    /// <paramref name="version"/>, so it is exactly the committed county of that version) instead of loading it again;
    /// ignored when this copy already holds a newer version.
    /// </summary>
    public void Install(CountyCatalog catalog, int version)
    {
        lock (_gate)
        {
            if (_loaded is { } held && version < held.Version)
            {
                return;
            }

            _loaded = new Loaded(catalog, version);
            _installs++;
        }
    }

    /// <summary>
    /// After a write read the county's version in its own transaction: the county of that version — this copy when it is
    /// that version, otherwise loaded on the write's connection, in its transaction, and installed. The write judges by
    /// the catalog answered, not by <see cref="Catalog"/> read again: a reload running meanwhile may install another.
    /// </summary>
    public async Task<CountyCatalog> EnsureCurrentAsync(int version, DbConnection connection, DbTransaction transaction)
    {
        if (_loaded is { } held && held.Version == version)
        {
            return held.Catalog;
        }

        var loaded = new CountyCatalog(await CountyStore.LoadAsync(connection, transaction));
        Install(loaded, version);
        return loaded;
    }

    /// <summary>
    /// For a request refused by <paramref name="judged"/>: the county to judge it again by — this copy after a reload when
    /// the database holds a newer county, or the copy a <c>CountyChanged</c> or a write installed since it was judged —
    /// or null when <paramref name="judged"/> is still the newest. (Whether this call reloaded is not the question: a
    /// copy installed between the judgement and this call is already the database's, and the refusal was by an older one.)
    /// </summary>
    public async Task<Loaded?> NewerThanAsync(Loaded judged, WhistleDatabase database, CancellationToken cancellationToken)
    {
        await RefreshIfStaleAsync(database, cancellationToken);
        var current = Current;
        return ReferenceEquals(current, judged) ? null : current;
    }

    /// <summary>Reloads when the database holds a newer county than this copy; true when it did.</summary>
    public async Task<bool> RefreshIfStaleAsync(WhistleDatabase database, CancellationToken cancellationToken)
    {
        var version = await database.ReadAsync(c => c.ExecuteScalarAsync<int>(VersionSql), cancellationToken);
        if (version == _loaded?.Version)
        {
            return false;
        }

        await ReloadAsync(database, cancellationToken);
        return true;
    }
}
