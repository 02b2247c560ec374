using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Tests.Unit;

public sealed class When_the_demo_county_is_read
{
    private CountyDefinition _county = null!;

    [OneTimeSetUp]
    public void Read() => _county = CountyStore.ReadFile(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json"));

    [Test]
    public void Should_be_a_valid_county_file() => Assert.That(CountyCatalog.Validate(_county), Is.Empty);

    [Test]
    public void Should_have_enough_townships_agencies_and_matters_to_try_everything()
    {
        var catalog = new CountyCatalog(_county);
        var withBranches = _county.Agencies.Where(a => catalog.AgencyHasBranches(a.Code)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(_county.Townships, Has.Count.GreaterThanOrEqualTo(4));
            Assert.That(withBranches, Has.Count.GreaterThanOrEqualTo(6));
            Assert.That(_county.Agencies.Count(a => !catalog.AgencyHasBranches(a.Code)), Is.EqualTo(1));
            Assert.That(_county.Matters, Has.Count.GreaterThanOrEqualTo(15));
        });
        foreach (var agency in withBranches)
        {
            foreach (var township in _county.Townships)
            {
                Assert.That(catalog.FindBranch(agency.Code, township.Id), Is.Not.Null, $"{agency.Code} in {township.Id}");
            }
        }
    }

    [Test]
    public void Should_name_everything_in_Chinese_and_English()
    {
        var names = _county.Townships.Select(t => (t.Name, t.NameEn))
            .Concat(_county.Agencies.Select(a => (a.Name, a.NameEn)))
            .Concat(_county.Branches.Select(b => (b.Name, b.NameEn)))
            .Concat(_county.Matters.Select(m => (m.Name, m.NameEn)));
        foreach (var (zh, en) in names)
        {
            Assert.That(zh.Any(c => c >= 0x4E00 && c <= 0x9FFF), Is.True, zh);
            Assert.That(en, Does.Match("^[A-Za-z]"), en);
        }
    }

    [Test]
    public void Should_offer_a_demo_account_for_every_organisation_and_role()
    {
        var users = CountyStore.DemoUsers(_county);
        Assert.Multiple(() =>
        {
            Assert.That(users.Select(u => u.Role).Distinct(), Is.EquivalentTo(Roles.All));
            Assert.That(users.Count(u => u.Role == Roles.Township), Is.EqualTo(_county.Townships.Count));
            Assert.That(users.Count(u => u.Role == Roles.Branch), Is.EqualTo(_county.Branches.Count));
            Assert.That(users.Count(u => u.Role == Roles.Agency), Is.EqualTo(_county.Agencies.Count));
            Assert.That(users.Select(u => u.UserName), Is.Unique);
        });
    }
}
