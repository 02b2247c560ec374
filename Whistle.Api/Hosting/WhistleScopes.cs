using System.Diagnostics;
using Whistle.Core.Telemetry;

namespace Whistle.Api.Hosting;

/// <summary>
/// Puts the whistle (or assignment) a request names in its route into a logging scope and on the request's
/// trace, so that every log line written while handling it carries the id.
/// </summary>
public static class WhistleScopes
{
    public static TBuilder WithIdScope<TBuilder>(this TBuilder builder, string scopeKey, string tag)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            if (context.HttpContext.GetRouteValue("id") is not string id)
            {
                return await next(context);
            }

            Activity.Current?.SetTag(tag, id);
            var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WhistleScopes));
            using var scope = logger.BeginScope(new LogScope([new(scopeKey, id)]));
            return await next(context);
        });

    /// <summary>Routes <c>/{id}</c> name a whistle.</summary>
    public static TBuilder WithWhistleScope<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithIdScope("WhistleId", WhistleTelemetry.WhistleIdTag);

    /// <summary>Routes <c>/{id}</c> name an assignment.</summary>
    public static TBuilder WithAssignmentScope<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithIdScope("AssignmentId", "whistle.assignment.id");
}
