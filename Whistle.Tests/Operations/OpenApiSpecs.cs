using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Tests.Support;

namespace Whistle.Tests.Operations;

/// <summary>The OpenAPI document (Microsoft.AspNetCore.OpenApi) against the endpoints the app really maps.</summary>
[NonParallelizable]
public sealed class When_a_client_reads_the_OpenAPI_document
{
    private WhistleSystem _system = null!;
    private JsonNode _document = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync();
        using var http = new HttpClient { BaseAddress = _system.Api };
        using var response = await http.GetAsync("/openapi/v1.json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        _document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    /// <summary>Every endpoint under /api, one per method, with the metadata the OpenAPI generator reads.</summary>
    private List<(string Path, string Method, Endpoint Endpoint)> ApiEndpoints()
    {
        var source = _system.Apis[0].Services.GetRequiredService<EndpointDataSource>();
        return source.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal))
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Normalize(e.RoutePattern.RawText!), m.ToLowerInvariant(), (Endpoint)e)))
            .ToList();
    }

    private static string Normalize(string pattern) => pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;

    private JsonNode? Operation(string path, string method) => _document["paths"]?[path]?[method];

    private static bool Secured(Endpoint e) =>
        e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any() && e.Metadata.GetMetadata<IAllowAnonymous>() is null;

    [Test]
    public void Should_list_every_endpoint_under_api()
    {
        var endpoints = ApiEndpoints();
        Assert.That(endpoints, Has.Count.GreaterThanOrEqualTo(22), "the whole API, not a part of it");
        Assert.Multiple(() =>
        {
            foreach (var (path, method, _) in endpoints)
            {
                Assert.That(Operation(path, method), Is.Not.Null, $"{method.ToUpperInvariant()} {path} is missing from the document");
            }
        });
        var documented = _document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => (p.Key, m.Key))).ToList();
        Assert.That(documented, Is.EquivalentTo(endpoints.Select(e => (e.Path, e.Method))), "and nothing that is not served");
    }

    [Test]
    public void Should_hide_only_the_api_fallback()
    {
        var source = _system.Apis[0].Services.GetRequiredService<EndpointDataSource>();
        var hidden = source.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal))
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is { ExcludeFromDescription: true })
            .Select(e => e.RoutePattern.RawText)
            .ToList();
        Assert.That(hidden, Is.EqualTo(new[] { "/api/{**path}" }));
    }

    [Test]
    public void Should_describe_each_problem_answer_as_problem_details()
    {
        Assert.Multiple(() =>
        {
            foreach (var (path, method, endpoint) in ApiEndpoints())
            {
                var responses = Operation(path, method)!["responses"]!.AsObject();
                var declared = endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().Where(m => m.StatusCode >= 400).Select(m => m.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
                Assert.That(declared, Is.Not.Empty, $"{method} {path} declares no problem answer");
                foreach (var status in declared)
                {
                    var schema = responses[status]?["content"]?["application/problem+json"]?["schema"]?["$ref"]?.GetValue<string>();
                    var expected = status == "400" && endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().Any(m => m.StatusCode == 400 && m.Type?.Name == "HttpValidationProblemDetails")
                        ? "#/components/schemas/HttpValidationProblemDetails"
                        : "#/components/schemas/ProblemDetails";
                    Assert.That(schema, Is.EqualTo(expected), $"{method.ToUpperInvariant()} {path} answers {status}");
                }
            }
        });
    }

    [Test]
    public void Should_declare_the_problem_answers_the_contract_names_where_they_apply()
    {
        Assert.Multiple(() =>
        {
            foreach (var (path, method, endpoint) in ApiEndpoints())
            {
                var operation = Operation(path, method)!;
                var statuses = operation["responses"]!.AsObject().Select(r => r.Key).ToHashSet();
                var name = $"{method.ToUpperInvariant()} {path}";
                if (Secured(endpoint))
                {
                    Assert.That(statuses, Does.Contain("401"), $"{name} needs a token");
                    Assert.That(operation["security"]?.AsArray().Select(s => s!.AsObject().Single().Key), Is.EqualTo(new[] { "Bearer" }), $"{name} says it needs a bearer token");
                }
                else
                {
                    Assert.That(operation["security"], Is.Null, $"{name} needs no token");
                }

                if (endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is not null)
                {
                    Assert.That(statuses, Does.Contain("400").And.Contain("413"), $"{name} takes a body");
                }

                if (path.Contains("{id}", StringComparison.Ordinal) || path.Contains("{userName}", StringComparison.Ordinal) || method == "delete" || path.StartsWith("/api/org/agencies/", StringComparison.Ordinal))
                {
                    Assert.That(statuses, Does.Contain("404"), $"{name} names a resource");
                }

                if (method == "post" && path.Contains("{id}/", StringComparison.Ordinal))
                {
                    Assert.That(statuses, Does.Contain("403").And.Contain("409"), $"{name} is a checked transition");
                }

                if (path.StartsWith("/api/stats", StringComparison.Ordinal) || path.StartsWith("/api/whistle-list/", StringComparison.Ordinal)
                    || path.StartsWith("/api/org/", StringComparison.Ordinal) || path == "/api/audit" || path.StartsWith("/api/users", StringComparison.Ordinal) || path.StartsWith("/api/export", StringComparison.Ordinal))
                {
                    Assert.That(statuses, Does.Contain("403"), $"{name} is for some roles only");
                }
            }

            Assert.That(Operation("/api/auth/token", "post")!["responses"]!.AsObject().Select(r => r.Key), Is.SupersetOf(new[] { "200", "400", "401", "413", "429" }));
            Assert.That(Operation("/api/whistles", "post")!["responses"]!.AsObject().Select(r => r.Key), Is.SupersetOf(new[] { "201", "400", "401", "403", "413" }));
        });
    }

    [Test]
    public void Should_describe_request_and_response_types()
    {
        var raise = Operation("/api/whistles", "post")!;
        var schemas = _document["components"]!["schemas"]!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That(raise["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>(), Is.EqualTo("#/components/schemas/RaiseWhistleRequest"));
            Assert.That(raise["responses"]!["201"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>(), Is.EqualTo("#/components/schemas/WhistleDto"));
            Assert.That(raise["parameters"]!.AsArray().Select(p => p!.Str("name")), Does.Contain("Idempotency-Key"));
            Assert.That(schemas["RaiseWhistleRequest"]!["properties"]!.AsObject().Select(p => p.Key), Is.SupersetOf(new[] { "matterCode", "title", "address", "urgency", "extraAgencyCodes" }));
            Assert.That(schemas["WhistleDto"]!["properties"]!.AsObject().Select(p => p.Key), Is.SupersetOf(new[] { "id", "status", "assignments", "timeline" }));
            Assert.That(schemas["HttpValidationProblemDetails"]!["properties"]!.AsObject().Select(p => p.Key), Does.Contain("errors"));
            Assert.That(schemas["HttpValidationProblemDetails"]!["properties"]!.AsObject().Select(p => p.Key), Does.Contain("code").And.Contain("params").And.Contain("codes"));
            Assert.That(schemas["ProblemDetails"]!["properties"]!.AsObject().Select(p => p.Key), Does.Contain("code").And.Contain("params"));
            Assert.That(_document["components"]!["securitySchemes"]!["Bearer"]!.Str("scheme"), Is.EqualTo("bearer"));
        });
    }

    [Test]
    public async Task Should_serve_a_browsable_reference_page_that_runs_under_its_content_security_policy()
    {
        using var http = new HttpClient { BaseAddress = _system.Api };
        using var response = await http.GetAsync("/scalar/v1");
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
            Assert.That(string.Join(";", response.Headers.GetValues("Content-Security-Policy")), Does.Contain("frame-ancestors 'none'"));
        });

        // In a real browser, under the headers the page is served with: the reference renders the document.
        await using var browser = await Browser.BrowserSession.LaunchAsync();
        var page = await browser.Browser.NewPageAsync();
        var blocked = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) blocked.Add(message.Text);
        };
        await page.GotoAsync(new Uri(_system.Api, "/scalar/v1").ToString());
        await page.GetByRole(Microsoft.Playwright.AriaRole.Heading, new() { Name = "Whistle API" }).First.WaitForAsync(new() { Timeout = 30_000 });
        var text = await page.InnerTextAsync("body");
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("Whistles").And.Contain("Assignments").And.Contain("Meetings"));
            Assert.That(blocked, Is.Empty, "nothing blocked by the Content-Security-Policy");
        });
    }
}
