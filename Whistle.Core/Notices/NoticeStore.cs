using System.Data.Common;
using Dapper;
using Whistle.Contracts;
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

/// <summary>The notice tables, shared by the Api (channel upkeep, the log) and the dispatcher (deliveries).</summary>
public static class NoticeStore
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

    private const string ChannelsOfUnitsSql = $"""
        SELECT {ChannelColumns} FROM notice_channels
        WHERE (unit_kind = 'agency' AND unit_id = @AgencyCode) OR (unit_kind = 'branch' AND unit_id = @BranchId);
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
    private const string InsertDeliverySql = """
        INSERT INTO notice_deliveries (id, channel_id, sequence, event_type, event_json, status, attempts, next_attempt_at, created_at)
        SELECT @Id, @ChannelId, @Sequence, @EventType, @EventJson, 'pending', 0, @Now, @Now
        WHERE NOT EXISTS (SELECT 1 FROM notice_deliveries WHERE channel_id = @ChannelId AND sequence = @Sequence);
        """;

    private const string DeliveriesSqlite = $"""
        SELECT {DeliveryColumns} FROM notice_deliveries WHERE channel_id = @ChannelId ORDER BY created_at DESC, sequence DESC LIMIT @Take;
        """;

    private const string DeliveriesSqlServer = $"""
        SELECT TOP (@Take) {DeliveryColumns} FROM notice_deliveries WHERE channel_id = @ChannelId ORDER BY created_at DESC, sequence DESC;
        """;

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

    public static async Task<IReadOnlyList<NoticeChannelRow>> ChannelsOfAsync(UnitOfWork unit, string agencyCode, string? branchId) =>
        (await unit.Connection.QueryAsync<NoticeChannelRow>(ChannelsOfUnitsSql, new { AgencyCode = agencyCode, BranchId = branchId ?? "" }, unit.Transaction)).ToList();

    public static Task SaveChannelAsync(UnitOfWork unit, NoticeChannelRow row, bool exists) =>
        unit.Connection.ExecuteAsync(exists ? UpdateChannelSql : InsertChannelSql, row, unit.Transaction);

    public static async Task<IReadOnlyList<NoticeChannelRow>> PlainChannelsAsync(DbConnection connection) =>
        (await connection.QueryAsync<NoticeChannelRow>(PlainChannelsSql)).ToList();

    /// <summary>Replaces a plain row's URL and secret with <paramref name="encrypted"/>'s, unless another instance changed it meanwhile.</summary>
    public static async Task<bool> EncryptChannelAsync(UnitOfWork unit, NoticeChannelRow plain, NoticeChannelRow encrypted) =>
        await unit.Connection.ExecuteAsync(
            EncryptChannelSql,
            new { plain.Id, encrypted.Url, encrypted.Secret, PlainUrl = plain.Url, PlainSecret = plain.Secret },
            unit.Transaction) == 1;

    public static Task DeleteChannelAsync(UnitOfWork unit, string id) =>
        unit.Connection.ExecuteAsync(DeleteChannelSql, new { Id = id }, unit.Transaction);

    /// <summary>Inserts a pending delivery unless the channel already has one for the event; true when inserted.</summary>
    public static async Task<bool> AddDeliveryAsync(UnitOfWork unit, string channelId, long sequence, string eventType, string eventJson, DateTimeOffset now) =>
        await unit.Connection.ExecuteAsync(
            InsertDeliverySql,
            new { Id = Guid.CreateVersion7(now).ToString(), ChannelId = channelId, Sequence = sequence, EventType = eventType, EventJson = eventJson, Now = now },
            unit.Transaction) == 1;

    public static async Task<(IReadOnlyList<NoticeDeliveryRow> Deliveries, ILookup<string, NoticeAttemptRow> Attempts)> DeliveriesAsync(
        WhistleDatabase database, DbConnection connection, string channelId, int take)
    {
        var deliveries = (await connection.QueryAsync<NoticeDeliveryRow>(database.Sql(DeliveriesSqlite, DeliveriesSqlServer), new { ChannelId = channelId, Take = take })).ToList();
        var from = deliveries.Count == 0 ? long.MaxValue : deliveries.Min(d => d.Sequence);
        var attempts = (await connection.QueryAsync<NoticeAttemptRow>(AttemptsOfChannelSql, new { ChannelId = channelId, FromSequence = from })).ToLookup(a => a.DeliveryId);
        return (deliveries, attempts);
    }
}
