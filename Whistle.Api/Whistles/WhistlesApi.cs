using Whistle.Core.Problems;
using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Contracts;
using Whistle.Core.Hosting;
using Whistle.Core.Domain;
using Whistle.Core.Telemetry;
using Whistle.Core.Whistles;

namespace Whistle.Api.Whistles;

/// <summary>PRODUCT.md §5, whistles.</summary>
public static class WhistlesApi
{
    public const string RaiseRateLimit = "raise";

    public static IEndpointRouteBuilder MapWhistlesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/whistles").RequireAuthorization(RolePolicies.Business).WithTags("Whistles").ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithWhistleScope();
        api.MapPost("/", Raise).RequireRateLimiting(RaiseRateLimit).WithName("RaiseWhistle").ProducesCommand()
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapGet("/", List).WithName("ListWhistles");
        api.MapGet("/{id}", Get).WithName("GetWhistle");
        api.MapPost("/{id}/cancel", (string id, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.CancelAsync(caller, id, ct))).WithName("CancelWhistle").ProducesTransition();
        api.MapPost("/{id}/confirm", (string id, ConfirmWhistleRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.ConfirmAsync(caller, id, request, ct))).WithName("ConfirmWhistle").ProducesTransition();
        api.MapPost("/{id}/reopen", (string id, ReopenWhistleRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.ReopenAsync(caller, id, request, ct))).WithName("ReopenWhistle").ProducesTransition();
        api.MapPost("/{id}/attachments", (string id, AddAttachmentsRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.AddAttachmentsAsync(caller, id, request, ct))).WithName("AddWhistleAttachments").ProducesTransition();
        api.MapPost("/{id}/assignments", (string id, AddAssignmentRequest request, HttpContext http, WhistleStore whistles, WhistleQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => whistles.AddUnitAsync(caller, id, request, ct))).WithName("AddAssignment").ProducesTransition();
        return app;
    }

    /// <summary>A command of the whistle's owner for this caller; on success, the whistle as it now is.</summary>
    public static Task<Results<Ok<WhistleDto>, ValidationProblem, ProblemHttpResult>> Execute(
        HttpContext http, WhistleQueries queries, Func<Caller, Task<CommandResult<string>>> command)
    {
        var caller = CurrentUser.From(http);
        return command(caller).ThenRead(whistleId => queries.GetAsync(caller, whistleId, http.RequestAborted));
    }

    private static async Task<Results<Created<WhistleDto>, Ok<WhistleDto>, ValidationProblem, ProblemHttpResult>> Raise(
        RaiseWhistleRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        HttpContext http,
        WhistleStore whistles,
        WhistleQueries queries,
        CancellationToken ct)
    {
        var caller = CurrentUser.From(http);
        var result = await whistles.RaiseAsync(caller, request, string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey, ct);
        return await RaisedAsync(result, caller, queries, ct);
    }

    /// <summary>
    /// A raise's outcome as HTTP — the one mapping of <c>POST /api/whistles</c> and <c>POST /api/work-requests</c>, so the
    /// two cannot drift: 201 with the whistle (a replayed <c>Idempotency-Key</c> too: the first whistle), 400, 403, 409
    /// (<c>idempotency-key-reused</c>), 413; 404 only when the whistle cannot be read back. A new whistle without photos
    /// is answered from what the raise wrote (issue 15: no read after the write); any other is read back.
    /// </summary>
    public static async Task<Results<Created<WhistleDto>, Ok<WhistleDto>, ValidationProblem, ProblemHttpResult>> RaisedAsync(
        CommandResult<RaisedWhistle> result, Caller caller, WhistleQueries queries, CancellationToken ct)
    {
        if (result is CommandResult<RaisedWhistle>.Success raised)
        {
            Activity.Current?.SetTag(WhistleTelemetry.WhistleIdTag, raised.Value.Id);
        }

        return result switch
        {
            CommandResult<RaisedWhistle>.Success s when (Written(s.Value) ?? await queries.GetAsync(caller, s.Value.Id, ct)) is { } whistle => TypedResults.Created($"/api/whistles/{whistle.Id}", whistle),
            CommandResult<RaisedWhistle>.Invalid i => ProblemResults.Validation(i.Errors),
            CommandResult<RaisedWhistle>.Forbidden f => ProblemResults.Forbidden(f.Problem),
            CommandResult<RaisedWhistle>.Conflict c => ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", c.Problem),
            CommandResult<RaisedWhistle>.TooLarge l => ProblemResults.TooLarge(l.Problem),
            _ => CommandResults.NotFoundProblem(),
        };
    }

    /// <summary>The whistle as its raise wrote it — no duties yet, its one event, no photos — when the raise knows it whole.</summary>
    private static WhistleDto? Written(RaisedWhistle raised) =>
        raised is { Row: { } row, Event: { } e }
            ? WhistleDto.From(row, [], [new TimelineEntryDto(e.Sequence, e.Type, e.OccurredAt, e.Actor, e.AssignmentId, e.Note)])
            : null;

    /// <summary>
    /// The whistles the caller may see, newest first; filtered (each filter only when given) by township, a unit with a
    /// duty on the whistle (<paramref name="agencyCode"/>, <paramref name="branchId"/>), raised in [from, to), a text
    /// (<paramref name="q"/>: title, address, description, or the id) and overdue only.
    /// </summary>
    private static async Task<Results<Ok<PageDto<WhistleDto>>, ValidationProblem>> List(
        HttpContext http,
        WhistleQueries queries,
        CountyCatalogHolder county,
        CancellationToken ct,
        string? status = "open",
        int page = 1,
        int pageSize = 20,
        string? townshipId = null,
        string? agencyCode = null,
        string? branchId = null,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        string? q = null,
        bool overdue = false,
        string? level = null,
        string? departmentId = null,
        string? institutionId = null,
        string? unitId = null,
        string? relationId = null)
    {
        var errors = Paging(status, page, pageSize);
        var catalog = county.Catalog;
        townshipId = string.IsNullOrWhiteSpace(townshipId) ? null : townshipId;
        agencyCode = string.IsNullOrWhiteSpace(agencyCode) ? null : agencyCode;
        branchId = string.IsNullOrWhiteSpace(branchId) ? null : branchId;
        if (townshipId is not null && catalog.FindTownship(townshipId) is null) errors.Set("townshipId", Problem.Unknown("townshipId", townshipId, $"'{townshipId}' is no township of the county."));
        if (agencyCode is not null && catalog.FindAgency(agencyCode) is null) errors.Set("agencyCode", Problem.Unknown("agencyCode", agencyCode, $"'{agencyCode}' is no agency of the county."));
        if (branchId is not null && catalog.FindBranch(branchId) is null) errors.Set("branchId", Problem.Unknown("branchId", branchId, $"'{branchId}' is no branch of the county."));
        level = string.IsNullOrWhiteSpace(level) ? null : level;
        departmentId = string.IsNullOrWhiteSpace(departmentId) ? null : departmentId;
        institutionId = string.IsNullOrWhiteSpace(institutionId) ? null : institutionId;
        unitId = string.IsNullOrWhiteSpace(unitId) ? null : unitId;
        relationId = string.IsNullOrWhiteSpace(relationId) ? null : relationId;
        if (level is not (null or WhistleLevel.Township or WhistleLevel.City)) errors.Set("level", Problem.OneOf("level", [WhistleLevel.Township, WhistleLevel.City], "The level is township or city."));
        if (departmentId is not null && catalog.FindDepartment(departmentId) is null) errors.Set("departmentId", Problem.Unknown("departmentId", departmentId, $"'{departmentId}' is no department of the city."));
        if (institutionId is not null && catalog.FindInstitution(institutionId) is null) errors.Set("institutionId", Problem.Unknown("institutionId", institutionId, $"'{institutionId}' is no institution of the city."));
        if (unitId is not null && catalog.FindUnit(unitId) is null) errors.Set("unitId", Problem.Unknown("unitId", unitId, $"'{unitId}' is no office or linked branch of an institution of the city."));
        if (relationId is not null && catalog.FindRelation(relationId) is null) errors.Set("relationId", Problem.Unknown("relationId", relationId, $"'{relationId}' is no relation of the city."));
        if (from is not null && to is not null && to <= from) errors.Set("to", Problem.EndBeforeStart());
        WhistleValidation.Text(errors, "q", q, WhistleValidation.TitleMax, required: false);
        if (errors.Count > 0) return ProblemResults.Validation(errors);
        var filter = new WhistleFilter(townshipId, agencyCode, branchId, from, to, q, overdue, level, departmentId, institutionId, unitId, relationId);
        return TypedResults.Ok(await queries.ListAsync(CurrentUser.From(http), status ?? "open", filter, page, pageSize, ct));
    }

    public static FieldErrors Paging(string? status, int page, int pageSize)
    {
        var errors = new FieldErrors();
        if (status is not (null or "open" or "closed" or "all")) errors.Set("status", Problem.OneOf("status", ["open", "closed", "all"], "The status must be open, closed or all."));
        if (page < 1) errors.Set("page", Problem.OutOfRange("page", 1, int.MaxValue, "The page starts at 1."));
        if (pageSize is < 1 or > WhistleQueries.MaxPageSize) errors.Set("pageSize", Problem.OutOfRange("pageSize", 1, WhistleQueries.MaxPageSize, $"The page size must be between 1 and {WhistleQueries.MaxPageSize}."));
        return errors;
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    private static async Task<Results<Ok<WhistleDto>, ProblemHttpResult>> Get(string id, HttpContext http, WhistleQueries queries, CancellationToken ct)
    {
        var whistle = await queries.GetAsync(CurrentUser.From(http), id, ct);
        return whistle is null ? CommandResults.NotFoundProblem() : TypedResults.Ok(whistle);
    }
}
