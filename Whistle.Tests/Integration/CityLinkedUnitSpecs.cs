using System.Net;
using System.Text.Json.Nodes;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Issue 17: a county branch that is a unit of a city institution (市场监管所, stationed, linked by its id) and the county
/// agency that is that institution answer its work requests — they read GET /api/city, but only that institution's
/// relations (so its inbox names the requesting department and the work item); every other county unit is refused as
/// before (403), and none reads a relation's detail or the establishment office's follow-ups.
/// </summary>
[NonParallelizable]
public sealed class When_a_county_unit_linked_to_an_institution_reads_the_city
{
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task StartSystem() => _system = await WhistleSystem.EmbeddedAsync();

    [OneTimeTearDown]
    public async Task StopSystem()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    private static IEnumerable<string> Ids(JsonNode city, string list) => city[list]!.AsArray().Select(r => r!.Str("id"));

    [Test]
    public async Task Should_read_only_its_institution_s_relations()
    {
        foreach (var user in new[] { "branch.market-supervision.chengguan", "agency.market-supervision" })
        {
            using var client = await _system.SignInAsync(user);
            var (status, city, _) = await client.GetAsync("/api/city");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), user);
            Assert.Multiple(() =>
            {
                Assert.That(Ids(city!, "relations"), Is.EquivalentTo(new[] { "market-one-to-one" }), user);
                Assert.That(Ids(city!, "departments"), Is.EquivalentTo(new[] { "city-market" }), user);
                Assert.That(Ids(city!, "institutions"), Is.EquivalentTo(new[] { "market-service-center" }), user);
            });
        }
    }

    [Test]
    public async Task Should_refuse_every_other_county_unit_and_keep_the_rest_of_the_city_closed()
    {
        foreach (var user in new[] { "branch.urban-management.chengguan", "agency.urban-management", "township.chengguan" })
        {
            using var client = await _system.SignInAsync(user);
            Assert.That((await client.GetAsync("/api/city")).Status, Is.EqualTo(HttpStatusCode.Forbidden), user);
        }

        using var linked = await _system.SignInAsync("branch.market-supervision.chengguan");
        Assert.Multiple(async () =>
        {
            Assert.That((await linked.GetAsync("/api/city/relations/market-one-to-one")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await linked.GetAsync("/api/city/follow-ups")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await linked.GetAsync("/api/city/office")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        });
    }
}
