using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>
/// Remembers which messages a consumer has handled, in the consumer's own transaction, so that a
/// message delivered twice has one effect.
/// </summary>
public static class Inbox
{
    /// <summary>
    /// The record, as the first statement of a command with the consumer's own (one round trip, issue 15): it answers one
    /// row when this is the first time, none when the message was handled before (its key there already, or inserted by a
    /// transaction that commits first: the insert waits for it). Parameters <c>@MessageId</c> (text), <c>@Consumer</c>,
    /// <c>@Now</c>.
    /// </summary>
    public static string RecordSql(SqlDialect dialect) =>
        dialect.InsertIfAbsentAnswering("inbox", "message_id, consumer, processed_at", "@MessageId, @Consumer, @Now", "message_id, consumer", "consumer") + ";";
}
