using Whistle.Core.Problems;
using System.Threading.RateLimiting;
using MassTransit;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Scalar.AspNetCore;
using Whistle.Api.Assignments;
using Whistle.Api.Attachments;
using Whistle.Api.Audit;
using Whistle.Api.Auth;
using Whistle.Api.City;
using Whistle.Api.Export;
using Whistle.Api.Meetings;
using Whistle.Api.Notices;
using Whistle.Api.Open311;
using Whistle.Api.Push;
using Whistle.Api.Reference;
using Whistle.Api.Stats;
using Whistle.Api.Whistles;
using Whistle.Core.Health;
using Whistle.Core.Hosting;
using Whistle.Core.Options;
using Whistle.Core.Telemetry;
using Whistle.Dispatcher;

namespace Whistle.Api.Hosting;

/// <summary><c>Whistle:Api</c>.</summary>
public sealed class ApiOptions
{
    public const string Section = "Whistle:Api";

    /// <summary>The largest request body accepted (413 beyond).</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Take the client's address and scheme from <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c> (set by the
    /// reverse proxy or ingress in front of the instances), so that the per-address login limit counts clients,
    /// not the proxy. Turn on only where the instances are reachable through the proxy alone.
    /// </summary>
    public bool TrustForwardedHeaders { get; set; }

    /// <summary>
    /// How many lanes this instance pushes in side by side (1–64): a whistle's events always in one lane, in the
    /// order the relay published them (<see cref="PushLanes"/>).
    /// </summary>
    public int PushLanes { get; set; } = 8;
}

/// <summary><c>Whistle:Dispatcher</c>, as the Api sees it.</summary>
public sealed class InProcessDispatcherOptions
{
    public const string Section = "Whistle:Dispatcher";

    /// <summary>Host the dispatcher's consumers in this process. Unset: on with the in-memory bus, off with RabbitMQ.</summary>
    public bool? InProcess { get; set; }
}

public static class ApiExtensions
{
    public const string DefaultUrl = "http://localhost:5080";

    public static WebApplicationBuilder AddWhistleApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // http://localhost:5080 unless an address is configured (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, Urls).
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]) && string.IsNullOrEmpty(builder.Configuration["https_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var apiOptions = builder.Configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = apiOptions.MaxRequestBodyBytes);

        // The hub's clients send their token in the query string: request lines are never logged at Information.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Http.Connections", LogLevel.Warning);
        builder.AddWhistleCore();
        var transport = builder.Configuration.GetSection(BusOptions.Section).Get<BusOptions>()?.Transport ?? BusTransport.InMemory;
        var inProcess = builder.Configuration.GetSection(InProcessDispatcherOptions.Section).Get<InProcessDispatcherOptions>()?.InProcess
            ?? transport == BusTransport.InMemory;
        builder.AddWhistleBus((bus, instance) =>
        {
            bus.AddConsumer<WhistleEventPushConsumer>().Endpoint(e =>
            {
                instance.OnThisInstance(e, "whistle-push");
                // One message at a time, in queue order (the relay's publish order): the consumer hands each message to
                // its whistle's push lane, which pushes one whistle's events in that order (consumed concurrently,
                // MassTransit's default, a later message could overtake an earlier one of the same whistle).
                e.ConcurrentMessageLimit = 1;
                e.PrefetchCount = 64;
            });
            if (inProcess)
            {
                bus.AddWhistleDispatcher();
            }
        });

        if (inProcess)
        {
            builder.AddWhistleDeadlines();
            builder.AddWhistleNotices();
        }

        services.AddOptions<MapOptions>().BindConfiguration(MapOptions.Section)
            .Validate(o => MapOptions.Refusal(o.TileUrl) is null, "Whistle:Map:TileUrl must be an absolute http(s) URL with {z}, {x} and {y} (and optionally {s}: 0–7), or unset.")
            .ValidateOnStart();
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section)
            .Validate(o => o.MaxRequestBodyBytes is >= 1024 and <= 100 * 1024 * 1024, "Whistle:Api:MaxRequestBodyBytes must be between 1024 and 104857600 (default: 65536).")
            .Validate(o => o.PushLanes is >= 1 and <= 64, "Whistle:Api:PushLanes must be between 1 and 64 (default: 8).")
            .ValidateOnStart();
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Any proxy: the option says the instances are reachable through it alone.
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
        });
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemResults.AddCodes);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .Validate(o => o.TokenLifetime > TimeSpan.Zero, "Whistle:Auth:TokenLifetime must be positive, e.g. 12:00:00.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Issuer) && !string.IsNullOrWhiteSpace(o.Audience), "Whistle:Auth:Issuer and Whistle:Auth:Audience must not be empty (default: whistle).")
            .Validate(o => o.LoginAttemptsPerMinute is >= 1 and <= 10_000, "Whistle:Auth:LoginAttemptsPerMinute must be between 1 and 10000 (default: 30).")
            .Validate(o => o.AccountCheckInterval >= TimeSpan.Zero && o.AccountCheckInterval <= TimeSpan.FromHours(1), "Whistle:Auth:AccountCheckInterval must be between 00:00:00 and 01:00:00 (default: 00:00:15).")
            .Validate(o => string.IsNullOrWhiteSpace(o.SigningKey) || SigningKey.IsValid(o.SigningKey), "Whistle:Auth:SigningKey must be base64 of at least 32 bytes, e.g. the output of: openssl rand -base64 48")
            .Validate<IOptions<BusOptions>>(
                (o, bus) => bus.Value.Transport == BusTransport.InMemory || !string.IsNullOrWhiteSpace(o.SigningKey),
                "Whistle:Auth:SigningKey is required with Whistle:Bus:Transport=RabbitMq: set the same key on every Api instance.")
            .ValidateOnStart();
        services.AddSingleton<SigningKey>();
        services.AddWhistleSessions();
        services.AddSingleton<WhistleQueries>();
        services.AddSingleton<Whistle.Api.Audit.AuditQueries>();
        services.AddSingleton<Whistle.Api.Export.ExportQueries>();
        services.AddSingleton<Whistle.Api.Meetings.MeetingQueries>();
        services.AddSingleton<OfficeQueries>();
        services.AddSingleton<Whistle.Api.Heads.HeadsQueries>();
        services.AddSingleton<PushDeduplicator>();
        services.AddSingleton<PushLanes>();
        services.AddHostedService(sp => sp.GetRequiredService<PushLanes>());
        services.AddHostedService<Whistle.Api.Attachments.AttachmentDraftSweeper>();
        services.AddOpen311Api();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKey, IOptions<AuthOptions>, TimeProvider>((jwt, key, auth, time) =>
            {
                jwt.MapInboundClaims = false;
                // Nothing reads the token back from the authentication properties (a hub connection would hold it there).
                jwt.SaveToken = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Value.Issuer,
                    ValidAudience = auth.Value.Audience,
                    IssuerSigningKey = key.Key,
                    NameClaimType = CurrentUser.UserNameClaim,
                    RoleClaimType = CurrentUser.RoleClaim,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    // Only the algorithm Whistle signs with: a token in another HMAC (HS384, HS512) with the same key,
                    // or in anything else, is refused before its signature is even looked at.
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    RequireSignedTokens = true,
                    // A token without exp would be valid for ever. (The custom validator below replaces the built-in
                    // lifetime check, which is where this flag is read, so it refuses a missing expiry itself too.)
                    RequireExpirationTime = true,
                    // One clock for the whole application: tokens are issued and checked on the same TimeProvider.
                    LifetimeValidator = (notBefore, expires, _, parameters) =>
                    {
                        var now = time.GetUtcNow().UtcDateTime;
                        return expires is not null
                            && expires.Value >= now - parameters.ClockSkew
                            && (notBefore is null || notBefore.Value <= now + parameters.ClockSkew);
                    },
                };
                jwt.Events = new JwtBearerEvents
                {
                    // Browsers cannot set headers on WebSockets: the SignalR clients send the token in the query.
                    OnMessageReceived = context =>
                    {
                        var token = context.Request.Query["access_token"];
                        if (!string.IsNullOrEmpty(token) && context.HttpContext.Request.Path.StartsWithSegments(WhistleHub.Path))
                        {
                            context.Token = token;
                        }

                        return Task.CompletedTask;
                    },
                    // A token outlives nothing: once its account is disabled, removed or changed (a new security stamp:
                    // password, second factor, disable/enable) it is refused, within Whistle:Auth:AccountCheckInterval.
                    OnTokenValidated = async context =>
                    {
                        var userName = context.Principal?.FindFirst(CurrentUser.UserNameClaim)?.Value;
                        var stamp = context.Principal?.FindFirst(CurrentUser.StampClaim)?.Value;
                        var accounts = context.HttpContext.RequestServices.GetRequiredService<ActiveAccounts>();
                        if (userName is null || !await accounts.IsCurrentAsync(userName, stamp, context.HttpContext.RequestAborted))
                        {
                            context.Fail("The session has ended: the account was disabled or changed.");
                            return;
                        }

                        // SignalR closes a hub connection at Properties.ExpiresUtc, read on the system clock: the token's
                        // remaining lifetime on the application's clock, from now on the system clock.
                        if (context.SecurityToken?.ValidTo is { } validTo && validTo > DateTime.MinValue)
                        {
                            context.Properties.ExpiresUtc = DateTimeOffset.UtcNow + (new DateTimeOffset(validTo, TimeSpan.Zero) - time.GetUtcNow());
                        }

                        context.Principal = CurrentUser.Compact(context.Principal!, JwtBearerDefaults.AuthenticationScheme);
                    },
                };
            })
            // Built at start, not at the first request: a missing, short or published signing key stops the process.
            .ValidateOnStart();
        services.AddAuthorization(RolePolicies.Add);
        services.AddSignalR();
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AuthOptions>>((limiter, auth) =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(AuthApi.LoginRateLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = auth.Value.LoginAttemptsPerMinute, Window = TimeSpan.FromMinutes(1) }));
            limiter.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                await ProblemResults.Problem(StatusCodes.Status429TooManyRequests, "Too many requests", Problem.TooManyRequests())
                    .ExecuteAsync(context.HttpContext);
            };
        });
        // Raises (issue 11): one counter per account, shared by POST /api/whistles and Open311's POST (RaiseThrottle).
        services.AddSingleton<RaiseThrottle>();
        services.AddOptions<RateLimiterOptions>().Configure<RaiseThrottle>((limiter, raises) =>
            limiter.AddPolicy(WhistlesApi.RaiseRateLimit, context => raises.Partition(
                context.User.FindFirst(CurrentUser.UserNameClaim)?.Value ?? "@" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"))));
        services.AddRateLimiter(_ => { });
        services.AddOpenApi(o => o.AddDocumentTransformer<OpenApiDocumentInfo>());
        return builder;
    }

    public static WebApplication MapWhistleApi(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.TrustForwardedHeaders)
        {
            app.UseForwardedHeaders();
        }

        app.UseSecurityHeaders(MapOptions.ImageSource(app.Services.GetRequiredService<IOptions<MapOptions>>().Value.TileUrl));
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments(OpenApiDocumentInfo.ReferencePath),
            reference => reference.Use((context, next) =>
            {
                context.Response.Headers.ContentSecurityPolicy = OpenApiDocumentInfo.ReferencePageContentSecurityPolicy;
                return next(context);
            }));
        // The two middlewares that turn an error into a problem body stay out of a hub connection's WebSocket request:
        // that request runs for the connection's life (hours), and each would hold its state for it (~0.3 KB a
        // connection, docs/benchmarks/2026-12-03-memory.md) for a body no WebSocket client can read (a refused
        // handshake is seen as a failed connection, whatever its body). Negotiation and every other request keep them.
        app.UseWhen(context => !IsHubConnection(context), ordinary =>
        {
            ordinary.UseExceptionHandler();
            ordinary.UseStatusCodePages();
        });
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapAuthApi();
        app.MapAccountsApi();
        app.MapReferenceApi();
        app.MapCityApi();
        app.MapEstablishmentOfficeApi();
        app.MapWorkRequestsApi();
        Whistle.Api.City.SubmissionsApi.MapSubmissionsApi(app);
        app.MapMapApi();
        app.MapWhistleListUpkeepApi();
        app.MapAuditApi();
        app.MapWhistlesApi();
        app.MapAttachmentsApi();
        app.MapAssignmentsApi();
        app.MapStatsApi();
        app.MapMeetingsApi();
        Whistle.Api.Heads.HeadsApi.MapHeadsApi(app);
        Whistle.Api.Heads.AssessmentFormsApi.MapAssessmentFormsApi(app);
        Whistle.Api.Heads.RecommendationsApi.MapRecommendationsApi(app);
        app.MapExportApi();
        app.MapNoticeChannelsApi();
        app.MapOpen311Api(); // /open311/v2 (GeoReport v2, authorised by api_key)
        // A connection closes when its token expires (and when its account changes: HubSessions). Administrators see
        // no whistle: the hub is for the business roles.
        app.MapHub<WhistleHub>(WhistleHub.Path, o => o.CloseOnAuthenticationExpiration = true).RequireAuthorization(RolePolicies.Business);
        app.MapWhistleHealthChecks();
        app.MapWhistleMetrics(); // /metrics (Prometheus)
        app.MapOpenApi(); // /openapi/v1.json
        app.MapScalarApiReference(OpenApiDocumentInfo.ReferencePath, o => o.WithTitle("Whistle API").DisableDefaultFonts().HideDeveloperTools().DisableAgent()); // /scalar/v1
        // Unknown API paths are a 404 problem; any other path is the single-page UI's to route.
        app.MapFallback("/api/{**path}", () => TypedResults.Problem(title: "Not found", statusCode: StatusCodes.Status404NotFound)).ExcludeFromDescription();
        app.MapFallbackToFile("index.html");
        return app;
    }

    /// <summary>A WebSocket handshake to the hub: a connection's long-lived request (not its negotiation).</summary>
    internal static bool IsHubConnection(HttpContext context) =>
        context.Request.Path.StartsWithSegments(WhistleHub.Path, StringComparison.OrdinalIgnoreCase) && WebSocketHandshakes.IsHandshake(context);
}
