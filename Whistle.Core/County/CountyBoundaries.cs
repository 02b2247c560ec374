using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Core.County;

/// <summary>
/// The townships' boundaries (GeoJSON, RFC 7946) from the county file: checked when the file is read, kept per township
/// in the database (<c>townships.boundary</c>, the geometry's JSON, written by the table's owner <see cref="CountyStore"/>) and served as one FeatureCollection for the map, which
/// draws them itself — a county intranet without internet still has its map.
/// </summary>
public static class CountyBoundaries
{
    private const string SelectSql = "SELECT id AS Id, boundary AS Boundary FROM townships WHERE boundary IS NOT NULL ORDER BY id;";

    private sealed record Row(string Id, string Boundary);

    /// <summary>Each township's geometry (its JSON text), from a FeatureCollection already checked by <see cref="Validate"/>.</summary>
    public static IReadOnlyDictionary<string, string> Geometries(JsonElement? boundaries)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (boundaries is not { ValueKind: JsonValueKind.Object } fc || !fc.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
        {
            return result;
        }

        foreach (var f in features.EnumerateArray())
        {
            if (TownshipOf(f) is { } id && f.TryGetProperty("geometry", out var g))
            {
                result[id] = g.GetRawText();
            }
        }

        return result;
    }

    /// <summary>What is wrong with the file's <c>boundaries</c>, in words naming the feature.</summary>
    public static IEnumerable<string> Validate(JsonElement? boundaries, IReadOnlySet<string> townships)
    {
        if (boundaries is not { } fc || fc.ValueKind == JsonValueKind.Null) yield break;
        if (fc.ValueKind != JsonValueKind.Object || !fc.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "FeatureCollection"
            || !fc.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
        {
            yield return "boundaries must be a GeoJSON FeatureCollection.";
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var f in features.EnumerateArray())
        {
            var where = $"boundaries.features[{i++}]";
            var id = TownshipOf(f);
            if (id is null)
            {
                yield return $"{where} must name its township in properties.township.";
                continue;
            }

            if (!townships.Contains(id)) yield return $"{where} names unknown township '{id}'.";
            if (!seen.Add(id)) yield return $"{where}: township '{id}' has a second boundary.";
            if (!f.TryGetProperty("geometry", out var g) || GeometryProblem(g) is { } problem)
            {
                yield return $"{where} ('{id}') needs a Polygon or MultiPolygon of [longitude, latitude] rings (at least four positions, closed).";
            }
        }
    }

    private static string? TownshipOf(JsonElement feature) =>
        feature.ValueKind == JsonValueKind.Object && feature.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object
        && p.TryGetProperty("township", out var t) && t.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(t.GetString())
            ? t.GetString()
            : null;

    private static string? GeometryProblem(JsonElement g)
    {
        if (g.ValueKind != JsonValueKind.Object || !g.TryGetProperty("type", out var type) || !g.TryGetProperty("coordinates", out var coordinates)) return "shape";
        return type.GetString() switch
        {
            "Polygon" => PolygonProblem(coordinates),
            "MultiPolygon" when coordinates.ValueKind == JsonValueKind.Array && coordinates.GetArrayLength() > 0 =>
                coordinates.EnumerateArray().Select(PolygonProblem).FirstOrDefault(p => p is not null),
            _ => "type",
        };
    }

    private static string? PolygonProblem(JsonElement polygon)
    {
        if (polygon.ValueKind != JsonValueKind.Array || polygon.GetArrayLength() == 0) return "rings";
        foreach (var ring in polygon.EnumerateArray())
        {
            if (ring.ValueKind != JsonValueKind.Array || ring.GetArrayLength() < 4) return "ring";
            double[]? first = null, last = null;
            foreach (var position in ring.EnumerateArray())
            {
                if (position.ValueKind != JsonValueKind.Array || position.GetArrayLength() < 2) return "position";
                var lon = position[0];
                var lat = position[1];
                if (lon.ValueKind != JsonValueKind.Number || lat.ValueKind != JsonValueKind.Number) return "number";
                var p = new[] { lon.GetDouble(), lat.GetDouble() };
                if (p[0] is < -180 or > 180 || p[1] is < -90 or > 90) return "range";
                first ??= p;
                last = p;
            }

            if (first is null || last is null || first[0] != last[0] || first[1] != last[1]) return "closed";
        }

        return null;
    }

    /// <summary>The stored boundaries as the FeatureCollection the county file gave (null when none is stored).</summary>
    public static async Task<JsonElement?> LoadAsync(DbConnection connection, DbTransaction? transaction)
    {
        var rows = (await connection.QueryAsync<Row>(SelectSql, transaction: transaction)).ToList();
        if (rows.Count == 0) return null;
        var features = new JsonArray();
        foreach (var r in rows)
        {
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["properties"] = new JsonObject { ["township"] = r.Id },
                ["geometry"] = JsonNode.Parse(r.Boundary),
            });
        }

        return JsonSerializer.SerializeToElement(new JsonObject { ["type"] = "FeatureCollection", ["features"] = features });
    }
}
