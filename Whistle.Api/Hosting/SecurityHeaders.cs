namespace Whistle.Api.Hosting;

/// <summary>
/// The usual security headers, and a Content-Security-Policy without inline script (the UI's scripts are
/// files of its own origin; Element Plus sets inline style attributes, hence style-src 'unsafe-inline').
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
        "connect-src 'self' ws: wss:; media-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The policy, with the county's map tiles' origin (<c>Whistle:Map:TileUrl</c>) allowed as images where it has one.</summary>
    public static string PolicyWith(string? tileImageSource) =>
        tileImageSource is null ? ContentSecurityPolicy : ContentSecurityPolicy.Replace("img-src 'self' data: blob:;", $"img-src 'self' data: blob: {tileImageSource};", StringComparison.Ordinal);

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, string? tileImageSource = null)
    {
        var policy = PolicyWith(tileImageSource);
        // Synchronous, with the RequestDelegate overload: a request holds no state machine or closure of this
        // middleware while it runs — a hub connection's request runs for hours (docs/benchmarks/2026-12-03-memory.md).
        return app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                headers.CacheControl = "no-store";
            }

            return next(context);
        });
    }
}
