using System.Globalization;
using System.Net.Mime;
using MassTransit;
using MassTransit.Serialization;

namespace Whistle.Core.Messaging;

/// <summary>
/// How an outbox row travels (issue 15): its body, the message's JSON as the transaction wrote it, is the message on the
/// wire — raw JSON (<c>application/json</c>), its message id, type and the time it was sent in the transport's headers —
/// instead of MassTransit's envelope, which the relay would serialize again for every row and every consumer would parse
/// whole (envelope and message) before reading the message. Consumers read both (<see cref="ReadBothWires"/>): an
/// earlier release's relay and a test's <c>IBus.Publish</c> send envelopes. <c>Whistle:Outbox:PublishEnvelope</c>
/// keeps the relay on the envelope while instances of a release that reads only envelopes still run (deploy/README.md,
/// "Upgrades").
/// </summary>
public static class OutboxWire
{
    /// <summary>The transport header with the time the relay sent a raw message (UTC, round-trip format).</summary>
    public const string SentAtHeader = "Whistle-Sent-At";

    /// <summary>The content type of a message sent as its outbox row's body.</summary>
    public static ContentType ContentType => SystemTextJsonRawMessageSerializer.JsonContentType;

    /// <summary>
    /// Every receive endpoint of the bus reads raw JSON besides MassTransit's envelope, the default (a message without
    /// a content type is an envelope). The transport's headers are the message's: id, type, conversation.
    /// </summary>
    public static void ReadBothWires(IBusFactoryConfigurator configurator) =>
        configurator.UseRawJsonDeserializer(RawSerializerOptions.AddTransportHeaders | RawSerializerOptions.CopyHeaders, isDefault: false);

    /// <summary>Sends <paramref name="body"/>, the row's stored JSON, as the message (set on the publish's context).</summary>
    public static IMessageSerializer Body(string body, DateTimeOffset sentAt) => new StoredBody(body, sentAt);

    /// <summary>
    /// When the message was sent, as its consumer sees it: the relay's header on a raw message (MassTransit would derive a
    /// raw message's sent time from its id, which is a version-7 GUID here, not a NewId), the envelope's otherwise.
    /// </summary>
    public static DateTime? SentTime(ConsumeContext context) =>
        context.Headers.Get<string>(SentAtHeader) is { } header
        && DateTimeOffset.TryParseExact(header, "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var sentAt)
            ? sentAt.UtcDateTime
            : context.SentTime;

    private sealed class StoredBody(string body, DateTimeOffset sentAt) : RawMessageSerializer, IMessageSerializer
    {
        public ContentType ContentType => OutboxWire.ContentType;

        public MessageBody GetMessageBody<T>(SendContext<T> context)
            where T : class
        {
            SetRawMessageHeaders(context);
            context.Headers.Set(SentAtHeader, sentAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            return new StringMessageBody(body);
        }
    }
}
