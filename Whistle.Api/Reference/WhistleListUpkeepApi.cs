using Whistle.Core.Problems;
using Whistle.Api.Hosting;
using System.Security.Claims;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Contracts;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Api.Reference;

public sealed record LimitRequest(int ReportWithinMinutes, int ResolveWithinMinutes);

public sealed record SaveMatterRequest(
    string? Name,
    string? NameEn,
    string? Category,
    string? CategoryEn,
    IReadOnlyList<MatterAgency>? Agencies,
    IReadOnlyDictionary<string, LimitRequest>? Limits);

public sealed record RenameAgencyRequest(string? Name, string? NameEn);


/// <summary>
/// Whistle list upkeep (the system administrator, 系统管理员): matters, agencies' names and limits change through the API, each
/// change on the audit trail. Deadlines are fixed when a whistle is dispatched, so a change applies to
/// whistles raised after it and never rewrites a past one.
/// </summary>
public static partial class WhistleListUpkeepApi
{
    public static IEndpointRouteBuilder MapWhistleListUpkeepApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(RolePolicies.SysAdmin).WithTags("Whistle list upkeep")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPut("/whistle-list/{code}", SaveMatter).WithName("SaveMatter").ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapDelete("/whistle-list/{code}", RetireMatter).WithName("RetireMatter").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/org/agencies/{code}", RenameAgency).WithName("RenameAgency")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    private static async Task<Results<Ok<MatterDto>, ValidationProblem, ProblemHttpResult>> SaveMatter(
        string code, SaveMatterRequest request, HttpContext http, WhistleDatabase database, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        var catalog = county.Catalog;
        var errors = new FieldErrors();
        if (!MatterCode().IsMatch(code)) errors.Set("code", Problems.CodeFormat("code", "A matter code is 2–64 lowercase letters, digits and hyphens."));
        foreach (var (field, value) in new[] { ("name", request.Name), ("nameEn", request.NameEn), ("category", request.Category), ("categoryEn", request.CategoryEn) })
        {
            WhistleValidation.Text(errors, field, value, 100, required: true);
        }

        MatterLimit? Limit(string urgency) =>
            request.Limits is not null && request.Limits.TryGetValue(urgency, out var l) ? new MatterLimit(l.ReportWithinMinutes, l.ResolveWithinMinutes) : null;
        if (request.Limits is null || Urgency.All.Any(u => Limit(u) is null)) errors.Set("limits", Problems.Required("limits", "Give limits for routine, urgent and emergency."));
        if (request.Agencies is null || request.Agencies.Count == 0) errors.Set("agencies", Problems.Required("agencies", "Name the lead agency, and any co-handling ones."));
        if (errors.Count > 0) return ProblemResults.Validation(errors);

        var matter = new MatterInfo(
            code, request.Name!.Trim(), request.NameEn!.Trim(), request.Category!.Trim(), request.CategoryEn!.Trim(),
            request.Agencies!, new MatterLimits(Limit(Urgency.Routine)!, Limit(Urgency.Urgent)!, Limit(Urgency.Emergency)!));
        var problems = CountyCatalog.ValidateMatter(matter, catalog.Definition.Agencies.Select(a => a.Code).ToHashSet()).ToList();
        if (problems.Count > 0)
        {
            var invalid = new FieldErrors();
            if (problems.Where(p => !p.Contains("limits", StringComparison.Ordinal)).ToList() is { Count: > 0 } agencies)
            {
                invalid.Set("agencies", Problems.MatterAgencies(agencies[0]));
                invalid["agencies"] = [.. agencies];
            }

            if (problems.Where(p => p.Contains("limits", StringComparison.Ordinal)).ToList() is { Count: > 0 } limits)
            {
                invalid.Set("limits", Problems.MatterLimits(limits[0]));
                invalid["limits"] = [.. limits];
            }

            return ProblemResults.Validation(invalid);
        }

        var before = catalog.FindMatter(code);
        await ChangeAsync(database, county, user, time, "matter", code, before is null ? "created" : "changed", before is null ? null : ReferenceApi.ToDto(catalog, before), ct, unit => CountyStore.SaveMatterAsync(unit, matter));
        return TypedResults.Ok(ReferenceApi.ToDto(county.Catalog, county.Catalog.FindMatter(code)!));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RetireMatter(
        string code, HttpContext http, WhistleDatabase database, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (county.Catalog.FindActiveMatter(code) is not { } matter) return CommandResults.NotFoundProblem();
        await ChangeAsync(database, county, user, time, "matter", code, "retired", ReferenceApi.ToDto(county.Catalog, matter), ct, unit => CountyStore.RetireMatterAsync(unit, code));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AgencyDto>, ValidationProblem, ProblemHttpResult>> RenameAgency(
        string code, RenameAgencyRequest request, HttpContext http, WhistleDatabase database, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        if (county.Catalog.FindAgency(code) is not { } agency) return CommandResults.NotFoundProblem();
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "name", request.Name, 200, required: true);
        WhistleValidation.Text(errors, "nameEn", request.NameEn, 200, required: true);
        if (errors.Count > 0) return ProblemResults.Validation(errors);
        AgencyDto Dto(AgencyInfo a) => new(a.Code, a.Name, a.NameEn, county.Catalog.AgencyHasBranches(a.Code));
        await ChangeAsync(database, county, user, time, "agency", code, "changed", Dto(agency), ct, unit => CountyStore.RenameAgencyAsync(unit, code, request.Name!.Trim(), request.NameEn!.Trim()));
        return TypedResults.Ok(Dto(county.Catalog.FindAgency(code)!));
    }

    /// <summary>Applies a change with its audit row and the CountyChanged message in one transaction, then reloads.</summary>
    private static async Task ChangeAsync(
        WhistleDatabase database, CountyCatalogHolder county, CurrentUser user, TimeProvider time, string entity, string key, string action,
        object? before, CancellationToken ct, Func<UnitOfWork, Task> change)
    {
        var now = time.GetUtcNow();
        await database.WriteAsync(
            async unit =>
            {
                await change(unit);
                var version = await CountyStore.BumpVersionAsync(unit);
                var preview = new CountyCatalog(await CountyStore.LoadAsync(unit.Connection, unit.Transaction));
                await AuditTrail.WriteAsync(unit, user.Audit, entity, key, action, before, After(entity, key, preview), now);
                await Outbox.AddAsync(unit, new CountyChanged(version), now);
                unit.Complete();
                return 0;
            },
            ct);
        await county.ReloadAsync(database, ct);
    }

    private static object? After(string entity, string key, CountyCatalog catalog) => entity switch
    {
        "matter" when catalog.FindActiveMatter(key) is { } m => ReferenceApi.ToDto(catalog, m),
        "agency" when catalog.FindAgency(key) is { } a => new AgencyDto(a.Code, a.Name, a.NameEn, catalog.AgencyHasBranches(a.Code)),
        _ => null,
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex MatterCode();
}
