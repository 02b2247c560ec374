using Whistle.Core.County;
using Whistle.Core.Domain;

namespace Whistle.Tests.Unit;

public sealed class When_a_matter_is_routed
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 2, 0, 0, TimeSpan.Zero);
    private CountyCatalog _county = null!;

    [OneTimeSetUp]
    public void LoadDemoCounty() =>
        _county = new CountyCatalog(CountyStore.ReadFile(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json")));

    private static IEnumerable<string> MatterCodes() =>
        CountyStore.ReadFile(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json")).Matters.Select(m => m.Code);

    [TestCaseSource(nameof(MatterCodes))]
    public void Should_summon_the_lead_first_then_every_co_handling_agency(string matterCode)
    {
        var matter = _county.FindMatter(matterCode)!;
        foreach (var township in _county.Definition.Townships)
        {
            var duties = Routing.Route(_county, matterCode, township.Id, Urgency.Routine, [], Now);
            Assert.That(duties.Select(d => d.AgencyCode), Is.EqualTo(
                matter.Agencies.OrderBy(a => a.Role == AssignmentRole.Lead ? 0 : 1).Select(a => a.AgencyCode)));
            Assert.That(duties[0].Role, Is.EqualTo(AssignmentRole.Lead));
            foreach (var duty in duties)
            {
                var branch = _county.FindBranch(duty.AgencyCode, township.Id);
                Assert.That(duty.BranchId, Is.EqualTo(branch?.Id), $"{duty.AgencyCode} in {township.Id}");
                if (branch is not null)
                {
                    Assert.That(branch.TownshipId, Is.EqualTo(township.Id));
                }
            }
        }
    }

    [Test]
    public void Should_fall_back_to_the_agency_itself_where_it_has_no_branch_in_the_township()
    {
        var agencyWithoutBranches = _county.Definition.Agencies.Single(a => !_county.AgencyHasBranches(a.Code));
        var matter = _county.Definition.Matters.First(m => m.Agencies.Any(a => a.AgencyCode == agencyWithoutBranches.Code));
        var duties = Routing.Route(_county, matter.Code, "chengguan", Urgency.Urgent, [], Now);
        var duty = duties.Single(d => d.AgencyCode == agencyWithoutBranches.Code);
        Assert.That(duty.BranchId, Is.Null);
    }

    [Test]
    public void Should_add_the_agencies_the_township_summoned_once_each()
    {
        var matter = _county.FindMatter("illegal-construction")!;
        var already = matter.Agencies[0].AgencyCode;
        var extra = _county.Definition.Agencies.Select(a => a.Code).First(code => matter.Agencies.All(a => a.AgencyCode != code));
        var duties = Routing.Route(_county, matter.Code, "liuhe", Urgency.Routine, [extra, already, extra], Now);
        Assert.Multiple(() =>
        {
            Assert.That(duties.Select(d => d.AgencyCode), Is.Unique);
            Assert.That(duties.Single(d => d.AgencyCode == extra).Role, Is.EqualTo(AssignmentRole.Summoned));
            Assert.That(duties.Single(d => d.AgencyCode == already).Role, Is.EqualTo(AssignmentRole.Lead));
            Assert.That(duties, Has.Count.EqualTo(matter.Agencies.Count + 1));
        });
    }

    [Test]
    public void Should_refuse_an_unknown_matter_or_agency()
    {
        Assert.Throws<InvalidOperationException>(() => Routing.Route(_county, "no-such-matter", "chengguan", Urgency.Routine, [], Now));
        Assert.Throws<InvalidOperationException>(() => Routing.Route(_county, "illegal-construction", "chengguan", Urgency.Routine, ["no-such-agency"], Now));
    }

    [TestCase(Urgency.Routine)]
    [TestCase(Urgency.Urgent)]
    [TestCase(Urgency.Emergency)]
    public void Should_set_deadlines_from_the_matter_limits_for_the_urgency(string urgency)
    {
        foreach (var matter in _county.Definition.Matters)
        {
            var limits = matter.LimitsFor(urgency);
            foreach (var duty in Routing.Route(_county, matter.Code, "baiyun", urgency, [], Now))
            {
                Assert.That(duty.ReportBy, Is.EqualTo(Now.AddMinutes(limits.ReportWithinMinutes)));
                Assert.That(duty.ResolveBy, Is.EqualTo(Now.AddMinutes(limits.ResolveWithinMinutes)));
            }
        }
    }

    [Test]
    public void Should_demand_a_report_within_30_minutes_in_an_emergency()
    {
        foreach (var matter in _county.Definition.Matters)
        {
            var duty = Routing.Route(_county, matter.Code, "qingshi", Urgency.Emergency, [], Now)[0];
            Assert.That(duty.ReportBy - Now, Is.EqualTo(TimeSpan.FromMinutes(30)), matter.Code);
        }
    }
}
