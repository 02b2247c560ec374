using Whistle.Core.County;

namespace Whistle.Core.Hosting;

/// <summary>The county as loaded from the database at start-up.</summary>
public sealed class CountyCatalogHolder
{
    private CountyCatalog? _catalog;

    public CountyCatalog Catalog => _catalog ?? throw new InvalidOperationException("The county has not been loaded yet.");

    internal void Set(CountyCatalog catalog) => _catalog = catalog;
}
