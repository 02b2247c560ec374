using System.Text.Json;
using Dapper;
using Whistle.Core.Messaging;

namespace Whistle.Core.Storage;

/// <summary>Who acted, and from where.</summary>
public sealed record AuditActor(string UserName, string DisplayName, string? RemoteAddress);

/// <summary>
/// The append-only audit trail: every action (who, when, from where, what, before and after), written in
/// the same transaction as the action itself. Nothing in the code updates or deletes its rows.
/// </summary>
public static class AuditTrail
{
    private const string InsertSql = """
        INSERT INTO audit_log (at, user_name, display_name, entity, entity_key, action, before_json, after_json, remote_address)
        VALUES (@At, @UserName, @DisplayName, @Entity, @Key, @Action, @Before, @After, @RemoteAddress);
        """;

    /// <summary>
    /// Writes one row. <paramref name="action"/> is a word of <see cref="AuditActions"/> (the UI translates it); any other
    /// word is a programming error. <paramref name="entity"/> is one of <see cref="AuditEntities"/> in the product.
    /// </summary>
    public static Task WriteAsync(UnitOfWork unit, AuditActor actor, string entity, string key, string action, object? before, object? after, DateTimeOffset at)
    {
        if (!AuditActions.All.Contains(action))
        {
            throw new ArgumentException($"'{action}' is not an audit action (AuditActions); add it there and translate it in the UI.", nameof(action));
        }

        return unit.Connection.ExecuteAsync(
            InsertSql,
            new
            {
                At = at,
                actor.UserName,
                actor.DisplayName,
                Entity = entity,
                Key = key,
                Action = action,
                Before = before is null ? null : JsonSerializer.Serialize(before, MessageTypes.Json),
                After = after is null ? null : JsonSerializer.Serialize(after, MessageTypes.Json),
                actor.RemoteAddress,
            },
            unit.Transaction);
    }
}
