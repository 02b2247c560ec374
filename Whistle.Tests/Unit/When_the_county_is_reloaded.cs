using Whistle.Core.County;
using Whistle.Core.Hosting;

namespace Whistle.Tests.Unit;

/// <summary>
/// An instance reloads its copy of the county on every <c>CountyChanged</c>, reading the county's version and catalog
/// in one read transaction. A reload that read before another copy was installed (an upkeep command's own, a write that
/// loaded the newest in its transaction) must not put an older county back; a database restored from a backup (a lower
/// version than the copy held, nothing installed meanwhile) is still taken as it is.
/// </summary>
[TestFixture]
public sealed class When_the_county_is_reloaded
{
    private static CountyCatalog Catalog() =>
        new(CountyStore.ReadFile(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json")));

    [Test]
    public void Should_not_put_back_an_older_county_than_one_installed_while_it_read()
    {
        var holder = new CountyCatalogHolder();
        holder.Install(Catalog(), 5);
        var begun = holder.BeginReload();
        var newer = Catalog();
        holder.Install(newer, 6); // an upkeep command's change, installed while the reload read version 5

        var installed = holder.CompleteReload(begun, Catalog(), 5);

        Assert.Multiple(() =>
        {
            Assert.That(installed, Is.False);
            Assert.That(holder.Current.Version, Is.EqualTo(6));
            Assert.That(holder.Catalog, Is.SameAs(newer));
        });
    }

    [Test]
    public void Should_take_a_reload_at_least_as_new_as_a_copy_installed_while_it_read()
    {
        var holder = new CountyCatalogHolder();
        holder.Install(Catalog(), 5);
        var begun = holder.BeginReload();
        holder.Install(Catalog(), 6);
        var read = Catalog();

        Assert.Multiple(() =>
        {
            Assert.That(holder.CompleteReload(begun, read, 7), Is.True);
            Assert.That(holder.Current.Version, Is.EqualTo(7));
            Assert.That(holder.Catalog, Is.SameAs(read));
        });
    }

    [Test]
    public void Should_take_a_restored_databases_county_even_at_a_lower_version()
    {
        var holder = new CountyCatalogHolder();
        holder.Install(Catalog(), 9);
        var begun = holder.BeginReload();
        var restored = Catalog();

        Assert.Multiple(() =>
        {
            Assert.That(holder.CompleteReload(begun, restored, 3), Is.True, "nothing was installed while it read: the database's county is the truth");
            Assert.That(holder.Current.Version, Is.EqualTo(3));
            Assert.That(holder.Catalog, Is.SameAs(restored));
        });
    }
}
