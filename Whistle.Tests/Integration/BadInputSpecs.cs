using System.Net;
using System.Text;
using Dapper;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>Bad input gets a clear problem-details answer and changes nothing.</summary>
[NonParallelizable]
public sealed class When_the_input_is_bad
{
    private WhistleSystem _system = null!;
    private WhistleClient _township = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync();
        _township = await _system.SignInAsync("township.dongfeng");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _township?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private async Task<(long Whistles, long Events, long Outbox)> CountRowsAsync() =>
        await _system.Database.ReadAsync(
            async c => (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM whistles"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM timeline"),
                await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox")),
            CancellationToken.None);

    private static IEnumerable<TestCaseData> InvalidWhistles()
    {
        yield return new TestCaseData(new { title = "t", address = "a", urgency = "routine" }, "matterCode").SetName("missing matter");
        yield return new TestCaseData(new { matterCode = "no-such-matter", title = "t", address = "a", urgency = "routine" }, "matterCode").SetName("unknown matter");
        yield return new TestCaseData(new { matterCode = "street-vending", title = "t", address = "a", urgency = "whenever" }, "urgency").SetName("unknown urgency");
        yield return new TestCaseData(new { matterCode = "street-vending", address = "a", urgency = "routine" }, "title").SetName("missing title");
        yield return new TestCaseData(new { matterCode = "street-vending", title = "   ", address = "a", urgency = "routine" }, "title").SetName("blank title");
        yield return new TestCaseData(new { matterCode = "street-vending", title = new string('长', 101), address = "a", urgency = "routine" }, "title").SetName("over-long title");
        yield return new TestCaseData(new { matterCode = "street-vending", title = "t", description = new string('x', 2001), address = "a", urgency = "routine" }, "description").SetName("over-long description");
        yield return new TestCaseData(new { matterCode = "street-vending", title = "t", urgency = "routine" }, "address").SetName("missing address");
        yield return new TestCaseData(new { matterCode = "street-vending", title = "t", address = new string('路', 201), urgency = "routine" }, "address").SetName("over-long address");
        yield return new TestCaseData(new { matterCode = "street-vending", title = "t", address = "a", urgency = "routine", latitude = 91.0, longitude = 120.0 }, "latitude").SetName("latitude out of range");
        yield return new TestCaseData(new { matterCode = "street-vending", title = "t", address = "a", urgency = "routine", extraAgencyCodes = new[] { "no-such-agency" } }, "extraAgencyCodes").SetName("unknown summoned agency");
    }

    [TestCaseSource(nameof(InvalidWhistles))]
    public async Task Should_answer_400_naming_the_field_and_store_nothing(object request, string field)
    {
        var before = await CountRowsAsync();
        var (status, body, response) = await _township.PostAsync("/api/whistles", request);
        Assert.Multiple(async () =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(body!["errors"]![field], Is.Not.Null, body.ToJsonString());
            Assert.That(await CountRowsAsync(), Is.EqualTo(before));
        });
    }

    [Test]
    public async Task Should_answer_400_to_malformed_json_and_413_to_a_body_over_the_limit()
    {
        var before = await CountRowsAsync();
        using var malformed = new StringContent("{\"matterCode\": \"street-vending\", \"title\": ", Encoding.UTF8, "application/json");
        var bad = await _township.Http.PostAsync("/api/whistles", malformed);
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(bad.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));

        var huge = "{\"matterCode\":\"street-vending\",\"title\":\"t\",\"address\":\"a\",\"urgency\":\"routine\",\"description\":\"" + new string('x', 200_000) + "\"}";
        using var tooLarge = new StringContent(huge, Encoding.UTF8, "application/json");
        var large = await _township.Http.PostAsync("/api/whistles", tooLarge);
        Assert.That(large.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(large.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await CountRowsAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Should_answer_409_to_a_repeated_or_out_of_order_transition_with_no_second_effect()
    {
        var id = (await _township.RaiseAsync(WhistleClient.Raise("占道经营", "street-vending", "routine"))).Str("id");
        var whistle = await _township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var lead = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!;
        using var branch = await _system.SignInAsync($"branch.{lead.Str("branchId")}");
        var assignment = lead.Str("id");

        var (outOfOrder, problem, _) = await branch.PostAsync($"/api/assignments/{assignment}/resolve", new { note = "先办结" });
        Assert.That(outOfOrder, Is.EqualTo(HttpStatusCode.Conflict), problem?.ToJsonString());
        Assert.That(problem!["detail"]!.GetValue<string>(), Does.Contain("reported"));

        Assert.That((await branch.PostAsync($"/api/assignments/{assignment}/report", new { note = "到场" })).Status, Is.EqualTo(HttpStatusCode.OK));
        var before = await CountRowsAsync();
        var (twice, _, _) = await branch.PostAsync($"/api/assignments/{assignment}/report", new { note = "再次报到" });
        Assert.That(twice, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await CountRowsAsync(), Is.EqualTo(before), "a repeated action writes nothing");

        var (missingNote, invalid, _) = await branch.PostAsync($"/api/assignments/{assignment}/resolve", new { });
        Assert.That(missingNote, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(invalid!["errors"]!["note"], Is.Not.Null);
        var (negativeEta, _, _) = await branch.PostAsync($"/api/assignments/{assignment}/decline", new { reason = "" });
        Assert.That(negativeEta, Is.EqualTo(HttpStatusCode.BadRequest));

        var (confirmEarly, _, _) = await _township.PostAsync($"/api/whistles/{id}/confirm", new { ratings = Array.Empty<object>() });
        Assert.That(confirmEarly, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await CountRowsAsync(), Is.EqualTo(before));
        var (_, after, _) = await _township.GetAsync($"/api/whistles/{id}");
        Assert.That(after!["timeline"]!.AsArray().Count(e => e!.Str("type") == "AssignmentReported"), Is.EqualTo(1));
    }

    [Test]
    public async Task Should_require_a_valid_rating_for_every_resolved_assignment_when_confirming()
    {
        var id = (await _township.RaiseAsync(WhistleClient.Raise("工资拖欠", "wage-arrears", "routine"))).Str("id");
        var whistle = await _township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var assignments = whistle["assignments"]!.AsArray().Select(a => a!).ToList();
        foreach (var a in assignments)
        {
            using var owner = await _system.SignInAsync(a["branchId"] is null ? $"agency.{a.Str("agencyCode")}" : $"branch.{a.Str("branchId")}");
            Assert.That((await owner.PostAsync($"/api/assignments/{a.Str("id")}/report", new { })).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await owner.PostAsync($"/api/assignments/{a.Str("id")}/resolve", new { note = "ok" })).Status, Is.EqualTo(HttpStatusCode.OK));
        }

        var (missing, body, _) = await _township.PostAsync($"/api/whistles/{id}/confirm", new { ratings = new[] { new { assignmentId = assignments[0].Str("id"), rating = "satisfied" } }.Take(assignments.Count - 1) });
        Assert.That(missing, Is.EqualTo(HttpStatusCode.BadRequest), body?.ToJsonString());
        var (badRating, body2, _) = await _township.PostAsync($"/api/whistles/{id}/confirm", new { ratings = assignments.Select(a => new { assignmentId = a.Str("id"), rating = "great" }) });
        Assert.That(badRating, Is.EqualTo(HttpStatusCode.BadRequest), body2?.ToJsonString());
        var (_, still, _) = await _township.GetAsync($"/api/whistles/{id}");
        Assert.That(still!.Str("status"), Is.EqualTo("resolved"));
        var (ok, _, _) = await _township.PostAsync($"/api/whistles/{id}/confirm", new { ratings = assignments.Select(a => new { assignmentId = a.Str("id"), rating = "basically-satisfied" }) });
        Assert.That(ok, Is.EqualTo(HttpStatusCode.OK));
        var (again, _, _) = await _township.PostAsync($"/api/whistles/{id}/confirm", new { ratings = assignments.Select(a => new { assignmentId = a.Str("id"), rating = "unsatisfied" }) });
        Assert.That(again, Is.EqualTo(HttpStatusCode.Conflict));
    }
}
