using Whistle.Core.Problems;
using System.Text.RegularExpressions;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Core.County;

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
/// Whistle list upkeep (the system administrator, 系统管理员): matters, agencies' names and limits change, each change
/// in one transaction with its audit row and the <c>CountyChanged</c> message (every instance reloads), written by the
/// county's owner (<see cref="CountyStore"/>). Deadlines are fixed when a whistle is dispatched, so a change applies to
/// whistles raised after it and never rewrites a past one.
/// </summary>
public sealed partial class WhistleListUpkeep(WhistleDatabase database, CountyCatalogHolder county, TimeProvider time)
{
    public async Task<CommandResult<MatterDto>> SaveMatterAsync(Caller caller, string code, SaveMatterRequest request, CancellationToken ct)
    {
        var catalog = county.Catalog;
        var errors = new FieldErrors();
        if (!MatterCode().IsMatch(code)) errors.Set("code", Problem.CodeFormat("code", "A matter code is 2–64 lowercase letters, digits and hyphens."));
        foreach (var (field, value) in new[] { ("name", request.Name), ("nameEn", request.NameEn), ("category", request.Category), ("categoryEn", request.CategoryEn) })
        {
            WhistleValidation.Text(errors, field, value, 100, required: true);
        }

        MatterLimit? Limit(string urgency) =>
            request.Limits is not null && request.Limits.TryGetValue(urgency, out var l) ? new MatterLimit(l.ReportWithinMinutes, l.ResolveWithinMinutes) : null;
        if (request.Limits is null || Urgency.All.Any(u => Limit(u) is null)) errors.Set("limits", Problem.Required("limits", "Give limits for routine, urgent and emergency."));
        if (request.Agencies is null || request.Agencies.Count == 0) errors.Set("agencies", Problem.Required("agencies", "Name the lead agency, and any co-handling ones."));
        if (errors.Count > 0) return new CommandResult<MatterDto>.Invalid(errors);

        var matter = new MatterInfo(
            code, request.Name!.Trim(), request.NameEn!.Trim(), request.Category!.Trim(), request.CategoryEn!.Trim(),
            request.Agencies!, new MatterLimits(Limit(Urgency.Routine)!, Limit(Urgency.Urgent)!, Limit(Urgency.Emergency)!));
        var problems = CountyCatalog.ValidateMatter(matter, catalog.Definition.Agencies.Select(a => a.Code).ToHashSet()).ToList();
        if (problems.Count > 0)
        {
            var invalid = new FieldErrors();
            if (problems.Where(p => !p.Contains("limits", StringComparison.Ordinal)).ToList() is { Count: > 0 } agencies)
            {
                invalid.Set("agencies", Problem.MatterAgencies(agencies[0]));
                invalid["agencies"] = [.. agencies];
            }

            if (problems.Where(p => p.Contains("limits", StringComparison.Ordinal)).ToList() is { Count: > 0 } limits)
            {
                invalid.Set("limits", Problem.MatterLimits(limits[0]));
                invalid["limits"] = [.. limits];
            }

            return new CommandResult<MatterDto>.Invalid(invalid);
        }

        var before = catalog.FindMatter(code);
        await ChangeAsync(caller, "matter", code, before is null ? "created" : "changed", before is null ? null : CountyViews.Matter(catalog, before), ct, unit => CountyStore.SaveMatterAsync(unit, matter));
        return new CommandResult<MatterDto>.Success(CountyViews.Matter(county.Catalog, county.Catalog.FindMatter(code)!));
    }

    /// <summary>Takes a matter off the whistle list (its whistles stay); not found when it is not on it.</summary>
    public async Task<CommandResult<string>> RetireMatterAsync(Caller caller, string code, CancellationToken ct)
    {
        if (county.Catalog.FindActiveMatter(code) is not { } matter) return new CommandResult<string>.NotFound();
        await ChangeAsync(caller, "matter", code, "retired", CountyViews.Matter(county.Catalog, matter), ct, unit => CountyStore.RetireMatterAsync(unit, code));
        return new CommandResult<string>.Success(code);
    }

    public async Task<CommandResult<AgencyDto>> RenameAgencyAsync(Caller caller, string code, RenameAgencyRequest request, CancellationToken ct)
    {
        if (county.Catalog.FindAgency(code) is not { } agency) return new CommandResult<AgencyDto>.NotFound();
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "name", request.Name, 200, required: true);
        WhistleValidation.Text(errors, "nameEn", request.NameEn, 200, required: true);
        if (errors.Count > 0) return new CommandResult<AgencyDto>.Invalid(errors);
        await ChangeAsync(caller, "agency", code, "changed", CountyViews.Agency(county.Catalog, agency), ct, unit => CountyStore.RenameAgencyAsync(unit, code, request.Name!.Trim(), request.NameEn!.Trim()));
        return new CommandResult<AgencyDto>.Success(CountyViews.Agency(county.Catalog, county.Catalog.FindAgency(code)!));
    }

    /// <summary>Applies a change with its audit row and the CountyChanged message in one transaction; the county it loads there becomes this instance's catalog.</summary>
    private async Task ChangeAsync(Caller caller, string entity, string key, string action, object? before, CancellationToken ct, Func<UnitOfWork, Task> change)
    {
        var now = time.GetUtcNow();
        var (committedVersion, committed) = await database.WriteAsync(
            async unit =>
            {
                await change(unit);
                var version = await CountyStore.BumpVersionAsync(unit);
                var preview = new CountyCatalog(await CountyStore.LoadAsync(unit.Connection, unit.Transaction));
                await AuditTrail.WriteAsync(unit, caller.Audit, entity, key, action, before, After(entity, key, preview), now);
                await Outbox.AddAsync(unit, new CountyChanged(version), now);
                unit.Complete();
                return (version, preview);
            },
            ct);
        county.Install(committed, committedVersion);
    }

    private static object? After(string entity, string key, CountyCatalog catalog) => entity switch
    {
        "matter" when catalog.FindActiveMatter(key) is { } m => CountyViews.Matter(catalog, m),
        "agency" when catalog.FindAgency(key) is { } a => CountyViews.Agency(catalog, a),
        _ => null,
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex MatterCode();
}
