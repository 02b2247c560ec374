using System.Text.Json;
using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>Writes a message in the same transaction as the state change that causes it.</summary>
public static class Outbox
{
    private const string InsertSql = """
        INSERT INTO outbox (message_id, message_type, body, created_at, attempts)
        VALUES (@MessageId, @MessageType, @Body, @CreatedAt, 0);
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
            },
            unit.Transaction);
        unit.MarkOutboxWritten();
        return messageId;
    }
}
