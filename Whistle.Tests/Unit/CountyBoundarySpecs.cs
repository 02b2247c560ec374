using System.Text.Json;
using Whistle.Core.County;

namespace Whistle.Tests.Unit;

/// <summary>
/// Issue 13: the townships' boundaries in the county file (GeoJSON) are what the supervisor's map draws without any map
/// service: the demo county has one per township, and a file whose boundaries are wrong is refused naming the feature.
/// </summary>
public sealed class When_the_county_file_gives_township_boundaries
{
    private CountyDefinition _county = null!;

    [OneTimeSetUp]
    public void Read() => _county = CountyStore.ReadFile(Path.Combine(AppContext.BaseDirectory, "county", "demo-county.json"));

    [Test]
    public void Should_give_every_demo_township_a_closed_polygon_that_does_not_overlap_its_neighbours_much()
    {
        var catalog = new CountyCatalog(_county);
        Assert.That(catalog.Boundaries.Keys, Is.EquivalentTo(_county.Townships.Select(t => t.Id)));
        var rings = catalog.Boundaries.ToDictionary(b => b.Key, b => JsonDocument.Parse(b.Value).RootElement.GetProperty("coordinates")[0]
            .EnumerateArray().Select(p => (X: p[0].GetDouble(), Y: p[1].GetDouble())).ToList());
        foreach (var (id, ring) in rings)
        {
            Assert.That(ring[0], Is.EqualTo(ring[^1]), $"{id}: closed");
            // Each township's own centre lies inside it and inside no other (a plausible partition, not a pile of shapes).
            var centre = (X: ring.Average(p => p.X), Y: ring.Average(p => p.Y));
            Assert.That(rings.Where(r => Inside(centre, r.Value)).Select(r => r.Key), Is.EqualTo(new[] { id }), $"{id}: its centre");
        }
    }

    private static bool Inside((double X, double Y) p, List<(double X, double Y)> ring)
    {
        var inside = false;
        for (int i = 0, j = ring.Count - 1; i < ring.Count; j = i++)
        {
            if ((ring[i].Y > p.Y) != (ring[j].Y > p.Y) && p.X < ((ring[j].X - ring[i].X) * (p.Y - ring[i].Y) / (ring[j].Y - ring[i].Y)) + ring[i].X) inside = !inside;
        }

        return inside;
    }

    [TestCase("""{"type":"Feature","properties":{"township":"nowhere"},"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}}""", "unknown township 'nowhere'")]
    [TestCase("""{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}}""", "properties.township")]
    [TestCase("""{"type":"Feature","properties":{"township":"chengguan"},"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,2]]]}}""", "Polygon or MultiPolygon")]
    [TestCase("""{"type":"Feature","properties":{"township":"chengguan"},"geometry":{"type":"Point","coordinates":[1,1]}}""", "Polygon or MultiPolygon")]
    [TestCase("""{"type":"Feature","properties":{"township":"chengguan"},"geometry":{"type":"Polygon","coordinates":[[[1,1],[200,1],[2,2],[1,1]]]}}""", "Polygon or MultiPolygon")]
    public void Should_refuse_a_boundary_that_names_no_township_or_is_no_closed_polygon(string feature, string problem)
    {
        var boundaries = JsonDocument.Parse($$"""{"type":"FeatureCollection","features":[{{feature}}]}""").RootElement.Clone();
        var problems = CountyCatalog.Validate(_county with { Boundaries = boundaries });
        Assert.That(problems, Has.Some.Contains("boundaries.features[0]").And.Some.Contains(problem));
    }
}
