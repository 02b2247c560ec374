using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Tests.Unit;

/// <summary>The one rule of who may put work on whom: a township only on the units stationed in it, a supervisor anywhere.</summary>
public sealed class When_a_unit_is_summoned
{
    private CountyCatalog _county = null!;

    [OneTimeSetUp]
    public void LoadDemoCounty() =>
        _county = new CountyCatalog(CountyStore.ReadFile(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json")));

    private string AgencyWithoutBranches => _county.Definition.Agencies.Single(a => !_county.AgencyHasBranches(a.Code)).Code;

    [Test]
    public void Should_give_a_township_the_agencys_branch_stationed_in_it_or_else_the_agency_itself()
    {
        foreach (var township in _county.Definition.Townships)
        {
            foreach (var agency in _county.Definition.Agencies)
            {
                var choice = Summoning.Choose(_county, Roles.Township, township.Id, township.Id, agency.Code, null);
                Assert.That(choice.Allowed, Is.True, choice.Problem?.Detail);
                Assert.That(choice.Unit!.BranchId, Is.EqualTo(_county.FindBranch(agency.Code, township.Id)?.Id));
                Assert.That(Summoning.IsStationedIn(_county, choice.Unit, township.Id), Is.True, $"{agency.Code} for {township.Id}");
            }
        }

        Assert.That(Summoning.Choose(_county, Roles.Township, "chengguan", null, AgencyWithoutBranches, null).Unit, Is.EqualTo(new SummonedUnit(AgencyWithoutBranches, null)));
    }

    [Test]
    public void Should_let_a_township_name_its_own_branch_but_no_other_townships()
    {
        var own = Summoning.Choose(_county, Roles.Township, "chengguan", "chengguan", "health", "health.chengguan");
        var other = Summoning.Choose(_county, Roles.Township, "chengguan", "chengguan", "health", "health.dongfeng");
        var elsewhere = Summoning.Choose(_county, Roles.Township, "chengguan", "dongfeng", "health", null);
        Assert.Multiple(() =>
        {
            Assert.That(own.Unit, Is.EqualTo(new SummonedUnit("health", "health.chengguan")));
            Assert.That(other.Allowed, Is.False);
            Assert.That(other.Field, Is.EqualTo(SummonsField.Branch));
            Assert.That(other.Problem?.Detail, Does.Contain("not stationed"));
            Assert.That(other.Problem?.Code, Is.EqualTo(Whistle.Core.Problems.ProblemCodes.UnitNotStationed));
            Assert.That(elsewhere.Allowed, Is.False, "work of another township");
        });
    }

    [Test]
    public void Should_let_a_supervisor_summon_any_unit_of_the_county()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Summoning.Choose(_county, Roles.Supervisor, "county", "chengguan", "health", "health.dongfeng").Unit, Is.EqualTo(new SummonedUnit("health", "health.dongfeng")));
            Assert.That(Summoning.Choose(_county, Roles.Supervisor, "county", "chengguan", "health", null).Unit, Is.EqualTo(new SummonedUnit("health", "health.chengguan")));
            Assert.That(Summoning.Choose(_county, Roles.Supervisor, "county", null, "health", null).Unit, Is.EqualTo(new SummonedUnit("health", null)), "county-wide: the agency itself");
        });
    }

    /// <summary>Issue 13: 本部 — the agency's own office as the unit, even where it has a branch in the township.</summary>
    [Test]
    public void Should_let_a_supervisor_choose_the_agency_itself_and_a_township_only_where_it_has_no_branch()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Summoning.Choose(_county, Roles.Supervisor, "county", "chengguan", "health", null, agencyItself: true).Unit, Is.EqualTo(new SummonedUnit("health", null)));
            var township = Summoning.Choose(_county, Roles.Township, "chengguan", "chengguan", "health", null, agencyItself: true);
            Assert.That(township.Allowed, Is.False);
            Assert.That(township.Field, Is.EqualTo(SummonsField.Agency));
            Assert.That(Summoning.Choose(_county, Roles.Township, "chengguan", "chengguan", AgencyWithoutBranches, null, agencyItself: true).Unit,
                Is.EqualTo(new SummonedUnit(AgencyWithoutBranches, null)));
            var both = Summoning.Choose(_county, Roles.Supervisor, "county", "chengguan", "health", "health.chengguan", agencyItself: true);
            Assert.That((both.Allowed, both.Field), Is.EqualTo((false, SummonsField.Branch)));
        });
    }

    [TestCase(Roles.Branch, "health.chengguan")]
    [TestCase(Roles.Agency, "health")]
    public void Should_let_no_branch_or_agency_summon(string role, string org) =>
        Assert.That(Summoning.Choose(_county, role, org, "chengguan", "health", null).Allowed, Is.False);

    [TestCase(null, null, SummonsField.Agency)]
    [TestCase("no-such-agency", null, SummonsField.Agency)]
    [TestCase("health", "no-such-branch", SummonsField.Branch)]
    [TestCase("health", "urban-management.chengguan", SummonsField.Branch)]
    public void Should_name_the_field_of_an_unknown_or_mismatched_unit(string? agency, string? branch, SummonsField field)
    {
        var choice = Summoning.Choose(_county, Roles.Supervisor, "county", "chengguan", agency, branch);
        Assert.That(choice.Allowed, Is.False);
        Assert.That(choice.Field, Is.EqualTo(field));
    }

    [Test]
    public void Should_route_the_agencies_a_township_summons_when_raising_within_that_township()
    {
        var duties = Routing.Route(_county, "street-vending", "qingshi", Urgency.Routine, ["health", AgencyWithoutBranches], DateTimeOffset.UnixEpoch);
        Assert.That(duties.Where(d => d.Role == AssignmentRole.Summoned).Select(d => (d.AgencyCode, d.BranchId)),
            Is.EquivalentTo(new[] { ("health", (string?)"health.qingshi"), (AgencyWithoutBranches, null) }));
    }
}
