using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>
/// Remembers which messages a consumer has handled, in the consumer's own transaction, so that a
/// message delivered twice has one effect.
/// </summary>
public static class Inbox
{
    private static string RecordSql(SqlDialect dialect) =>
        dialect.InsertIfAbsent("inbox", "message_id, consumer, processed_at", "@MessageId, @Consumer, @Now", "message_id, consumer") + ";";

    /// <summary>True when this is the first time; false when the message was handled before.</summary>
    public static async Task<bool> TryRecordAsync(UnitOfWork unit, Guid messageId, string consumer, DateTimeOffset now)
    {
        var rows = await unit.Connection.ExecuteAsync(
            unit.Dialect.Sql(RecordSql),
            new { MessageId = messageId.ToString(), Consumer = consumer, Now = now },
            unit.Transaction);
        return rows == 1;
    }
}
