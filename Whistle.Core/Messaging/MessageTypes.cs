using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Whistle.Contracts;

namespace Whistle.Core.Messaging;

/// <summary>The messages that travel through the outbox, by the name stored in its rows.</summary>
public static class MessageTypes
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static readonly FrozenDictionary<string, Type> ByName = new[]
    {
        typeof(WhistleRaised),
        typeof(WhistleEventRecorded),
        typeof(WhistleEventsRecorded),
        typeof(CountyChanged),
    }.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);

    public static Type Resolve(string name) =>
        ByName.TryGetValue(name, out var type) ? type : throw new InvalidOperationException($"Unknown outbox message type '{name}'.");

    public static string NameOf(Type type) =>
        ByName.ContainsKey(type.Name) ? type.Name : throw new InvalidOperationException($"{type} is not an outbox message.");
}
