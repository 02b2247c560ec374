using System.Security.Cryptography;
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

/// <summary>
/// A notice channel as the API (and the audit trail) shows it: its URL masked — host and path kept, tokens and query
/// values cut to their last four characters — and never its secret, only whether it has one.
/// </summary>
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
        api.MapPost("/{id}/test", Test).WithName("TestNoticeChannel").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    /// <summary>A stored (encrypted) row as the API and the audit trail show it.</summary>
    public static NoticeChannelDto ToDto(NoticeChannelRow stored, NoticeSecrets secrets) =>
        new(stored.Id, stored.UnitKind, stored.UnitId, stored.Kind, secrets.MaskedUrl(stored), !string.IsNullOrEmpty(stored.Secret), stored.EventList, stored.CreatedAt, stored.UpdatedAt);

    private static async Task<Results<Ok<IReadOnlyList<NoticeChannelDto>>, ProblemHttpResult>> List(HttpContext http, WhistleDatabase database, NoticeSecrets secrets, CancellationToken ct)
    {
        var rows = await database.ReadAsync(NoticeStore.ListChannelsAsync, ct);
        return TypedResults.Ok<IReadOnlyList<NoticeChannelDto>>(rows.Select(r => ToDto(r, secrets)).ToList());
    }

    private static async Task<Results<Ok<NoticeChannelDto>, ProblemHttpResult>> Get(string id, HttpContext http, WhistleDatabase database, NoticeSecrets secrets, CancellationToken ct)
    {
        var row = await database.ReadAsync(c => NoticeStore.GetChannelAsync(c, id), ct);
        return row is null ? CommandResults.NotFoundProblem() : TypedResults.Ok(ToDto(row, secrets));
    }

    private static async Task<Results<Ok<NoticeChannelDto>, ValidationProblem, ProblemHttpResult>> Save(
        string id, SaveNoticeChannelRequest request, HttpContext http, WhistleDatabase database, CountyCatalogHolder county, NoticeSecrets secrets,
        NoticeAddressPolicy policy, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        var errors = Validate(id, request, county, policy);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var now = time.GetUtcNow();
        var (saved, problems) = await database.WriteAsync(
            async unit =>
            {
                var before = await NoticeStore.GetChannelAsync(unit.Connection, id, unit.Transaction);
                NoticeChannelRow? previous;
                try
                {
                    previous = before is null ? null : secrets.Reveal(before);
                }
                catch (CryptographicException)
                {
                    previous = null; // its key is gone: the URL (and a secret) must be given again
                }

                // The URL omitted, or sent back masked as the API showed it: the stored one stays (checked again: it may predate the rules).
                var url = request.Url is null || (before is not null && request.Url.Trim() == secrets.MaskedUrl(before)) ? previous?.Url : request.Url.Trim();
                var problems = new Dictionary<string, string[]>();
                if (url is null) problems["url"] = ["Give the robot's or webhook's address."];
                else if (NoticeUrls.Refusal(request.Kind!, url, policy) is { } refusal) problems["url"] = [refusal];
                if (request.Secret is null && before?.Secret is not null && previous is null) problems["secret"] = ["The stored secret cannot be decrypted: give it again."];
                if (problems.Count > 0) return (null, problems);

                var row = secrets.Protect(new NoticeChannelRow
                {
                    Id = id,
                    UnitKind = request.UnitKind!,
                    UnitId = request.UnitId!.Trim(),
                    Kind = request.Kind!,
                    Url = url!,
                    // Omitted: keep the secret; empty: remove it.
                    Secret = request.Secret is null ? previous?.Secret : request.Secret.Length == 0 ? null : request.Secret,
                    Events = string.Join(',', NoticeVocabulary.Events.Where(request.Events!.Contains)),
                    CreatedAt = before?.CreatedAt ?? now,
                    UpdatedAt = now,
                });
                await NoticeStore.SaveChannelAsync(unit, row, before is not null);
                // Audited as the API shows it: the URL masked, the secret only as hasSecret.
                await AuditTrail.WriteAsync(
                    unit, user.Audit, "notice-channel", id, before is null ? "created" : "changed", before is null ? null : ToDto(before, secrets), ToDto(row, secrets), now);
                unit.Complete();
                return ((NoticeChannelRow?)row, problems);
            },
            ct);
        return saved is null ? TypedResults.ValidationProblem(problems) : TypedResults.Ok(ToDto(saved, secrets));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, WhistleDatabase database, NoticeSecrets secrets, TimeProvider time, CancellationToken ct)
    {
        var user = CurrentUser.From(http);
        var deleted = await database.WriteAsync(
            async unit =>
            {
                var before = await NoticeStore.GetChannelAsync(unit.Connection, id, unit.Transaction);
                if (before is null) return false;
                await NoticeStore.DeleteChannelAsync(unit, id);
                await AuditTrail.WriteAsync(unit, user.Audit, "notice-channel", id, "deleted", ToDto(before, secrets), null, time.GetUtcNow());
                unit.Complete();
                return true;
            },
            ct);
        return deleted ? TypedResults.NoContent() : CommandResults.NotFoundProblem();
    }

    /// <summary>202: the test notice is queued; the delivery log (<c>GET …/deliveries</c>) shows it sent or why not. 409: one is still on its way.</summary>
    private static async Task<Results<Accepted, ProblemHttpResult>> Test(string id, HttpContext http, NoticeTestCommand command, CancellationToken ct) =>
        await command.QueueAsync(CurrentUser.From(http), id, ct) switch
        {
            NoticeTestCommand.Outcome.Queued => TypedResults.Accepted($"/api/notice-channels/{id}/deliveries"),
            NoticeTestCommand.Outcome.AlreadyPending => TypedResults.Problem(
                title: "Conflict", detail: "A test notice of this channel is still on its way; its outcome will be in the delivery log.", statusCode: StatusCodes.Status409Conflict),
            _ => CommandResults.NotFoundProblem(),
        };

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

    private static Dictionary<string, string[]> Validate(string id, SaveNoticeChannelRequest request, CountyCatalogHolder county, NoticeAddressPolicy policy)
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
        // Omitted (on a change): the stored URL stays; it is checked with the stored one at hand.
        if (request.Url is not null && NoticeUrls.Refusal(errors.ContainsKey("kind") ? NoticeVocabulary.Webhook : request.Kind!, request.Url, policy) is { } refusal)
        {
            errors["url"] = [refusal];
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
