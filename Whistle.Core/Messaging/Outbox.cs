using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>
/// Writes a message in the same transaction as the state change that causes it, with the W3C
/// <c>traceparent</c> of the current activity, so that the relay's publish continues the same trace.
/// </summary>
public static class Outbox
{
    private const string InsertSql = """
        INSERT INTO outbox (message_id, message_type, body, created_at, attempts, trace_parent)
        VALUES (@MessageId, @MessageType, @Body, @CreatedAt, 0, @TraceParent);
        """;

    public static async Task<Guid> AddAsync<T>(UnitOfWork unit, T message, DateTimeOffset now)
        where T : class
    {
        var messageId = Guid.CreateVersion7(now);
        await unit.Connection.ExecuteAsync(
            InsertSql,
            new
            {
                MessageId = messageId.ToString(),
                MessageType = MessageTypes.NameOf(typeof(T)),
                Body = JsonSerializer.Serialize(message, MessageTypes.Json),
                CreatedAt = now,
                TraceParent = Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null,
            },
            unit.Transaction);
        unit.MarkOutboxWritten();
        return messageId;
    }
}
