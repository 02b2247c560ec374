using Whistle.Core.Problems;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Core.Notices;

/// <summary>The vocabulary of notice channels (issue 7).</summary>
public static class NoticeVocabulary
{
    public const string Agency = "agency";
    public const string Branch = "branch";
    public static readonly IReadOnlyList<string> UnitKinds = [Agency, Branch];

    public const string WeCom = "wecom";
    public const string DingTalk = "dingtalk";
    public const string Feishu = "feishu";
    public const string Webhook = "webhook";
    public static readonly IReadOnlyList<string> Kinds = [WeCom, DingTalk, Feishu, Webhook];

    /// <summary>The events a channel may subscribe to: new, reassigned, reminded and escalated (overdue) assignments.</summary>
    public static readonly IReadOnlyList<string> Events =
    [
        WhistleEventTypes.AssignmentDispatched, WhistleEventTypes.AssignmentReassigned,
        WhistleEventTypes.AssignmentReminded, WhistleEventTypes.AssignmentEscalated,
    ];

    /// <summary>
    /// Whether a channel may want <paramref name="event"/>, an appended event: one of <see cref="Events"/>, of an
    /// assignment. The transaction that records one queues its deliveries (<see cref="NoticeStore.QueueAsync"/>); an
    /// earlier release's push messages, which the dispatcher's notice queue may still receive in a rolling upgrade, are
    /// read for these only.
    /// </summary>
    public static bool MayNotify(WhistleEvent @event) =>
        @event.Sequence > 0 && MayBeWanted(@event);

    /// <summary>As <see cref="MayNotify"/>, of an event not yet appended (its sequence not known yet).</summary>
    public static bool MayBeWanted(WhistleEvent @event) =>
        @event.Assignment is not null && Events.Contains(@event.Type);

    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Failed = "failed";

    /// <summary>
    /// The system administrator's "send a test notice" (issue 13): a delivery of its own (its sequence negative: no
    /// timeline event), sent by the same sender through the same address checks, tried once.
    /// </summary>
    public const string TestEvent = "NoticeTest";
}

/// <summary>
/// One row of <c>notice_channels</c>. As stored, <see cref="Url"/> and <see cref="Secret"/> are encrypted
/// (<see cref="NoticeSecrets"/>); <see cref="NoticeSecrets.Reveal(NoticeChannelRow)"/> gives the row in clear.
/// </summary>
public sealed record NoticeChannelRow
{
    public string Id { get; init; } = "";
    public string UnitKind { get; init; } = "";
    public string UnitId { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Url { get; init; } = "";
    public string? Secret { get; init; }
    public string Events { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public IReadOnlyList<string> EventList => Events.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>One row of <c>notice_deliveries</c>, with its channel.</summary>
public sealed class NoticeDeliveryRow
{
    public string Id { get; init; } = "";
    public string ChannelId { get; init; } = "";
    public long Sequence { get; init; }
    public string EventType { get; init; } = "";
    public string EventJson { get; init; } = "";
    public string Status { get; init; } = "";
    public int Attempts { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>One row of <c>notice_attempts</c>: the delivery log.</summary>
public sealed class NoticeAttemptRow
{
    public string DeliveryId { get; init; } = "";
    public int Attempt { get; init; }
    public DateTimeOffset AttemptedAt { get; init; }
    public int? StatusCode { get; init; }
    public string? Error { get; init; }
    public int DurationMs { get; init; }
}

/// <summary>What the system administrator asks of a notice channel (PUT /api/notice-channels/{id}).</summary>
public sealed record SaveNoticeChannelRequest(string? UnitKind, string? UnitId, string? Kind, string? Url, string? Secret, IReadOnlyList<string>? Events);

/// <summary>
/// A notice channel as the API (and the audit trail) shows it: its URL masked — host and path kept, tokens and query
/// values cut to their last four characters — and never its secret, only whether it has one.
/// </summary>
public sealed record NoticeChannelDto(
    string Id, string UnitKind, string UnitId, string Kind, string Url, bool HasSecret, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A delivery due now, as the sender sees it before claiming it.</summary>
public sealed class DueDelivery
{
    public string Id { get; init; } = "";
    public DateTimeOffset NextAttemptAt { get; init; }
}

/// <summary>
/// The one owner of the notice tables — <c>notice_channels</c>, <c>notice_deliveries</c>, <c>notice_attempts</c>: the
/// system administrator's channels (saved encrypted and checked against the address rules, each change audited as the
/// API shows it), the deliveries the dispatcher's <c>NoticeConsumer</c> queues in its transaction, and the sender's
/// claims, attempts and outcomes. The static members work inside a caller's transaction.
/// </summary>
public sealed partial class NoticeStore(WhistleDatabase database, NoticeSecrets secrets, NoticeAddressPolicy policy, CountyCatalogHolder county, TimeProvider time)
{
    private const string ChannelColumns = """
        id AS Id, unit_kind AS UnitKind, unit_id AS UnitId, kind AS Kind, url AS Url, secret AS Secret, events AS Events,
        created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    private const string DeliveryColumns = """
        id AS Id, channel_id AS ChannelId, sequence AS Sequence, event_type AS EventType, event_json AS EventJson, status AS Status,
        attempts AS Attempts, next_attempt_at AS NextAttemptAt, last_error AS LastError, sent_at AS SentAt, created_at AS CreatedAt
        """;

    private const string ListChannelsSql = $"SELECT {ChannelColumns} FROM notice_channels ORDER BY id;";

    private const string GetChannelSql = $"SELECT {ChannelColumns} FROM notice_channels WHERE id = @Id;";

    // The channels of a message's units (issue 15: one read for every duty a dispatch made, not one a duty).
    private static string ChannelsOfUnitsSql(SqlDialect dialect) => $"""
        SELECT {ChannelColumns} FROM notice_channels
        WHERE (unit_kind = 'agency' AND {dialect.InList("unit_id", "@AgencyCodes")}) OR (unit_kind = 'branch' AND {dialect.InList("unit_id", "@BranchIds")});
        """;

    private const string InsertChannelSql = """
        INSERT INTO notice_channels (id, unit_kind, unit_id, kind, url, secret, events, created_at, updated_at)
        VALUES (@Id, @UnitKind, @UnitId, @Kind, @Url, @Secret, @Events, @CreatedAt, @UpdatedAt);
        """;

    private const string UpdateChannelSql = """
        UPDATE notice_channels SET unit_kind = @UnitKind, unit_id = @UnitId, kind = @Kind, url = @Url, secret = @Secret, events = @Events, updated_at = @UpdatedAt
        WHERE id = @Id;
        """;

    private const string DeleteChannelSql = """
        DELETE FROM notice_attempts WHERE delivery_id IN (SELECT id FROM notice_deliveries WHERE channel_id = @Id);
        DELETE FROM notice_deliveries WHERE channel_id = @Id;
        DELETE FROM notice_channels WHERE id = @Id;
        """;

    /// <summary>Rows an earlier version wrote in clear (see <see cref="NoticeSecrets"/>).</summary>
    private const string PlainChannelsSql = $"""
        SELECT {ChannelColumns} FROM notice_channels
        WHERE url NOT LIKE '{NoticeSecrets.Prefix}%' OR (secret IS NOT NULL AND secret NOT LIKE '{NoticeSecrets.Prefix}%');
        """;

    /// <summary>Only when the row is still as read: of several instances encrypting at once, one rewrites it.</summary>
    private const string EncryptChannelSql = """
        UPDATE notice_channels SET url = @Url, secret = @Secret
        WHERE id = @Id AND url = @PlainUrl AND (secret = @PlainSecret OR (secret IS NULL AND @PlainSecret IS NULL));
        """;

    /// <summary>Once per (channel, event): a repeated WhistleEventRecorded inserts nothing (and the unique index backs it).</summary>
    private static string InsertDeliverySql(SqlDialect dialect) =>
        dialect.InsertIfAbsent(
            "notice_deliveries",
            "id, channel_id, sequence, event_type, event_json, status, attempts, next_attempt_at, created_at",
            "@Id, @ChannelId, @Sequence, @EventType, @EventJson, 'pending', 0, @Now, @Now",
            "channel_id, sequence") + ";";

    private const string DeliveriesSql = $"SELECT {DeliveryColumns} FROM notice_deliveries WHERE channel_id = @ChannelId ORDER BY created_at DESC, sequence DESC";

    private static string LatestDeliveriesSql(SqlDialect dialect) => dialect.Limit(DeliveriesSql) + ";";

    private const string AttemptsOfChannelSql = """
        SELECT t.delivery_id AS DeliveryId, t.attempt AS Attempt, t.attempted_at AS AttemptedAt, t.status_code AS StatusCode, t.error AS Error, t.duration_ms AS DurationMs
        FROM notice_attempts t JOIN notice_deliveries d ON d.id = t.delivery_id
        WHERE d.channel_id = @ChannelId AND d.sequence >= @FromSequence
        ORDER BY t.delivery_id, t.attempt;
        """;

    public static async Task<IReadOnlyList<NoticeChannelRow>> ListChannelsAsync(DbConnection connection) =>
        (await connection.QueryAsync<NoticeChannelRow>(ListChannelsSql)).ToList();

    public static Task<NoticeChannelRow?> GetChannelAsync(DbConnection connection, string id, DbTransaction? transaction = null) =>
        connection.QuerySingleOrDefaultAsync<NoticeChannelRow>(GetChannelSql, new { Id = id }, transaction);

    /// <summary>
    /// The channels of these units (each its branch's and its agency's), in the caller's connection and transaction (if
    /// any). Units are few (a message's duties), well within one statement's parameters.
    /// </summary>
    public static async Task<IReadOnlyList<NoticeChannelRow>> ChannelsOfAsync(
        DbConnection connection, SqlDialect dialect, IReadOnlyCollection<(string AgencyCode, string? BranchId)> units, DbTransaction? transaction = null)
    {
        var parameters = new DynamicParameters();
        return (await connection.QueryAsync<NoticeChannelRow>(ChannelsOfSql(dialect, units, parameters), parameters, transaction)).ToList();
    }

    /// <summary>
    /// The read of the units' channels (<see cref="NoticeChannelRow"/>s) as a statement to send with others (issue 15:
    /// in the command that appends the events, <see cref="Timeline.FlushAsync"/>), its parameters added to
    /// <paramref name="parameters"/>.
    /// </summary>
    public static string ChannelsOfSql(SqlDialect dialect, IReadOnlyCollection<(string AgencyCode, string? BranchId)> units, DynamicParameters parameters)
    {
        var agencies = units.Select(u => u.AgencyCode).Distinct(StringComparer.Ordinal).ToList();
        var branches = units.Where(u => u.BranchId is not null).Select(u => u.BranchId!).Distinct(StringComparer.Ordinal).ToList();
        if (branches.Count == 0)
        {
            branches.Add(string.Empty);
        }

        parameters.AddDynamicParams(new { AgencyCodes = agencies, BranchIds = branches });
        return dialect.Sql(ChannelsOfUnitsSql);
    }

    /// <summary>Whether <paramref name="channel"/> belongs to the unit (its branch or its agency) and wants events of <paramref name="eventType"/>.</summary>
    public static bool Wants(NoticeChannelRow channel, string agencyCode, string? branchId, string eventType) =>
        ((channel.UnitKind == "agency" && channel.UnitId == agencyCode) || (channel.UnitKind == "branch" && branchId is not null && channel.UnitId == branchId))
        && channel.EventList.Contains(eventType);

    public static async Task<IReadOnlyList<NoticeChannelRow>> PlainChannelsAsync(DbConnection connection) =>
        (await connection.QueryAsync<NoticeChannelRow>(PlainChannelsSql)).ToList();

    /// <summary>Replaces a plain row's URL and secret with <paramref name="encrypted"/>'s, unless another instance changed it meanwhile.</summary>
    public static async Task<bool> EncryptChannelAsync(UnitOfWork unit, NoticeChannelRow plain, NoticeChannelRow encrypted) =>
        await unit.Connection.ExecuteAsync(
            EncryptChannelSql,
            new { plain.Id, encrypted.Url, encrypted.Secret, PlainUrl = plain.Url, PlainSecret = plain.Secret },
            unit.Transaction) == 1;

    /// <summary>
    /// Inserts a pending delivery unless the channel already has one for the event; true when inserted. The first one a
    /// transaction queues wakes the notice senders when it commits: this process's (<see cref="WhistleDatabase"/>) and, on
    /// PostgreSQL, every other process's (<c>NOTIFY</c> on <see cref="WakeChannel"/>, delivered at commit).
    /// </summary>
    public static async Task<bool> AddDeliveryAsync(UnitOfWork unit, string channelId, long sequence, string eventType, string eventJson, DateTimeOffset now)
    {
        var wake = unit.QueuedNotices == 0 ? unit.Dialect.Wake(WakeChannel) : string.Empty;
        var inserted = await unit.Connection.ExecuteAsync(
            unit.Dialect.Sql(InsertDeliverySql) + (wake.Length > 0 ? "\n" + wake : string.Empty),
            new { Id = Guid.CreateVersion7(now).ToString(), ChannelId = channelId, Sequence = sequence, EventType = eventType, EventJson = eventJson, Now = now },
            unit.Transaction) == 1;
        if (inserted)
        {
            unit.QueuedNotices++;
        }

        return inserted;
    }

    /// <summary>The channel on which every process's notice sender is woken when a transaction that queued deliveries commits.</summary>
    public const string WakeChannel = "whistle_notices";

    /// <summary>
    /// The units of those <paramref name="events"/> a channel may want (<see cref="NoticeVocabulary.MayBeWanted"/>), whose
    /// channels the transaction that records them reads (<see cref="ChannelsOfSql"/>) for <see cref="QueueAsync"/>;
    /// none, and no read, when no event is one.
    /// </summary>
    public static IReadOnlyList<(string AgencyCode, string? BranchId)> UnitsConcerned(IEnumerable<WhistleEvent> events) =>
        events.Where(NoticeVocabulary.MayBeWanted).Select(e => (e.Assignment!.AgencyCode, e.Assignment.BranchId)).Distinct().ToList();

    /// <summary>
    /// Queues, in the transaction that records them, a pending delivery of each recorded event for each of
    /// <paramref name="channels"/> that wants it (issue 15: the notices of a duty are written with the duty, as its
    /// outbox rows are; no message to the dispatcher, no read of its own there). Idempotent like every delivery.
    /// </summary>
    public static async Task QueueAsync(UnitOfWork unit, IEnumerable<WhistleEvent> recorded, IReadOnlyList<NoticeChannelRow> channels, DateTimeOffset now)
    {
        if (channels.Count == 0)
        {
            return;
        }

        foreach (var @event in recorded.Where(NoticeVocabulary.MayNotify))
        {
            string? json = null;
            foreach (var channel in channels.Where(c => Wants(c, @event.Assignment!.AgencyCode, @event.Assignment.BranchId, @event.Type)))
            {
                json ??= JsonSerializer.Serialize(@event, MessageTypes.Json);
                await AddDeliveryAsync(unit, channel.Id, @event.Sequence, @event.Type, json, now);
            }
        }
    }

    public static async Task<(IReadOnlyList<NoticeDeliveryRow> Deliveries, ILookup<string, NoticeAttemptRow> Attempts)> DeliveriesAsync(
        WhistleDatabase database, DbConnection connection, string channelId, int take)
    {
        var deliveries = (await connection.QueryAsync<NoticeDeliveryRow>(database.Dialect.Sql(LatestDeliveriesSql), new { ChannelId = channelId, Take = take })).ToList();
        var from = deliveries.Count == 0 ? long.MaxValue : deliveries.Min(d => d.Sequence);
        var attempts = (await connection.QueryAsync<NoticeAttemptRow>(AttemptsOfChannelSql, new { ChannelId = channelId, FromSequence = from })).ToLookup(a => a.DeliveryId);
        return (deliveries, attempts);
    }

    // ---- The system administrator's channels --------------------------------------------------------------------------

    /// <summary>A stored (encrypted) row as the API and the audit trail show it.</summary>
    public NoticeChannelDto ToDto(NoticeChannelRow stored) =>
        new(stored.Id, stored.UnitKind, stored.UnitId, stored.Kind, secrets.MaskedUrl(stored), !string.IsNullOrEmpty(stored.Secret), stored.EventList, stored.CreatedAt, stored.UpdatedAt);

    public async Task<IReadOnlyList<NoticeChannelDto>> ListAsync(CancellationToken ct) =>
        (await database.ReadAsync(ListChannelsAsync, ct)).Select(ToDto).ToList();

    public async Task<NoticeChannelDto?> GetAsync(string id, CancellationToken ct) =>
        await database.ReadAsync(c => GetChannelAsync(c, id), ct) is { } row ? ToDto(row) : null;

    /// <summary>
    /// Creates or changes a channel: checked (its unit, kind, events, and its address by the address rules), its URL and
    /// secret encrypted, audited as the API shows it (the URL masked, the secret only as hasSecret). The URL omitted, or
    /// sent back masked as the API showed it, keeps the stored one (checked again: it may predate the rules); the secret
    /// omitted is kept, empty is removed.
    /// </summary>
    public async Task<CommandResult<NoticeChannelDto>> SaveAsync(Caller caller, string id, SaveNoticeChannelRequest request, CancellationToken ct)
    {
        var errors = Validate(id, request);
        if (errors.Count > 0) return new CommandResult<NoticeChannelDto>.Invalid(errors);

        var now = time.GetUtcNow();
        return await database.WriteAsync<CommandResult<NoticeChannelDto>>(
            async unit =>
            {
                var before = await GetChannelAsync(unit.Connection, id, unit.Transaction);
                NoticeChannelRow? previous;
                try
                {
                    previous = before is null ? null : secrets.Reveal(before);
                }
                catch (CryptographicException)
                {
                    previous = null; // its key is gone: the URL (and a secret) must be given again
                }

                var url = request.Url is null || (before is not null && request.Url.Trim() == secrets.MaskedUrl(before)) ? previous?.Url : request.Url.Trim();
                var problems = new FieldErrors();
                if (url is null) problems.Set("url", Problem.Required("url", "Give the robot's or webhook's address."));
                else if (NoticeUrls.Refusal(request.Kind!, url, policy) is { } refusal) problems.Set("url", Problem.AddressRefused(refusal));
                if (request.Secret is null && before?.Secret is not null && previous is null) problems.Set("secret", Problem.Required("secret", "The stored secret cannot be decrypted: give it again."));
                if (problems.Count > 0) return new CommandResult<NoticeChannelDto>.Invalid(problems);

                var row = secrets.Protect(new NoticeChannelRow
                {
                    Id = id,
                    UnitKind = request.UnitKind!,
                    UnitId = request.UnitId!.Trim(),
                    Kind = request.Kind!,
                    Url = url!,
                    Secret = request.Secret is null ? previous?.Secret : request.Secret.Length == 0 ? null : request.Secret,
                    Events = string.Join(',', NoticeVocabulary.Events.Where(request.Events!.Contains)),
                    CreatedAt = before?.CreatedAt ?? now,
                    UpdatedAt = now,
                });
                await unit.Connection.ExecuteAsync(before is null ? InsertChannelSql : UpdateChannelSql, row, unit.Transaction);
                await AuditTrail.WriteAsync(
                    unit, caller.Audit, "notice-channel", id, before is null ? "created" : "changed", before is null ? null : ToDto(before), ToDto(row), now);
                unit.Complete();
                return new CommandResult<NoticeChannelDto>.Success(ToDto(row));
            },
            ct);
    }

    /// <summary>Removes a channel with its deliveries and their log, audited; false when there is no such channel.</summary>
    public Task<bool> DeleteAsync(Caller caller, string id, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                var before = await GetChannelAsync(unit.Connection, id, unit.Transaction);
                if (before is null) return false;
                await unit.Connection.ExecuteAsync(DeleteChannelSql, new { Id = id }, unit.Transaction);
                await AuditTrail.WriteAsync(unit, caller.Audit, "notice-channel", id, "deleted", ToDto(before), null, time.GetUtcNow());
                unit.Complete();
                return true;
            },
            ct);

    /// <summary>What became of a test notice asked for.</summary>
    public enum TestOutcome
    {
        Queued,
        NoSuchChannel,
        AlreadyPending,
    }

    /// <summary>One test at a time per channel: a chat group is not flooded by an impatient finger.</summary>
    private const string PendingTestSql = "SELECT COUNT(*) FROM notice_deliveries WHERE channel_id = @ChannelId AND event_type = @TestEvent AND status = 'pending';";

    /// <summary>
    /// "Send a test notice" (issue 13): queues one delivery of a <see cref="NoticeVocabulary.TestEvent"/> on the channel — a
    /// <c>WhistleEvent</c> of that type naming the channel's unit in its note — which the sender (where the dispatcher runs)
    /// sends like any other and tries once; its outcome is in the delivery log. Audited (<c>test-sent</c>).
    /// </summary>
    public Task<TestOutcome> QueueTestAsync(Caller caller, string id, CancellationToken ct) =>
        database.WriteAsync(
            async unit =>
            {
                var channel = await GetChannelAsync(unit.Connection, id, unit.Transaction);
                if (channel is null) return TestOutcome.NoSuchChannel;
                if (await unit.Connection.ExecuteScalarAsync<int>(PendingTestSql, new { ChannelId = channel.Id, NoticeVocabulary.TestEvent }, unit.Transaction) > 0)
                {
                    return TestOutcome.AlreadyPending;
                }

                var now = time.GetUtcNow();
                var catalog = county.Catalog;
                var unitName = channel.UnitKind == NoticeVocabulary.Branch
                    ? catalog.FindBranch(channel.UnitId)?.Name ?? channel.UnitId
                    : catalog.FindAgency(channel.UnitId)?.Name ?? channel.UnitId;
                // No timeline event stands behind a test: a negative sequence, unique per channel.
                var sequence = -now.ToUnixTimeMilliseconds();
                var @event = new WhistleEvent(sequence, NoticeVocabulary.TestEvent, "", null, now, caller.Actor, null, null, $"{catalog.County.Name}吹哨报到系统发往「{unitName}」的通知渠道");
                if (!await AddDeliveryAsync(unit, channel.Id, sequence, NoticeVocabulary.TestEvent, JsonSerializer.Serialize(@event, MessageTypes.Json), now))
                {
                    return TestOutcome.AlreadyPending; // a test of the same millisecond
                }

                await AuditTrail.WriteAsync(unit, caller.Audit, "notice-channel", channel.Id, AuditActions.TestSent, null, new { Sequence = sequence }, now);
                unit.Complete();
                return TestOutcome.Queued;
            },
            ct);

    /// <summary>The newest <paramref name="take"/> deliveries of a channel with their attempts; null when there is no such channel.</summary>
    public Task<(IReadOnlyList<NoticeDeliveryRow> Deliveries, ILookup<string, NoticeAttemptRow> Attempts)?> LogAsync(string id, int take, CancellationToken ct) =>
        database.ReadAsync(
            async c => await GetChannelAsync(c, id) is null
                ? null
                : await DeliveriesAsync(database, c, id, take) as (IReadOnlyList<NoticeDeliveryRow>, ILookup<string, NoticeAttemptRow>)?,
            ct);

    private FieldErrors Validate(string id, SaveNoticeChannelRequest request)
    {
        var errors = new FieldErrors();
        var catalog = county.Catalog;
        if (!ChannelId().IsMatch(id)) errors.Set("id", Problem.CodeFormat("id", "A channel id is 2–64 lowercase letters, digits and hyphens."));
        if (request.UnitKind is not (NoticeVocabulary.Agency or NoticeVocabulary.Branch))
        {
            errors.Set("unitKind", Problem.OneOf("unitKind", ["agency", "branch"], "Say agency or branch."));
        }
        else if (string.IsNullOrWhiteSpace(request.UnitId)
            || (request.UnitKind == NoticeVocabulary.Agency ? catalog.FindAgency(request.UnitId.Trim()) is null : catalog.FindBranch(request.UnitId.Trim()) is null))
        {
            errors.Set("unitId", Problem.Unknown("unitId", request.UnitId, $"Name an existing {request.UnitKind}: {(request.UnitKind == NoticeVocabulary.Agency ? "an agency code" : "a branch id")}."));
        }

        if (request.Kind is null || !NoticeVocabulary.Kinds.Contains(request.Kind)) errors.Set("kind", Problem.OneOf("kind", NoticeVocabulary.Kinds, "Say wecom, dingtalk, feishu or webhook."));
        // Omitted (on a change): the stored URL stays; it is checked with the stored one at hand.
        if (request.Url is not null && NoticeUrls.Refusal(errors.ContainsKey("kind") ? NoticeVocabulary.Webhook : request.Kind!, request.Url, policy) is { } refusal)
        {
            errors.Set("url", Problem.AddressRefused(refusal));
        }

        if (request.Secret is { Length: > 200 }) errors.Set("secret", Problem.TooLong("secret", 200, "A secret is at most 200 characters."));
        if (request.Events is null || request.Events.Count == 0 || request.Events.Any(e => !NoticeVocabulary.Events.Contains(e)))
        {
            errors.Set("events", Problem.OneOf("events", NoticeVocabulary.Events, $"Name one or more of: {string.Join(", ", NoticeVocabulary.Events)}."));
        }

        return errors;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex ChannelId();

    // ---- The sender ---------------------------------------------------------------------------------------------------

    private const string DueSql = """
        SELECT d.id AS Id, d.next_attempt_at AS NextAttemptAt FROM notice_deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= @Now ORDER BY d.next_attempt_at
        """;

    private static string FirstDueSql(SqlDialect dialect) => dialect.Limit(DueSql) + ";";

    private const string ClaimSql = """
        UPDATE notice_deliveries SET next_attempt_at = @Until WHERE id = @Id AND status = 'pending' AND next_attempt_at = @Seen;
        """;

    private const string DeliverySql = $"SELECT {DeliveryColumns} FROM notice_deliveries WHERE id = @Id;";

    private const string ResultSql = """
        UPDATE notice_deliveries SET status = @Status, attempts = @Attempts, next_attempt_at = @NextAt, last_error = @Error, sent_at = @SentAt
        WHERE id = @Id;
        """;

    private const string AttemptSql = """
        INSERT INTO notice_attempts (delivery_id, attempt, attempted_at, status_code, error, duration_ms)
        VALUES (@DeliveryId, @Attempt, @AttemptedAt, @StatusCode, @Error, @DurationMs);
        """;

    /// <summary>The deliveries due at <paramref name="now"/>, the earliest first, at most <paramref name="take"/>.</summary>
    public async Task<IReadOnlyList<DueDelivery>> DueDeliveriesAsync(DateTimeOffset now, int take, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<DueDelivery>(database.Dialect.Sql(FirstDueSql), new { Now = now, Take = take }), ct)).ToList();

    /// <summary>
    /// Claims a due delivery until <paramref name="until"/> with an update conditional on the moment it was seen due: of
    /// several senders one gets it. Returns the delivery and its channel (null: the channel was removed), or null when
    /// another sender took it.
    /// </summary>
    public async Task<(NoticeDeliveryRow Delivery, NoticeChannelRow? Channel)?> ClaimDeliveryAsync(DueDelivery due, DateTimeOffset until, CancellationToken ct)
    {
        var claimed = await database.WriteAsync(
            async unit =>
            {
                var rows = await unit.Connection.ExecuteAsync(ClaimSql, new { due.Id, Seen = due.NextAttemptAt, Until = until }, unit.Transaction);
                unit.Complete();
                return rows == 1;
            },
            ct);
        if (!claimed)
        {
            return null;
        }

        var delivery = await database.ReadAsync(c => c.QuerySingleAsync<NoticeDeliveryRow>(DeliverySql, new { due.Id }), ct);
        var channel = await database.ReadAsync(c => GetChannelAsync(c, delivery.ChannelId), ct);
        return (delivery, channel);
    }

    /// <summary>An attempt and its outcome: logged, and the delivery sent, failed for good, or due again at <paramref name="nextAt"/>.</summary>
    public Task RecordAttemptAsync(
        NoticeDeliveryRow delivery, int attempt, DateTimeOffset at, int? statusCode, string? error, int durationMs, string status, DateTimeOffset? nextAt) =>
        database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(
                    AttemptSql,
                    new { DeliveryId = delivery.Id, Attempt = attempt, AttemptedAt = at, StatusCode = statusCode, Error = error, DurationMs = durationMs },
                    unit.Transaction);
                await unit.Connection.ExecuteAsync(
                    ResultSql,
                    new { delivery.Id, Status = status, Attempts = attempt, NextAt = nextAt, Error = error, SentAt = status == NoticeVocabulary.Sent ? at : (DateTimeOffset?)null },
                    unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);
}
