using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Whistle.Api.Auth;
using Whistle.Core.Hosting;

namespace Whistle.Api.Reference;

/// <summary><c>Whistle:Map</c>: the county's own tile service, where it has one.</summary>
public sealed class MapOptions
{
    public const string Section = "Whistle:Map";

    /// <summary>
    /// A web-Mercator (EPSG:3857) XYZ tile URL with <c>{z}</c>, <c>{x}</c>, <c>{y}</c> (and optionally <c>{s}</c>, replaced by
    /// 0–7, the 天地图 servers t0–t7), e.g. the county's 天地图 service. Unset: the map draws the townships' boundaries only.
    /// </summary>
    public string? TileUrl { get; set; }

    /// <summary>Why <paramref name="url"/> cannot be a tile URL, or null.</summary>
    public static string? Refusal(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (!url.Contains("{z}", StringComparison.Ordinal) || !url.Contains("{x}", StringComparison.Ordinal) || !url.Contains("{y}", StringComparison.Ordinal))
        {
            return "Whistle:Map:TileUrl must contain {z}, {x} and {y}, e.g. https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=…";
        }

        return Uri.TryCreate(Sample(url), UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && !string.IsNullOrEmpty(uri.Host)
            ? null
            : "Whistle:Map:TileUrl must be an absolute http(s) URL.";
    }

    /// <summary>The tiles' origin for the Content-Security-Policy's img-src: <c>{s}</c> in the host becomes a wildcard label.</summary>
    public static string? ImageSource(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || Refusal(url) is not null) return null;
        var uri = new Uri(Sample(url));
        var schemeAndHost = url[..(url.IndexOf("://", StringComparison.Ordinal) + 3)];
        var hostPart = url[schemeAndHost.Length..].Split('/', '?', '#')[0];
        if (hostPart.Contains("{s}", StringComparison.Ordinal))
        {
            var rest = hostPart[(hostPart.IndexOf('.', StringComparison.Ordinal) + 1)..];
            return $"{uri.Scheme}://*.{rest.Split(':')[0]}{(uri.IsDefaultPort ? "" : $":{uri.Port}")}";
        }

        return $"{uri.Scheme}://{uri.Authority}";
    }

    private static string Sample(string url) =>
        url.Replace("{s}", "0", StringComparison.Ordinal).Replace("{z}", "0", StringComparison.Ordinal)
            .Replace("{x}", "0", StringComparison.Ordinal).Replace("{y}", "0", StringComparison.Ordinal);
}

public sealed record MapDto(string? TileUrl, JsonObject Boundaries);

/// <summary>
/// The supervisor's map (issue 13): the townships' boundaries from the county file as one GeoJSON FeatureCollection
/// (each feature's <c>properties</c>: <c>township</c>, <c>name</c>, <c>nameEn</c>), drawn by the browser itself, and the
/// county's tile URL where it has one — no internet needed.
/// </summary>
public static class MapApi
{
    public static IEndpointRouteBuilder MapMapApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").RequireAuthorization(RolePolicies.Business).WithTags("Reference data")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .MapGet("/map", (CountyCatalogHolder county, IOptions<MapOptions> options) => TypedResults.Ok(Map(county, options.Value)))
            .WithName("GetMap");
        return app;
    }

    public static MapDto Map(CountyCatalogHolder county, MapOptions options)
    {
        var catalog = county.Catalog;
        var features = new JsonArray();
        foreach (var township in catalog.Definition.Townships)
        {
            if (!catalog.Boundaries.TryGetValue(township.Id, out var geometry)) continue;
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["properties"] = new JsonObject { ["township"] = township.Id, ["name"] = township.Name, ["nameEn"] = township.NameEn },
                ["geometry"] = JsonNode.Parse(geometry),
            });
        }

        var tileUrl = string.IsNullOrWhiteSpace(options.TileUrl) ? null : options.TileUrl.Trim();
        return new MapDto(tileUrl, new JsonObject { ["type"] = "FeatureCollection", ["features"] = features });
    }
}
