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

public sealed record AuditEntryDto(long Id, DateTimeOffset At, string UserName, string DisplayName, string Entity, string Key, string Action, JsonElement? Before, JsonElement? After);

/// <summary>
/// Whistle list upkeep (supervisors): matters, agencies' names and limits change through the API, each
/// change on the audit trail. Deadlines are fixed when a whistle is dispatched, so a change applies to
/// whistles raised after it and never rewrites a past one.
/// </summary>
public static partial class WhistleListUpkeepApi
{
    private const string InsertAuditSql = """
        INSERT INTO audit_log (at, user_name, display_name, entity, entity_key, action, before_json, after_json)
        VALUES (@At, @UserName, @DisplayName, @Entity, @Key, @Action, @Before, @After);
        """;

    private const string CountAuditSql = "SELECT COUNT(*) FROM audit_log;";

    private const string AuditPageSqlite = """
        SELECT id, at, user_name AS UserName, display_name AS DisplayName, entity, entity_key AS EntityKey, action,
               before_json AS BeforeJson, after_json AS AfterJson
        FROM audit_log ORDER BY id DESC LIMIT @Take OFFSET @Skip;
        """;

    private const string AuditPageSqlServer = """
        SELECT id, at, user_name AS UserName, display_name AS DisplayName, entity, entity_key AS EntityKey, action,
               before_json AS BeforeJson, after_json AS AfterJson
        FROM audit_log ORDER BY id DESC OFFSET @Skip ROWS FETCH NEXT @Take ROWS ONLY;
        """;

    private sealed record AuditRow
    {
        public long Id { get; init; }
        public DateTimeOffset At { get; init; }
        public string UserName { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string Entity { get; init; } = "";
        public string EntityKey { get; init; } = "";
        public string Action { get; init; } = "";
        public string? BeforeJson { get; init; }
        public string? AfterJson { get; init; }
    }

    public static IEndpointRouteBuilder MapWhistleListUpkeepApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization();
        api.MapPut("/whistle-list/{code}", SaveMatter);
        api.MapDelete("/whistle-list/{code}", RetireMatter);
        api.MapPut("/org/agencies/{code}", RenameAgency);
        api.MapGet("/audit", Audit);
        return app;
    }

    private static ProblemHttpResult? SupervisorOnly(CurrentUser user) => user.Role == Roles.Supervisor
        ? null
        : TypedResults.Problem(title: "Forbidden", detail: "Only supervisors keep the whistle list.", statusCode: StatusCodes.Status403Forbidden);

    private static async Task<Results<Ok<MatterDto>, ValidationProblem, ProblemHttpResult>> SaveMatter(
        string code, SaveMatterRequest request, ClaimsPrincipal principal, WhistleDatabase database, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(principal);
        if (SupervisorOnly(user) is { } forbidden) return forbidden;
        var catalog = county.Catalog;
        var errors = new Dictionary<string, string[]>();
        if (!MatterCode().IsMatch(code)) errors["code"] = ["A matter code is 2–64 lowercase letters, digits and hyphens."];
        foreach (var (field, value) in new[] { ("name", request.Name), ("nameEn", request.NameEn), ("category", request.Category), ("categoryEn", request.CategoryEn) })
        {
            WhistleValidation.Text(errors, field, value, 100, required: true);
        }

        MatterLimit? Limit(string urgency) =>
            request.Limits is not null && request.Limits.TryGetValue(urgency, out var l) ? new MatterLimit(l.ReportWithinMinutes, l.ResolveWithinMinutes) : null;
        if (request.Limits is null || Urgency.All.Any(u => Limit(u) is null)) errors["limits"] = ["Give limits for routine, urgent and emergency."];
        if (request.Agencies is null || request.Agencies.Count == 0) errors["agencies"] = ["Name the lead agency, and any co-handling ones."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var matter = new MatterInfo(
            code, request.Name!.Trim(), request.NameEn!.Trim(), request.Category!.Trim(), request.CategoryEn!.Trim(),
            request.Agencies!, new MatterLimits(Limit(Urgency.Routine)!, Limit(Urgency.Urgent)!, Limit(Urgency.Emergency)!));
        var problems = CountyCatalog.ValidateMatter(matter, catalog.Definition.Agencies.Select(a => a.Code).ToHashSet()).ToList();
        if (problems.Count > 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["agencies"] = [.. problems.Where(p => !p.Contains("limits", StringComparison.Ordinal))], ["limits"] = [.. problems.Where(p => p.Contains("limits", StringComparison.Ordinal))] }
                .Where(kv => kv.Value.Length > 0).ToDictionary());
        }

        var before = catalog.FindMatter(code);
        await ChangeAsync(database, county, user, time, "matter", code, before is null ? "created" : "changed", before is null ? null : ReferenceApi.ToDto(catalog, before), ct, unit => CountyStore.SaveMatterAsync(unit, matter));
        return TypedResults.Ok(ReferenceApi.ToDto(county.Catalog, county.Catalog.FindMatter(code)!));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RetireMatter(
        string code, ClaimsPrincipal principal, WhistleDatabase database, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(principal);
        if (SupervisorOnly(user) is { } forbidden) return forbidden;
        if (county.Catalog.FindActiveMatter(code) is not { } matter) return CommandResults.NotFoundProblem();
        await ChangeAsync(database, county, user, time, "matter", code, "retired", ReferenceApi.ToDto(county.Catalog, matter), ct, unit => CountyStore.RetireMatterAsync(unit, code));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AgencyDto>, ValidationProblem, ProblemHttpResult>> RenameAgency(
        string code, RenameAgencyRequest request, ClaimsPrincipal principal, WhistleDatabase database, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(principal);
        if (SupervisorOnly(user) is { } forbidden) return forbidden;
        if (county.Catalog.FindAgency(code) is not { } agency) return CommandResults.NotFoundProblem();
        var errors = new Dictionary<string, string[]>();
        WhistleValidation.Text(errors, "name", request.Name, 200, required: true);
        WhistleValidation.Text(errors, "nameEn", request.NameEn, 200, required: true);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
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
                await unit.Connection.ExecuteAsync(
                    InsertAuditSql,
                    new
                    {
                        At = now,
                        user.UserName,
                        user.DisplayName,
                        Entity = entity,
                        Key = key,
                        Action = action,
                        Before = before is null ? null : JsonSerializer.Serialize(before, MessageTypes.Json),
                        After = AfterJson(entity, key, preview),
                    },
                    unit.Transaction);
                await Outbox.AddAsync(unit, new CountyChanged(version), now);
                unit.Complete();
                return 0;
            },
            ct);
        await county.ReloadAsync(database, ct);
    }

    private static string? AfterJson(string entity, string key, CountyCatalog catalog) => entity switch
    {
        "matter" when catalog.FindActiveMatter(key) is { } m => JsonSerializer.Serialize(ReferenceApi.ToDto(catalog, m), MessageTypes.Json),
        "agency" when catalog.FindAgency(key) is { } a => JsonSerializer.Serialize(new AgencyDto(a.Code, a.Name, a.NameEn, catalog.AgencyHasBranches(a.Code)), MessageTypes.Json),
        _ => null,
    };

    private static async Task<Results<Ok<PageDto<AuditEntryDto>>, ValidationProblem, ProblemHttpResult>> Audit(
        ClaimsPrincipal principal, WhistleDatabase database, CancellationToken ct, int page = 1, int pageSize = 50)
    {
        var user = CurrentUser.From(principal);
        if (SupervisorOnly(user) is { } forbidden) return forbidden;
        var errors = WhistlesApi.Paging(null, page, pageSize);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(await database.ReadAsync(
            async c =>
            {
                var total = await c.ExecuteScalarAsync<int>(CountAuditSql);
                var rows = await c.QueryAsync<AuditRow>(database.Sql(AuditPageSqlite, AuditPageSqlServer), new { Skip = (page - 1) * pageSize, Take = pageSize });
                static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
                return new PageDto<AuditEntryDto>(
                    rows.Select(r => new AuditEntryDto(r.Id, r.At, r.UserName, r.DisplayName, r.Entity, r.EntityKey, r.Action, Parse(r.BeforeJson), Parse(r.AfterJson))).ToList(),
                    page, pageSize, total);
            },
            ct));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex MatterCode();
}
