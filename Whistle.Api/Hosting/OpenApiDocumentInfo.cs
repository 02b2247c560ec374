using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Whistle.Api.Hosting;

/// <summary>
/// The document's title and description, and the bearer scheme: every operation that needs a token
/// says so (PRODUCT.md §5: every endpoint but login requires <c>Authorization: Bearer</c>).
/// </summary>
internal sealed class OpenApiDocumentInfo : IOpenApiDocumentTransformer
{
    public const string Scheme = "Bearer";

    public const string ReferencePath = "/scalar";

    /// <summary>
    /// The reference page (Scalar) starts itself with an inline module script and runs a web worker, which the
    /// UI's policy forbids; on <see cref="ReferencePath"/> alone inline script and blob workers are allowed.
    /// </summary>
    public const string ReferencePageContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Whistle API";
        document.Info.Description =
            "Township whistles, agencies report (乡街吹哨、机构报到). JSON over HTTP, times ISO-8601 UTC, ids strings; " +
            "errors are RFC 9457 problem details. Sign in with POST /api/auth/token and send the token as " +
            "`Authorization: Bearer <token>`. Live push: the SignalR hub at /hubs/whistles (not described here).";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "The accessToken from POST /api/auth/token.",
        };

        DescribeProblemCodes(document);

        var secured = context.DescriptionGroups
            .SelectMany(g => g.Items)
            .Where(d => d.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any()
                && !d.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
            .Select(d => ("/" + d.RelativePath?.TrimEnd('/'), d.HttpMethod))
            .ToHashSet();
        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                if (secured.Contains((path.TrimEnd('/') is "" ? "/" : path.TrimEnd('/'), method.Method)))
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, document)] = [] });
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Every problem answer carries <c>code</c> and <c>params</c> (docs/API.md, "Problem codes"); a 400 also <c>codes</c>,
    /// each field's problems as <c>{code, params}</c>: the schemas say so, so that a generated client knows them.
    /// </summary>
    private static void DescribeProblemCodes(OpenApiDocument document)
    {
        if (document.Components?.Schemas is not { } schemas) return;
        OpenApiSchema Params() => new()
        {
            Type = JsonSchemaType.Object,
            Description = "The values the code's text needs: numbers, words of the API's vocabulary, ISO-8601 UTC times (…At), a unit by agencyCode and branchId.",
            AdditionalProperties = new OpenApiSchema(),
        };
        OpenApiSchema Code() => new() { Type = JsonSchemaType.String, Description = "A stable kebab-case code of Whistle.Core/Problems/ProblemCodes.cs." };
        foreach (var name in new[] { "ProblemDetails", "HttpValidationProblemDetails" })
        {
            if (!schemas.TryGetValue(name, out var found) || found is not OpenApiSchema schema) continue;
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["code"] = Code();
            schema.Properties["params"] = Params();
            if (name == "HttpValidationProblemDetails")
            {
                schema.Properties["codes"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "Beside errors: each field's problems as {code, params}, in the same order.",
                    AdditionalProperties = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Array,
                        Items = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { "code", "params" },
                            Properties = new Dictionary<string, IOpenApiSchema> { ["code"] = Code(), ["params"] = Params() },
                        },
                    },
                };
            }
        }
    }
}
