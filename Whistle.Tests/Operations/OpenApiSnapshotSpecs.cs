using System.Net;
using System.Text.Json.Nodes;
using Whistle.Tests.Support;

namespace Whistle.Tests.Operations;

/// <summary>
/// The web UI's API types are generated (issue 13) from a committed snapshot of /openapi/v1.json
/// (Whistle.Web/src/api/openapi.json, turned into src/api/schema.d.ts by openapi-typescript). The snapshot must be the
/// document the API serves now: a changed request, answer or endpoint fails here until the snapshot and the types are
/// regenerated (the Vitest spec tests/apiTypes.test.ts checks the types against the snapshot).
/// </summary>
[NonParallelizable]
public sealed class When_the_openapi_document_is_read
{
    public const string Regenerate = "cd Whistle.Web && npm run api:types";

    private JsonNode _served = null!;
    private JsonNode _committed = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        await using var api = await ApiHost.StartAsync(TestSettings.Embedded(TestSettings.NewDataFolder()));
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        using var response = await http.GetAsync("/openapi/v1.json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        _served = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        _committed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "Whistle.Web", "src", "api", "openapi.json")))!;
    }

    /// <summary>
    /// The served document as the snapshot keeps it: without <c>servers</c> (the address it was read from). Order of
    /// keys is not compared (the snapshot keeps its maps in name order; JSON objects are unordered).
    /// </summary>
    private static JsonNode Normalised(JsonNode document)
    {
        var copy = document.DeepClone().AsObject();
        copy.Remove("servers");
        return copy;
    }

    [Test]
    public void Should_name_no_server_address_in_the_committed_snapshot()
    {
        Assert.That(_committed.AsObject().ContainsKey("servers"), Is.False, $"Whistle.Web/src/api/openapi.json names a host; regenerate it: {Regenerate}");
    }

    [Test]
    public void Should_match_the_committed_snapshot()
    {
        var served = Normalised(_served);
        var difference = FirstDifference(served, _committed, "$");
        Assert.That(
            JsonNode.DeepEquals(served, _committed),
            Is.True,
            $"/openapi/v1.json differs from the committed Whistle.Web/src/api/openapi.json at {difference}. " +
            $"Regenerate the snapshot and the web UI's types with `{Regenerate}` and commit src/api/openapi.json and src/api/schema.d.ts.");
    }

    /// <summary>Where two documents first differ, as a JSON path with what each side holds there.</summary>
    private static string FirstDifference(JsonNode? served, JsonNode? committed, string path)
    {
        switch (served, committed)
        {
            case (JsonObject a, JsonObject b):
                foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)).Order(StringComparer.Ordinal))
                {
                    if (!a.ContainsKey(key)) return $"{path}.{key} (only in the snapshot)";
                    if (!b.ContainsKey(key)) return $"{path}.{key} (served, not in the snapshot)";
                    if (!JsonNode.DeepEquals(a[key], b[key])) return FirstDifference(a[key], b[key], $"{path}.{key}");
                }

                return path;
            case (JsonArray a, JsonArray b) when a.Count == b.Count:
                for (var i = 0; i < a.Count; i++)
                {
                    if (!JsonNode.DeepEquals(a[i], b[i])) return FirstDifference(a[i], b[i], $"{path}[{i}]");
                }

                return path;
            default:
                return $"{path} (served {Shorten(served)}, snapshot {Shorten(committed)})";
        }
    }

    private static string Shorten(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "nothing";
        return text.Length > 200 ? text[..200] + "…" : text;
    }
}
