using Whistle.Core.County;
using Whistle.Core.Storage;

namespace Whistle.Core.Hosting;

/// <summary>The county as loaded from the database: at start-up, and again whenever it changes.</summary>
public sealed class CountyCatalogHolder
{
    private volatile CountyCatalog? _catalog;

    public CountyCatalog Catalog => _catalog ?? throw new InvalidOperationException("The county has not been loaded yet.");

    internal void Set(CountyCatalog catalog) => _catalog = catalog;

    public async Task ReloadAsync(WhistleDatabase database, CancellationToken cancellationToken) =>
        _catalog = new CountyCatalog(await database.ReadAsync(CountyStore.LoadAsync, cancellationToken));
}
