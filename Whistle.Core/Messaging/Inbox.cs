using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>
/// Remembers which messages a consumer has handled, in the consumer's own transaction, so that a
/// message delivered twice has one effect.
/// </summary>
public static class Inbox
{
    private const string RecordSql = """
        INSERT INTO inbox (message_id, consumer, processed_at)
        SELECT @MessageId, @Consumer, @Now WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE message_id = @MessageId AND consumer = @Consumer);
        """;

    /// <summary>True when this is the first time; false when the message was handled before.</summary>
    public static async Task<bool> TryRecordAsync(UnitOfWork unit, Guid messageId, string consumer, DateTimeOffset now)
    {
        var rows = await unit.Connection.ExecuteAsync(
            RecordSql,
            new { MessageId = messageId.ToString(), Consumer = consumer, Now = now },
            unit.Transaction);
        return rows == 1;
    }
}
