using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Problems;
using Whistle.Core.Storage;

namespace Whistle.Core.County;

public sealed record RecordMechanismRequest(string? Title, string? Body, string? Reference);

/// <summary>
/// Upkeep of a relation's mechanism (issue 17): the relation's lead department or the establishment office records (or
/// updates) one of its records — in one transaction with its audit row, the <c>CountyChanged</c> message (every
/// instance reloads the catalog), the <c>MechanismRecorded</c> event, and the closing of the office's follow-ups once
/// the mechanism is complete (<see cref="FollowUpStore.CloseIfCompleteAsync"/>). Written by the owners
/// (<see cref="CityStore.RecordMechanismAsync"/>, <see cref="FollowUpStore"/>).
/// </summary>
public sealed class CityUpkeep(WhistleDatabase database, CountyCatalogHolder county, TimeProvider time)
{
    public const int TitleMax = 200;
    public const int BodyMax = 10_000;
    public const int ReferenceMax = 400;

    public async Task<CommandResult<string>> RecordMechanismAsync(Caller caller, string relationId, string kind, RecordMechanismRequest request, CancellationToken ct)
    {
        await county.RefreshIfStaleAsync(database, ct);
        var catalog = county.Catalog;
        if (catalog.FindRelation(relationId) is not { } relation || !CityViews.CanSee(catalog, caller, relation)) return new CommandResult<string>.NotFound();
        var keeper = caller.Role == Roles.EstablishmentOffice || (caller.Role == Roles.Department && caller.OrgId == relation.LeadDepartmentId);
        if (!keeper) return new CommandResult<string>.Forbidden(Problem.MechanismKeepers());
        var errors = new FieldErrors();
        if (!MechanismKind.All.Contains(kind)) errors.Set("kind", Problem.OneOf("kind", MechanismKind.All, $"The kind is one of {string.Join(", ", MechanismKind.All)}."));
        else if (kind == MechanismKind.WorkItems) errors.Set("kind", Problem.MechanismNotExpected(kind, relation.Kind));
        WhistleValidation.Text(errors, "title", request.Title, TitleMax, required: true);
        WhistleValidation.Text(errors, "body", request.Body, BodyMax, required: false, multiLine: true);
        WhistleValidation.Text(errors, "reference", request.Reference, ReferenceMax, required: false);
        if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);

        var record = new MechanismInfo(kind, request.Title!.Trim(), string.IsNullOrWhiteSpace(request.Body) ? null : request.Body.Trim(),
            string.IsNullOrWhiteSpace(request.Reference) ? null : request.Reference.Trim());
        var before = relation.MechanismsOrEmpty.FirstOrDefault(m => m.Kind == kind);
        var now = time.GetUtcNow();
        // The county as committed, loaded once in the transaction: it judges the follow-ups, and this instance takes it
        // as its catalog (the others reload on CountyChanged).
        var (committedVersion, committed) = await database.WriteAsync(
            async unit =>
            {
                await CityStore.RecordMechanismAsync(unit, relation.Id, record, caller.UserName, now);
                var version = await CountyStore.BumpVersionAsync(unit);
                var preview = new CountyCatalog(await CountyStore.LoadAsync(unit.Connection, unit.Transaction));
                var after = preview.FindRelation(relation.Id)!;
                await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.RelationMechanism, $"{relation.Id}/{kind}", AuditActions.Recorded, before, record, now);
                await Outbox.AddAsync(unit, new CountyChanged(version), now);
                await Timeline.AppendAsync(
                    unit,
                    new WhistleEvent(0, WhistleEventTypes.MechanismRecorded, relation.Id, null, now, caller.Actor, null, null, kind),
                    Audience(after),
                    now);
                await FollowUpStore.CloseIfCompleteAsync(unit, after, caller, now);
                unit.Complete();
                return (version, preview);
            },
            ct);
        county.Install(committed, committedVersion);
        return new CommandResult<string>.Success(relation.Id);
    }

    /// <summary>Who hears of a relation's mechanism: the county, the city (the office), its departments and its institution.</summary>
    public static IReadOnlyList<string> Audience(RelationInfo relation) =>
        new[] { AudienceGroups.County, AudienceGroups.City, AudienceGroups.Institution(relation.InstitutionId) }
            .Concat(relation.Departments.Select(d => AudienceGroups.Department(d.DepartmentId)))
            .Distinct(StringComparer.Ordinal)
            .ToList();
}
