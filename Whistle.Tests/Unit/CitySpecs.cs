using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Problems;

namespace Whistle.Tests.Unit;

/// <summary>Issue 17: the demo city level, the file's rules for it, and who may ask whom for what.</summary>
public sealed class When_the_city_level_is_read
{
    private CountyDefinition _county = null!;
    private CountyCatalog _catalog = null!;

    [OneTimeSetUp]
    public void Read()
    {
        _county = CountyStore.ReadFile(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json"));
        _catalog = new CountyCatalog(_county);
    }

    [Test]
    public void Should_have_a_demo_city_with_a_relation_of_each_kind_and_lists_of_work_items()
    {
        var city = _county.City!;
        Assert.Multiple(() =>
        {
            Assert.That(city.Departments, Has.Count.GreaterThanOrEqualTo(4));
            Assert.That(city.Institutions, Has.Count.GreaterThanOrEqualTo(3));
            Assert.That(city.Relations.Select(r => r.Kind).Distinct(), Is.EquivalentTo(RelationKind.All));
            Assert.That(city.Relations.Where(r => r.Kind != RelationKind.OneToOne), Has.All.Matches<RelationInfo>(r => r.WorkItemsOrEmpty.Count >= 2));
            Assert.That(city.Relations.Count(r => r.MechanismState().Any(m => !m.Recorded)), Is.EqualTo(1), "one relation misses part of its mechanism, for the establishment office to follow up");
            Assert.That(city.Relations.Single(r => r.MechanismState().Any(m => !m.Recorded)).MechanismState().Where(m => !m.Recorded).Select(m => m.Kind),
                Is.EquivalentTo(new[] { MechanismKind.DecisionRule, MechanismKind.DocumentFlow }));
        });
    }

    [Test]
    public void Should_link_a_stationed_branch_rather_than_copy_it()
    {
        var linked = _county.City!.Institutions.SelectMany(i => i.UnitsOrEmpty).Where(u => u.Kind == InstitutionUnitKind.Branch).ToList();
        Assert.That(linked, Is.Not.Empty);
        foreach (var u in linked)
        {
            Assert.That(u.Name, Is.Null, "the name is the branches row's");
            Assert.That(_catalog.UnitName(u).Name, Is.EqualTo(_catalog.FindBranch(u.BranchId!)!.Name));
        }
    }

    [Test]
    public void Should_name_everything_of_the_city_in_Chinese_and_English()
    {
        var city = _county.City!;
        var names = city.Departments.Select(d => (d.Name, d.NameEn))
            .Concat(city.Institutions.Select(i => (i.Name, i.NameEn)))
            .Concat(city.Institutions.SelectMany(i => i.UnitsOrEmpty).Where(u => u.Kind == InstitutionUnitKind.Office).Select(u => (u.Name!, u.NameEn!)))
            .Concat(city.Relations.Select(r => (r.Name, r.NameEn)))
            .Concat(city.Relations.SelectMany(r => r.WorkItemsOrEmpty).Select(w => (w.Name, w.NameEn)));
        foreach (var (zh, en) in names)
        {
            Assert.That(zh.Any(c => c >= 0x4E00 && c <= 0x9FFF), Is.True, zh);
            Assert.That(en, Does.Match("^[A-Za-z]"), en);
        }
    }

    [Test]
    public void Should_offer_demo_accounts_for_every_department_institution_office_and_the_establishment_office()
    {
        var users = CountyStore.DemoUsers(_county);
        var city = _county.City!;
        Assert.Multiple(() =>
        {
            Assert.That(users.Count(u => u.Role == Roles.Department), Is.EqualTo(city.Departments.Count));
            Assert.That(users.Count(u => u.Role == Roles.Institution),
                Is.EqualTo(city.Institutions.Count + city.Institutions.SelectMany(i => i.UnitsOrEmpty).Count(u => u.Kind == InstitutionUnitKind.Office)));
            Assert.That(users.Single(u => u.Role == Roles.EstablishmentOffice).OrgId, Is.EqualTo(city.Id));
            Assert.That(users.Where(u => Roles.City.Contains(u.Role)).Select(u => _catalog.OrgName(u.Role, u.OrgId)), Has.None.Null);
        });
    }

    [Test]
    public void Should_let_a_department_ask_only_for_an_item_of_its_own_relation_with_that_institution()
    {
        Assert.Multiple(() =>
        {
            // One-to-one: the managing department, routed to the office the item names.
            var (choice, problem) = WorkRouting.Choose(_catalog, "city-ndrc", "credit-center", "credit-data-collection");
            Assert.That(problem, Is.Null);
            Assert.That(WorkRouting.Route(_catalog, choice!.Item.Code, DateTimeOffset.UnixEpoch).BranchId, Is.EqualTo("credit-center.data"));
            // Guidance: each department only in its field.
            Assert.That(WorkRouting.Choose(_catalog, "city-ndrc", "inspection-center", "price-certification").Problem, Is.Null);
            Assert.That(WorkRouting.Choose(_catalog, "city-agriculture", "inspection-center", "price-certification").Problem?.Code, Is.EqualTo(ProblemCodes.NotOnRelationList));
            // Service: a served department asks for the common items, not another department's own.
            Assert.That(WorkRouting.Choose(_catalog, "city-womens-federation", "mass-org-center", "mass-event-support").Problem, Is.Null);
            Assert.That(WorkRouting.Choose(_catalog, "city-womens-federation", "mass-org-center", "mass-science-popularisation").Problem?.Code, Is.EqualTo(ProblemCodes.NotOnRelationList));
            // No relation with that institution, an item of another institution's list, an unknown item.
            Assert.That(WorkRouting.Choose(_catalog, "city-water", "credit-center", "credit-data-collection").Problem?.Code, Is.EqualTo(ProblemCodes.NotOnRelationList));
            Assert.That(WorkRouting.Choose(_catalog, "city-ndrc", "credit-center", "price-certification").Problem?.Code, Is.EqualTo(ProblemCodes.NotOnRelationList));
            Assert.That(WorkRouting.Choose(_catalog, "city-ndrc", "credit-center", "no-such-item").Problem?.Code, Is.EqualTo(ProblemCodes.NotOnRelationList));
            // A stationed branch is a unit like an office: its duty officer gets the request.
            Assert.That(WorkRouting.Route(_catalog, "market-food-spot-check", DateTimeOffset.UnixEpoch), Is.EqualTo(new RoutedDuty("market-service-center", "market-supervision.chengguan", AssignmentRole.Lead, DateTimeOffset.UnixEpoch.AddMinutes(120), DateTimeOffset.UnixEpoch.AddMinutes(2880))));
        });
    }

    [Test]
    public void Should_refuse_a_city_that_breaks_the_rules()
    {
        var city = _county.City!;
        var guidance = city.Relations.First(r => r.Kind == RelationKind.ManyToOneGuidance);
        var broken = city with
        {
            Departments = [.. city.Departments, new DepartmentInfo("chengguan", "重名", "Same id as a township")],
            Relations =
            [
                .. city.Relations.Where(r => r != guidance),
                guidance with
                {
                    Departments = [.. guidance.Departments.Select(d => d with { Role = RelationRole.Member, Field = null })],
                    WorkItems = [.. guidance.WorkItemsOrEmpty, guidance.WorkItemsOrEmpty[0] with { UnitId = "credit-center.data" }],
                },
            ],
        };
        var problems = CountyCatalog.Validate(_county with { City = broken });
        Assert.Multiple(() =>
        {
            Assert.That(problems, Has.Some.Contains("'chengguan' is used twice"));
            Assert.That(problems, Has.Some.Contains("exactly one lead department"));
            Assert.That(problems, Has.Some.Contains("must name the field"));
            Assert.That(problems, Has.Some.Contains($"duplicate work item '{guidance.WorkItemsOrEmpty[0].Code}'"));
            Assert.That(problems, Has.Some.Contains("not of the relation's institution"));
        });
    }
}
