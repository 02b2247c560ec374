using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Dapper;
using OpenTelemetry.Trace;
using Whistle.Contracts;
using Whistle.Core.Messaging;
using Whistle.Core.Telemetry;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// A raise answers 201 with the whistle as the raise wrote it (issue 15: no read after a write that knows the answer) —
/// the same whistle, to the microsecond, that any later read finds; on SQLite and on PostgreSQL with RabbitMQ. (A raise
/// with photos is read back: its answer is specified in <c>When_a_clerk_raises_a_whistle_with_photos</c>.)
/// </summary>
[TestFixture("embedded")]
[TestFixture("distributed")]
[NonParallelizable]
public sealed class When_a_raise_is_answered(string mode)
{
    private readonly SpanLog _spans = new();
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task StartSystem()
    {
        void Exporter(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
            services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_spans));
        _system = mode == "embedded" ? await WhistleSystem.EmbeddedAsync(Exporter) : await WhistleSystem.DistributedAsync(services: Exporter);
    }

    [OneTimeTearDown]
    public async Task StopSystem()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_answer_with_the_whistle_it_wrote_without_reading_it_back()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        await using var townshipPush = await _system.ConnectAsync(township);

        var (status, raised, _) = await township.PostAsync("/api/whistles", WhistleClient.Raise("答复即所写"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), raised?.ToJsonString());
        var id = raised!.Str("id");

        // What the POST itself did with the database: its write, and no read (the spans directly under the request's).
        Activity? post = null;
        for (var waited = 0; post is null && waited < 200; waited++)
        {
            post = _spans.Snapshot().FirstOrDefault(a => a.Kind == ActivityKind.Server && a.GetTagItem(WhistleTelemetry.WhistleIdTag)?.ToString() == id);
            if (post is null) await Task.Delay(50);
        }

        Assert.That(post, Is.Not.Null, "the POST's span");
        var underPost = _spans.Snapshot().Where(a => a.ParentSpanId == post!.SpanId && a.Source.Name == WhistleTelemetry.DatabaseName).Select(a => a.DisplayName).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(underPost, Does.Contain("db write transaction"), "the raise's write");
            Assert.That(underPost, Does.Not.Contain("db read"), "the answer is what the raise wrote, not a read after it");
        });

        // What it answers: the whistle as its raise committed it — no duties yet, one event: the one pushed.
        var timeline = raised!["timeline"]!.AsArray();
        var pushed = await townshipPush.WaitForAsync("WhistleRaised", id);
        Assert.Multiple(() =>
        {
            Assert.That(raised.Str("status"), Is.EqualTo("raised"));
            Assert.That(raised["assignments"]!.AsArray(), Is.Empty);
            Assert.That(raised["attachments"]!.AsArray(), Is.Empty);
            Assert.That(timeline, Has.Count.EqualTo(1));
            Assert.That(timeline[0]!.Str("type"), Is.EqualTo("WhistleRaised"));
            Assert.That(timeline[0]!["sequence"]!.GetValue<long>(), Is.EqualTo(pushed["sequence"]!.GetValue<long>()));
            Assert.That(timeline[0]!["actor"]!.Str("userName"), Is.EqualTo("township.chengguan"));
        });

        // And what a later read finds of it, to the microsecond the database keeps.
        var read = await township.WaitForWhistleAsync(id, _ => true);
        Assert.Multiple(() =>
        {
            foreach (var field in new[] { "id", "title", "description", "address", "latitude", "longitude", "matterCode", "urgency", "townshipId", "raisedBy", "raisedAt", "level", "relationId" })
            {
                Assert.That(raised[field]?.ToJsonString(), Is.EqualTo(read[field]?.ToJsonString()), field);
            }

            Assert.That(timeline[0]!.ToJsonString(), Is.EqualTo(read["timeline"]![0]!.ToJsonString()), "its event");
        });
    }

    /// <summary>
    /// Issue 15: the raise wrote one outbox message, the <c>WhistleRaised</c> the dispatcher routes, carrying the raise's
    /// timeline entry with its audience as committed; the Api pushed the entry from it, once, before the dispatch's.
    /// </summary>
    [Test]
    public async Task Should_write_one_message_that_the_dispatcher_routes_and_every_Api_pushes()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        await using var townshipPush = await _system.ConnectAsync(township);
        var id = (await township.RaiseAsync(WhistleClient.Raise("一条消息"))).Str("id");
        var pushed = await townshipPush.WaitForAsync("WhistleRaised", id);
        await townshipPush.WaitForAsync("AssignmentDispatched", id);

        var rows = (await _system.Database.ReadAsync(
            c => c.QueryAsync<(string Type, string Body)>("SELECT message_type, body FROM outbox WHERE body LIKE @Like ORDER BY id", new { Like = $"%{id}%" }),
            CancellationToken.None)).ToList();
        var sequence = pushed["sequence"]!.GetValue<long>();
        var audience = (await _system.Database.ReadAsync(
            c => c.QueryAsync<string>("SELECT group_name FROM timeline_audience WHERE sequence = @Sequence", new { Sequence = sequence }),
            CancellationToken.None)).ToList();
        var raised = JsonSerializer.Deserialize<WhistleRaised>(rows[0].Body, MessageTypes.Json)!;
        var pushedLater = rows.Skip(1)
            .SelectMany(r => r.Type switch
            {
                nameof(WhistleEventRecorded) => [JsonSerializer.Deserialize<WhistleEventRecorded>(r.Body, MessageTypes.Json)!],
                nameof(WhistleEventsRecorded) => JsonSerializer.Deserialize<WhistleEventsRecorded>(r.Body, MessageTypes.Json)!.Events,
                _ => [],
            })
            .Select(e => e.Event.Type)
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(rows[0].Type, Is.EqualTo(nameof(WhistleRaised)), "the raise's message comes first");
            Assert.That(raised.Events!.Select(e => (e.Event.Type, e.Event.Sequence)), Is.EqualTo(new[] { (WhistleEventTypes.WhistleRaised, sequence) }), "it carries the entry pushed");
            Assert.That(raised.Events![0].Audience, Is.EquivalentTo(audience).And.Not.Empty, "to whom the timeline shows it");
            Assert.That(rows.Count(r => r.Type == nameof(WhistleRaised)), Is.EqualTo(1));
            Assert.That(pushedLater, Has.Some.EqualTo(WhistleEventTypes.AssignmentDispatched).And.No.EqualTo(WhistleEventTypes.WhistleRaised), "the dispatch's messages; no second message of the raise's entry");
            var received = townshipPush.ReceivedAbout(id).Select(e => e.Str("type")).ToList();
            Assert.That(received.Count(t => t == "WhistleRaised"), Is.EqualTo(1), "pushed once");
            Assert.That(received[0], Is.EqualTo("WhistleRaised"), "before the dispatch's");
        });
    }
}
