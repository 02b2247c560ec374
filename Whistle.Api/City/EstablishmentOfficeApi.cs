using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Api.Whistles;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Problems;

namespace Whistle.Api.City;

/// <summary>
/// The establishment office (编办, issue 17): its view of every relation (mechanism, activity, figures), its follow-ups
/// (督促建立机制) to a pair whose mechanism is missing and their answers, and the upkeep of a relation's mechanism records
/// (the relation's lead department or the office). Rules in <see cref="FollowUpStore"/> and <see cref="CityUpkeep"/>.
/// </summary>
public static class EstablishmentOfficeApi
{

    public static IEndpointRouteBuilder MapEstablishmentOfficeApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/city").RequireAuthorization(RolePolicies.City).WithTags("City level").ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/office", View).WithName("GetEstablishmentOfficeView").RequireAuthorization(RolePolicies.EstablishmentOffice)
            .WithSummary("Every relation: its mechanism (recorded / missing), its activity and figures in the period, its open follow-up.");
        api.MapGet("/follow-ups", List).WithName("ListFollowUps").WithSummary("The follow-ups the caller may read (the office, the supervisors: all; a department: those to it; an institution: its own).");
        api.MapGet("/follow-ups/{id}", Get).WithName("GetFollowUp").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/follow-ups", Raise).WithName("RaiseFollowUp").ProducesCommand()
            .WithSummary("The establishment office follows up a relation whose mechanism is missing (督促建立机制).");
        api.MapPost("/follow-ups/{id}/reply", (string id, ReplyFollowUpRequest request, HttpContext http, FollowUpStore store, OfficeQueries queries, CountyCatalogHolder county, TimeProvider time, CancellationToken ct) =>
            store.ReplyAsync(CurrentUser.From(http), id, request, ct).ThenRead(x => queries.FollowUpAsync(county.Catalog, CurrentUser.From(http), x, time.GetUtcNow(), ct)))
            .WithName("ReplyFollowUp").ProducesTransition();
        api.MapPut("/relations/{id}/mechanisms/{kind}", (string id, string kind, RecordMechanismRequest request, HttpContext http, CityUpkeep upkeep, CountyCatalogHolder county, CancellationToken ct) =>
            upkeep.RecordMechanismAsync(CurrentUser.From(http), id, kind, request, ct)
                .ThenRead(x => Task.FromResult<RelationDto?>(county.Catalog.FindRelation(x) is { } r ? CityViews.Relation(county.Catalog, r) : null)))
            .WithName("RecordRelationMechanism").ProducesTransition()
            .WithSummary("Records (or updates) one record of a relation's mechanism: its lead department or the establishment office.");
        return app;
    }

    private static async Task<Results<Ok<OfficeViewDto>, ValidationProblem>> View(
        HttpContext http, OfficeQueries queries, CountyCatalogHolder county, TimeProvider time, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var now = time.GetUtcNow();
        var end = to ?? now;
        var start = from ?? end.AddDays(-30);
        var errors = DateRanges.Check(start, end);
        if (errors.Count > 0) return ProblemResults.Validation(errors);
        return TypedResults.Ok(await queries.ViewAsync(county.Catalog, CurrentUser.From(http), start, end, now, ct));
    }

    private static async Task<Results<Ok<IReadOnlyList<FollowUpDto>>, ValidationProblem>> List(
        HttpContext http, OfficeQueries queries, CountyCatalogHolder county, TimeProvider time, CancellationToken ct, string? status = null)
    {
        if (status is not null && !FollowUpStatus.All.Contains(status))
        {
            return ProblemResults.Validation(FieldErrors.Of("status", Problem.OneOf("status", FollowUpStatus.All, "open, answered or closed.")));
        }

        return TypedResults.Ok(await queries.FollowUpsAsync(county.Catalog, CurrentUser.From(http), status, time.GetUtcNow(), ct));
    }

    private static async Task<Results<Ok<FollowUpDto>, ProblemHttpResult>> Get(string id, HttpContext http, OfficeQueries queries, CountyCatalogHolder county, TimeProvider time, CancellationToken ct) =>
        await queries.FollowUpAsync(county.Catalog, CurrentUser.From(http), id, time.GetUtcNow(), ct) is { } dto ? TypedResults.Ok(dto) : CommandResults.NotFoundProblem();

    private static async Task<Results<Created<FollowUpDto>, ValidationProblem, ProblemHttpResult>> Raise(
        RaiseFollowUpRequest request, HttpContext http, FollowUpStore store, OfficeQueries queries, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var caller = CurrentUser.From(http);
        var result = await store.RaiseAsync(caller, request, ct);
        if (result is CommandResult<string>.Success s)
        {
            var dto = (await queries.FollowUpAsync(county.Catalog, caller, s.Value, time.GetUtcNow(), ct))!;
            return TypedResults.Created($"/api/city/follow-ups/{dto.Id}", dto);
        }

        return CommandResults.Problem<string, FollowUpDto>(result).Result switch
        {
            ValidationProblem v => v,
            ProblemHttpResult p => p,
            _ => throw new InvalidOperationException("Not a problem."),
        };
    }
}
