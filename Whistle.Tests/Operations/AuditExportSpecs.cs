using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Operations;

/// <summary>
/// The audit export is written as it is read (issue 11, finding 10): a long trail goes out row by row, chunked,
/// instead of being gathered in memory first.
/// </summary>
[NonParallelizable]
public sealed class When_the_audit_administrator_exports_a_long_audit_trail
{
    private const int Planted = 6000;

    private WhistleSystem _system = null!;
    private WhistleClient _supervisor = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync();
        _supervisor = await _system.SignInAsync("auditadmin");
        var actor = new AuditActor("bulk.tester", "批量 测试", "127.0.0.1");
        var at = DateTimeOffset.UtcNow.AddMinutes(-10);
        await _system.Database.WriteAsync(
            async unit =>
            {
                for (var i = 0; i < Planted; i++)
                {
                    await AuditTrail.WriteAsync(unit, actor, "bulk", $"row-{i:D5}", AuditActions.Changed, null, new { Index = i, Text = "说明, \"引号\"\n第二行" }, at.AddMilliseconds(i));
                }

                unit.Complete();
                return 0;
            },
            CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _supervisor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    // The headers as they came (read before the body: once buffered, HttpContent computes a length of its own).
    private async Task<(HttpResponseMessage Response, bool HasContentLength, byte[] Body)> GetStreamedAsync(string path)
    {
        var response = await _supervisor.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        var hasContentLength = response.Content.Headers.NonValidated.Contains("Content-Length");
        return (response, hasContentLength, await response.Content.ReadAsByteArrayAsync());
    }

    [Test]
    public async Task Should_stream_the_CSV_chunked_and_complete()
    {
        var (response, hasContentLength, body) = await GetStreamedAsync("/api/audit?format=csv&entity=bulk");
        using var _ = response;
        var rows = CsvText.Parse(body);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(hasContentLength, Is.False, "a length known in advance means the whole answer was built first");
            Assert.That(response.Headers.TransferEncodingChunked, Is.True);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/csv"));
            Assert.That(response.Content.Headers.ContentDisposition?.FileName, Is.EqualTo("audit.csv"));
            Assert.That(body[..3], Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }));
            Assert.That(rows[0], Is.EqualTo(new[] { "编号", "时间(UTC)", "账号", "姓名", "来源地址", "对象", "对象编号", "操作", "操作前", "操作后", "链位置", "哈希" }));
            Assert.That(rows, Has.Count.EqualTo(Planted + 1), "the header and every row");
            Assert.That(rows.Skip(1).Select(r => r[6]), Is.EqualTo(Enumerable.Range(0, Planted).Reverse().Select(i => $"row-{i:D5}")), "newest first, none missing");
            Assert.That(rows.Skip(1).Select(r => r[2]), Is.All.EqualTo("bulk.tester"));
            Assert.That(JsonNode.Parse(rows[1][9])!["text"]!.GetValue<string>(), Is.EqualTo("说明, \"引号\"\n第二行"));
        });
    }

    [Test]
    public async Task Should_stream_the_JSON_lines_chunked_and_complete()
    {
        var (response, hasContentLength, body) = await GetStreamedAsync("/api/audit?format=jsonl&entity=bulk");
        using var _ = response;
        var lines = Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(hasContentLength, Is.False);
            Assert.That(response.Headers.TransferEncodingChunked, Is.True);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/jsonl"));
            Assert.That(lines, Has.Count.EqualTo(Planted));
            Assert.That(lines.Select(l => l.Str("key")).Distinct().Count(), Is.EqualTo(Planted));
            Assert.That(lines[0]["after"]!["index"]!.GetValue<int>(), Is.EqualTo(Planted - 1));
            Assert.That(lines[0].Str("userName"), Is.EqualTo("bulk.tester"));
        });
    }

    [Test]
    public async Task Should_still_answer_a_page_as_JSON()
    {
        var (status, page, _) = await _supervisor.GetAsync("/api/audit?entity=bulk&pageSize=10&page=2");
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(page!["total"]!.GetValue<int>(), Is.EqualTo(Planted));
            Assert.That(page["items"]!.AsArray().Select(i => i!.Str("key")), Is.EqualTo(Enumerable.Range(Planted - 20, 10).Reverse().Select(i => $"row-{i:D5}")));
        });
    }
}
