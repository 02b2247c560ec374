using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Notices;
using Whistle.Core.Storage;

namespace Whistle.Api.Notices;

public sealed record SaveNoticeChannelRequest(string? UnitKind, string? UnitId, string? Kind, string? Url, string? Secret, IReadOnlyList<string>? Events);

/// <summary>A notice channel as the API shows it: never its secret, only whether it has one.</summary>
public sealed record NoticeChannelDto(
    string Id, string UnitKind, string UnitId, string Kind, string Url, bool HasSecret, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record NoticeAttemptDto(int Attempt, DateTimeOffset AttemptedAt, int? StatusCode, string? Error, int DurationMs);

public sealed record NoticeDeliveryDto(
    string Id, long Sequence, string EventType, string Status, int Attempts, DateTimeOffset? NextAttemptAt, string? LastError,
    DateTimeOffset? SentAt, DateTimeOffset CreatedAt, IReadOnlyList<NoticeAttemptDto> AttemptLog);

/// <summary>
/// Notice channels (supervisors): where an agency's or a branch's new, reassigned, reminded and escalated assignments are
/// announced — a WeCom, DingTalk or Feishu group robot, or a signed webhook. Each change is on the audit trail.
/// </summary>
public static partial class NoticeChannelsApi
{
    public static IEndpointRouteBuilder MapNoticeChannelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/notice-channels").RequireAuthorization(RolePolicies.SysAdmin).WithTags("Notice channels")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("", List).WithName("ListNoticeChannels");
        api.MapGet("/{id}", Get).WithName("GetNoticeChannel").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{id}", Save).WithName("SaveNoticeChannel")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapDelete("/{id}", Delete).WithName("DeleteNoticeChannel").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id}/deliveries", Deliveries).WithName("ListNoticeDeliveries").ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static NoticeChannelDto ToDto(NoticeChannelRow r) =>
        new(r.Id, r.UnitKind, r.UnitId, r.Kind, r.Url, !string.IsNullOrEmpty(r.Secret), r.EventList, r.CreatedAt, r.UpdatedAt);

    private static async Task<Results<Ok<IReadOnlyList<NoticeChannelDto>>, ProblemHttpResult>> List(HttpContext http, WhistleDatabase database, CancellationToken ct)
    {
        var rows = await database.ReadAsync(NoticeStore.ListChannelsAsync, ct);
        return TypedResults.Ok<IReadOnlyList<NoticeChannelDto>>(rows.Select(ToDto).ToList());
    }

    private static async Task<Results<Ok<NoticeChannelDto>, ProblemHttpResult>> Get(string id, HttpContext http, WhistleDatabase database, CancellationToken ct)
    {
        var row = await database.ReadAsync(c => NoticeStore.GetChannelAsync(c, id), ct);
        return row is null ? CommandResults.NotFoundProblem() : TypedResults.Ok(ToDto(row));
    }

    private static async Task<Results<Ok<NoticeChannelDto>, ValidationProblem, ProblemHttpResult>> Save(
        string id, SaveNoticeChannelRequest request, HttpContext http, WhistleDatabase database, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        var errors = Validate(id, request, county);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var now = time.GetUtcNow();
        var saved = await database.WriteAsync(
            async unit =>
            {
                var before = await NoticeStore.GetChannelAsync(unit.Connection, id, unit.Transaction);
                var row = new NoticeChannelRow
                {
                    Id = id,
                    UnitKind = request.UnitKind!,
                    UnitId = request.UnitId!.Trim(),
                    Kind = request.Kind!,
                    Url = request.Url!.Trim(),
                    // Omitted: keep the secret; empty: remove it.
                    Secret = request.Secret is null ? before?.Secret : request.Secret.Length == 0 ? null : request.Secret,
                    Events = string.Join(',', NoticeVocabulary.Events.Where(request.Events!.Contains)),
                    CreatedAt = before?.CreatedAt ?? now,
                    UpdatedAt = now,
                };
                await NoticeStore.SaveChannelAsync(unit, row, before is not null);
                await AuditTrail.WriteAsync(unit, user.Audit, "notice-channel", id, before is null ? "created" : "changed", before is null ? null : ToDto(before), ToDto(row), now);
                unit.Complete();
                return row;
            },
            ct);
        return TypedResults.Ok(ToDto(saved));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, WhistleDatabase database, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        var deleted = await database.WriteAsync(
            async unit =>
            {
                var before = await NoticeStore.GetChannelAsync(unit.Connection, id, unit.Transaction);
                if (before is null) return false;
                await NoticeStore.DeleteChannelAsync(unit, id);
                await AuditTrail.WriteAsync(unit, user.Audit, "notice-channel", id, "deleted", ToDto(before), null, time.GetUtcNow());
                unit.Complete();
                return true;
            },
            ct);
        return deleted ? TypedResults.NoContent() : CommandResults.NotFoundProblem();
    }

    private static async Task<Results<Ok<IReadOnlyList<NoticeDeliveryDto>>, ProblemHttpResult>> Deliveries(
        string id, HttpContext http, WhistleDatabase database, CancellationToken ct)
    {
        var result = await database.ReadAsync(
            async c => await NoticeStore.GetChannelAsync(c, id) is null ? null : await NoticeStore.DeliveriesAsync(database, c, id, 200) as (IReadOnlyList<NoticeDeliveryRow>, ILookup<string, NoticeAttemptRow>)?,
            ct);
        if (result is not var (deliveries, attempts)) return CommandResults.NotFoundProblem();
        return TypedResults.Ok<IReadOnlyList<NoticeDeliveryDto>>(deliveries.Select(d => new NoticeDeliveryDto(
            d.Id, d.Sequence, d.EventType, d.Status, d.Attempts, d.NextAttemptAt, d.LastError, d.SentAt, d.CreatedAt,
            attempts[d.Id].Select(a => new NoticeAttemptDto(a.Attempt, a.AttemptedAt, a.StatusCode, a.Error, a.DurationMs)).ToList())).ToList());
    }

    private static Dictionary<string, string[]> Validate(string id, SaveNoticeChannelRequest request, CountyCatalogHolder county)
    {
        var errors = new Dictionary<string, string[]>();
        var catalog = county.Catalog;
        if (!ChannelId().IsMatch(id)) errors["id"] = ["A channel id is 2–64 lowercase letters, digits and hyphens."];
        if (request.UnitKind is not (NoticeVocabulary.Agency or NoticeVocabulary.Branch))
        {
            errors["unitKind"] = ["Say agency or branch."];
        }
        else if (string.IsNullOrWhiteSpace(request.UnitId)
            || (request.UnitKind == NoticeVocabulary.Agency ? catalog.FindAgency(request.UnitId.Trim()) is null : catalog.FindBranch(request.UnitId.Trim()) is null))
        {
            errors["unitId"] = [$"Name an existing {request.UnitKind}: {(request.UnitKind == NoticeVocabulary.Agency ? "an agency code" : "a branch id")}."];
        }

        if (request.Kind is null || !NoticeVocabulary.Kinds.Contains(request.Kind)) errors["kind"] = ["Say wecom, dingtalk, feishu or webhook."];
        if (string.IsNullOrWhiteSpace(request.Url) || request.Url.Length > 2000
            || !Uri.TryCreate(request.Url.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(url.UserInfo))
        {
            errors["url"] = ["Give the robot's or webhook's absolute http(s) address (at most 2000 characters)."];
        }

        if (request.Secret is { Length: > 200 }) errors["secret"] = ["A secret is at most 200 characters."];
        if (request.Events is null || request.Events.Count == 0 || request.Events.Any(e => !NoticeVocabulary.Events.Contains(e)))
        {
            errors["events"] = [$"Name one or more of: {string.Join(", ", NoticeVocabulary.Events)}."];
        }

        return errors;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex ChannelId();
}
