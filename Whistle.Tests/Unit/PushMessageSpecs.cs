using System.Text.Json;
using Whistle.Contracts;
using Whistle.Core.Messaging;

namespace Whistle.Tests.Unit;

/// <summary>
/// Issue 15: the events one transaction appends travel to the push as one message per whistle — a dispatch of two duties
/// is one <see cref="WhistleEventsRecorded"/>, not two <see cref="WhistleEventRecorded"/> — in their order, in the
/// whistle's own outbox stream.
/// </summary>
public sealed class When_a_transaction_appends_events
{
    private static (WhistleEvent Event, IReadOnlyList<string> Groups) Recorded(long sequence, string whistleId, string group) =>
        (new WhistleEvent(sequence, WhistleEventTypes.AssignmentDispatched, whistleId, $"a-{sequence}", DateTimeOffset.UnixEpoch, new("system", "系统", "county"), null, null, null), [group]);

    [Test]
    public void Should_send_one_event_of_a_whistle_as_it_is()
    {
        var message = Timeline.PushMessages([Recorded(7, "w-1", "township:chengguan")]).Single();
        Assert.That(message, Is.TypeOf<WhistleEventRecorded>());
        Assert.That((((WhistleEventRecorded)message).Event.Sequence, ((WhistleEventRecorded)message).Audience.Single()), Is.EqualTo((7L, "township:chengguan")));
    }

    [Test]
    public void Should_carry_the_events_of_one_whistle_in_one_message_in_their_order_with_their_own_audiences()
    {
        var messages = Timeline.PushMessages([Recorded(7, "w-1", "branch:a"), Recorded(8, "w-2", "branch:c"), Recorded(9, "w-1", "branch:b")]);
        Assert.Multiple(() =>
        {
            Assert.That(messages, Has.Count.EqualTo(2), "one message per whistle");
            var first = (WhistleEventsRecorded)messages[0];
            Assert.That(first.Events.Select(e => e.Event.Sequence), Is.EqualTo(new[] { 7L, 9L }));
            Assert.That(first.Events.Select(e => e.Audience.Single()), Is.EqualTo(new[] { "branch:a", "branch:b" }));
            Assert.That(((WhistleEventRecorded)messages[1]).Event.Sequence, Is.EqualTo(8));
            Assert.That(Outbox.StreamKeyOf(Outbox.WhistleIdOf(first)), Is.EqualTo(Outbox.StreamKeyOf("w-1")), "in the whistle's stream");
        });
    }

    [Test]
    public void Should_be_a_message_the_outbox_can_store_and_read_back()
    {
        var batch = (WhistleEventsRecorded)Timeline.PushMessages([Recorded(7, "w-1", "branch:a"), Recorded(9, "w-1", "branch:b")]).Single();
        var body = JsonSerializer.Serialize(batch, MessageTypes.Json);
        var read = (WhistleEventsRecorded)JsonSerializer.Deserialize(body, MessageTypes.Resolve(MessageTypes.NameOf(typeof(WhistleEventsRecorded))), MessageTypes.Json)!;
        Assert.That(read.Events.Select(e => (e.Event.Sequence, e.Audience.Single())), Is.EqualTo(new[] { (7L, "branch:a"), (9L, "branch:b") }));
    }
}
