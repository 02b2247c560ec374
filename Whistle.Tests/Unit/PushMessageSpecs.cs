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

/// <summary>
/// Issue 15: a raise is one message. The <see cref="WhistleRaised"/> the dispatcher routes carries the raise's own
/// timeline entries with their audiences, and every Api pushes them from it: no push message of their own. Entries a
/// notice channel may want (a meeting decision's whistle, raised and dispatched in one transaction) keep their push
/// message, which the notice consumer reads; the raise then carries nothing.
/// </summary>
public sealed class When_a_transaction_raises_a_whistle
{
    private static readonly EventActor Clerk = new("township.chengguan", "城关镇", "chengguan");

    private static WhistleRaised Raise(string whistleId) => new(whistleId, "chengguan", "street-vending", "routine", [], DateTimeOffset.UnixEpoch);

    private static DeferredMessage Deferred(object message) => new(message, DateTimeOffset.UnixEpoch);

    private static (WhistleEvent Event, IReadOnlyList<string> Groups) Entry(long sequence, string type, string whistleId, string group, AssignmentSnapshot? assignment = null) =>
        (new WhistleEvent(sequence, type, whistleId, assignment?.Id, DateTimeOffset.UnixEpoch, Clerk, null, assignment, null), [group]);

    private static AssignmentSnapshot Duty(string whistleId) =>
        new("a-1", whistleId, "market-supervision", "chengguan-market", "lead", "dispatched", DateTimeOffset.UnixEpoch, null, null, null,
            DateTimeOffset.UnixEpoch.AddHours(1), DateTimeOffset.UnixEpoch.AddDays(1), null, null, null, null, null);

    [Test]
    public void Should_carry_the_raises_entries_in_its_WhistleRaised_and_write_no_push_message_of_them()
    {
        var messages = Timeline.OutboxMessages(
            [Deferred(Raise("w-1"))],
            [Entry(7, WhistleEventTypes.WhistleRaised, "w-1", "township:chengguan"), Entry(8, WhistleEventTypes.AttachmentAdded, "w-1", "supervisors")]);
        Assert.Multiple(() =>
        {
            Assert.That(messages, Has.Count.EqualTo(1), "one message for the dispatcher and the push");
            var raised = (WhistleRaised)messages[0];
            Assert.That((raised.WhistleId, raised.TownshipId, raised.MatterCode, raised.Urgency), Is.EqualTo(("w-1", "chengguan", "street-vending", "routine")), "routing as before");
            Assert.That(raised.Events!.Select(e => (e.Event.Sequence, e.Audience.Single())), Is.EqualTo(new[] { (7L, "township:chengguan"), (8L, "supervisors") }));
        });
    }

    [Test]
    public void Should_carry_the_duties_of_a_whistle_dispatched_in_the_same_transaction_too_whose_notices_the_transaction_queues()
    {
        var messages = Timeline.OutboxMessages(
            [Deferred(Raise("w-1"))],
            [Entry(7, WhistleEventTypes.WhistleRaised, "w-1", "township:chengguan"), Entry(8, WhistleEventTypes.AssignmentDispatched, "w-1", "branch:chengguan-market", Duty("w-1"))]);
        Assert.Multiple(() =>
        {
            Assert.That(messages, Has.Count.EqualTo(1), "one message: no notice consumer reads a push message for the duty");
            Assert.That(((WhistleRaised)messages[0]).Events!.Select(e => (e.Event.Sequence, e.Audience.Single())), Is.EqualTo(new[] { (7L, "township:chengguan"), (8L, "branch:chengguan-market") }), "both entries, in order");
        });
    }

    [Test]
    public void Should_carry_only_its_own_whistles_entries_and_leave_other_messages_as_they_are()
    {
        var changed = new CountyChanged(3);
        var messages = Timeline.OutboxMessages(
            [Deferred(changed), Deferred(Raise("w-1"))],
            [Entry(6, WhistleEventTypes.WhistleCancelled, "w-2", "township:baiyun"), Entry(7, WhistleEventTypes.WhistleRaised, "w-1", "township:chengguan")]);
        Assert.Multiple(() =>
        {
            Assert.That(messages, Has.Count.EqualTo(3));
            Assert.That(messages[0], Is.SameAs(changed), "deferred messages first, in their order");
            Assert.That(((WhistleRaised)messages[1]).Events!.Select(e => e.Event.Sequence), Is.EqualTo(new[] { 7L }));
            Assert.That(((WhistleEventRecorded)messages[2]).Event.WhistleId, Is.EqualTo("w-2"), "another whistle's entry keeps its push message");
        });
    }

    [Test]
    public void Should_be_a_message_the_outbox_can_store_and_read_back_with_its_entries()
    {
        var raised = (WhistleRaised)Timeline.OutboxMessages([Deferred(Raise("w-1"))], [Entry(7, WhistleEventTypes.WhistleRaised, "w-1", "township:chengguan")]).Single();
        var body = JsonSerializer.Serialize(raised, MessageTypes.Json);
        var read = (WhistleRaised)JsonSerializer.Deserialize(body, MessageTypes.Resolve(MessageTypes.NameOf(typeof(WhistleRaised))), MessageTypes.Json)!;
        Assert.Multiple(() =>
        {
            Assert.That(read.Events!.Select(e => (e.Event.Sequence, e.Event.Type, e.Audience.Single())), Is.EqualTo(new[] { (7L, WhistleEventTypes.WhistleRaised, "township:chengguan") }));
            Assert.That(Outbox.StreamKeyOf(Outbox.WhistleIdOf(read)), Is.EqualTo(Outbox.StreamKeyOf("w-1")), "in the whistle's stream");
        });
    }

    [Test]
    public void Should_read_a_raise_written_before_it_carried_entries()
    {
        const string earlier = """{"whistleId":"w-1","townshipId":"chengguan","matterCode":"street-vending","urgency":"routine","extraAgencyCodes":[],"raisedAt":"1970-01-01T00:00:00+00:00","level":"township","relationId":null}""";
        var read = JsonSerializer.Deserialize<WhistleRaised>(earlier, MessageTypes.Json)!;
        Assert.That((read.WhistleId, read.Events), Is.EqualTo(("w-1", (IReadOnlyList<WhistleEventRecorded>?)null)));
    }
}
