using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Api.Whistles;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Notices;
using Whistle.Core.Problems;
using Whistle.Core.Storage;

namespace Whistle.Api.Notices;

public sealed record NoticeAttemptDto(int Attempt, DateTimeOffset AttemptedAt, int? StatusCode, string? Error, int DurationMs);

public sealed record NoticeDeliveryDto(
    string Id, long Sequence, string EventType, string Status, int Attempts, DateTimeOffset? NextAttemptAt, string? LastError,
    DateTimeOffset? SentAt, DateTimeOffset CreatedAt, IReadOnlyList<NoticeAttemptDto> AttemptLog);

/// <summary>
/// Notice channels (supervisors): where an agency's or a branch's new, reassigned, reminded and escalated assignments are
/// announced — a WeCom, DingTalk or Feishu group robot, or a signed webhook. Each change is on the audit trail.
/// </summary>
public static class NoticeChannelsApi
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

    private static async Task<Ok<IReadOnlyList<NoticeChannelDto>>> List(NoticeStore notices, CancellationToken ct) =>
        TypedResults.Ok(await notices.ListAsync(ct));

    private static async Task<Results<Ok<NoticeChannelDto>, ProblemHttpResult>> Get(string id, NoticeStore notices, CancellationToken ct) =>
        await notices.GetAsync(id, ct) is { } channel ? TypedResults.Ok(channel) : CommandResults.NotFoundProblem();

    private static Task<Results<Ok<NoticeChannelDto>, ValidationProblem, ProblemHttpResult>> Save(
        string id, SaveNoticeChannelRequest request, HttpContext http, NoticeStore notices, CancellationToken ct) =>
        notices.SaveAsync(CurrentUser.From(http), id, request, ct).ToHttp();

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, NoticeStore notices, CancellationToken ct) =>
        await notices.DeleteAsync(CurrentUser.From(http), id, ct) ? TypedResults.NoContent() : CommandResults.NotFoundProblem();

    /// <summary>
    /// 202: the test notice is queued (its commit wakes the notice senders: this process's, and on PostgreSQL every
    /// dispatcher's); the delivery log (<c>GET …/deliveries</c>) shows it sent or why not. 409: one is still on its way.
    /// </summary>
    private static async Task<Results<Accepted, ProblemHttpResult>> Test(string id, HttpContext http, NoticeStore notices, CancellationToken ct) =>
        await notices.QueueTestAsync(CurrentUser.From(http), id, ct) switch
        {
            NoticeStore.TestOutcome.Queued => TypedResults.Accepted($"/api/notice-channels/{id}/deliveries"),
            NoticeStore.TestOutcome.AlreadyPending => ProblemResults.Problem(StatusCodes.Status409Conflict, "Conflict", Problem.NoticeTestPending()),
            _ => CommandResults.NotFoundProblem(),
        };

    private static async Task<Results<Ok<IReadOnlyList<NoticeDeliveryDto>>, ProblemHttpResult>> Deliveries(string id, NoticeStore notices, CancellationToken ct)
    {
        if (await notices.LogAsync(id, 200, ct) is not var (deliveries, attempts)) return CommandResults.NotFoundProblem();
        return TypedResults.Ok<IReadOnlyList<NoticeDeliveryDto>>(deliveries.Select(d => new NoticeDeliveryDto(
            d.Id, d.Sequence, d.EventType, d.Status, d.Attempts, d.NextAttemptAt, d.LastError, d.SentAt, d.CreatedAt,
            attempts[d.Id].Select(a => new NoticeAttemptDto(a.Attempt, a.AttemptedAt, a.StatusCode, a.Error, a.DurationMs)).ToList())).ToList());
    }
}
