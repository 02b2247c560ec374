using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Whistle.Tests.Support;

namespace Whistle.Tests.Operations;

/// <summary>Data out: the whistles and the timeline of a period, as CSV and as JSON lines, for supervisors.</summary>
[NonParallelizable]
public sealed class When_a_supervisor_exports_a_period
{
    private WhistleSystem _system = null!;
    private WhistleClient _supervisor = null!;
    private string _first = "";
    private string _second = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync();
        _supervisor = await _system.SignInAsync("supervisor");
        using var township = await _system.SignInAsync("township.chengguan");
        _first = (await township.RaiseAsync(WhistleClient.Raise("工地夜间施工, \"扰民\"", "illegal-construction", "urgent"))).Str("id");
        _second = (await township.RaiseAsync(WhistleClient.Raise("燃气泄漏", "gas-safety", "emergency"))).Str("id");
        await township.WaitForWhistleAsync(_first, w => w.Str("status") == "dispatched");
        await township.WaitForWhistleAsync(_second, w => w.Str("status") == "dispatched");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _supervisor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private static string Period() =>
        $"from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}";

    private async Task<(HttpResponseMessage Response, byte[] Body)> GetAsync(string path)
    {
        var response = await _supervisor.Http.GetAsync(path);
        return (response, await response.Content.ReadAsByteArrayAsync());
    }

    [Test]
    public async Task Should_export_the_whistles_as_CSV_with_a_byte_order_mark_and_quoting()
    {
        var (response, body) = await GetAsync($"/api/export/whistles?{Period()}&format=csv");
        var text = Encoding.UTF8.GetString(body[3..]);
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/csv"));
            Assert.That(response.Content.Headers.ContentDisposition?.FileName, Does.StartWith("whistles-").And.EndWith(".csv"));
            Assert.That(body[..3], Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), "Excel opens the Chinese text");
            Assert.That(lines[0], Does.StartWith("编号,吹哨时间(UTC),乡镇(街道),事项编码"));
            Assert.That(lines, Has.Length.EqualTo(3), "a header and the two whistles");
            Assert.That(lines[1], Does.StartWith(_first + ",").And.Contain("\"工地夜间施工, \"\"扰民\"\"\"").And.Contain(",illegal-construction,urgent,dispatched,"));
            Assert.That(lines[2], Does.StartWith(_second + ","));
        });
    }

    [Test]
    public async Task Should_export_the_timeline_as_JSON_lines_in_sequence_order()
    {
        var (response, body) = await GetAsync($"/api/export/timeline?{Period()}&format=jsonl");
        var events = Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var first = events.Where(e => e.Str("whistleId") == _first).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/jsonl"));
            Assert.That(events.Select(e => e.Seq()), Is.Ordered.Ascending);
            Assert.That(first.Select(e => e.Str("type")).First(), Is.EqualTo("WhistleRaised"));
            Assert.That(first.Count(e => e.Str("type") == "AssignmentDispatched"), Is.GreaterThanOrEqualTo(1));
            Assert.That(first[0].Str("actorUser"), Is.EqualTo("township.chengguan"));
            Assert.That(events.Select(e => e.Str("whistleId")), Does.Contain(_second));
        });
    }

    [Test]
    public async Task Should_export_the_whistles_as_JSON_lines_with_their_assignments_counted()
    {
        var (_, body) = await GetAsync($"/api/export/whistles?{Period()}&format=jsonl");
        var rows = Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var first = rows.Single(r => r.Str("id") == _first);
        Assert.Multiple(() =>
        {
            Assert.That(rows.Select(r => r.Str("id")), Is.EqualTo(new[] { _first, _second }));
            Assert.That(first["assignments"]!.GetValue<int>(), Is.GreaterThanOrEqualTo(1));
            Assert.That(first["reported"]!.GetValue<int>(), Is.Zero);
            Assert.That(first.Str("matterCode"), Is.EqualTo("illegal-construction"));
        });
    }

    [Test]
    public async Task Should_export_nothing_for_a_period_without_whistles()
    {
        var (response, body) = await GetAsync("/api/export/whistles?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z");
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Encoding.UTF8.GetString(body[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), "the header alone");
            Assert.That(response.Content.Headers.ContentDisposition?.FileName, Is.EqualTo("whistles-20200101-20200201.csv"));
        });
        // November in Shanghai (from its 00:00, +08:00) is named by its own days, not by the UTC day before (issue 13).
        var (november, _) = await GetAsync("/api/export/whistles?from=2019-10-31T16:00:00Z&to=2019-11-30T16:00:00Z");
        Assert.That(november.Content.Headers.ContentDisposition?.FileName, Is.EqualTo("whistles-20191101-20191201.csv"));
    }

    [TestCase("format=xml", "format")]
    [TestCase("from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z", "to")]
    [TestCase("from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", "to")]
    public async Task Should_refuse_a_bad_period_or_format_with_a_validation_problem(string query, string field)
    {
        var (status, body, _) = await _supervisor.GetAsync($"/api/export/timeline?{query}");
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body!["errors"]![field], Is.Not.Null);
        });
    }

    [Test]
    public async Task Should_refuse_anyone_but_a_supervisor()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        using var anonymous = new HttpClient { BaseAddress = _system.Api };
        Assert.Multiple(async () =>
        {
            Assert.That((await township.GetAsync("/api/export/whistles")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await anonymous.GetAsync("/api/export/timeline")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }
}
