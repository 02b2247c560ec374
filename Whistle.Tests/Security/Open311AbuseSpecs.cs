using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Dapper;
using Microsoft.Extensions.Options;
using Whistle.Api.Open311;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 11, finding 8: Open311 is no way around the raise limit, key guessing is limited per address, keys are
/// long, <c>GET requests</c> is bounded in the query and in its id list, control characters are refused on the way
/// in and never break the XML on the way out. Every refusal in the specification's error format.
/// </summary>
[NonParallelizable]
public sealed class When_an_Open311_client_abuses_the_api
{
    private static readonly string Key = "open311-" + new string('k', 40);

    private static Task<WhistleSystem> SystemAsync(Dictionary<string, string?>? more = null) => WhistleSystem.Open311Async(Key, more);

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string format, params (string Name, string Value)[] fields) =>
        http.PostAsync($"/open311/v2/requests.{format}", new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))));

    private static (string, string)[] Request(string key, string description = "占道经营") =>
        [("api_key", key), ("service_code", "street-vending"), ("address_string", "城关镇人民路 12 号"), ("description", description)];

    private static async Task<JsonNode> ErrorAsync(HttpResponseMessage response, HttpStatusCode code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(code), text);
        var error = JsonNode.Parse(text)!.AsArray().Single()!;
        Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo((int)code));
        return error;
    }

    [Test]
    public async Task Should_count_its_raises_against_the_accounts_raise_limit()
    {
        await using var system = await SystemAsync(new() { ["Whistle:Auth:RaisesPerMinute"] = "3" });
        using var http = new HttpClient { BaseAddress = system.Api };
        using var township = await system.SignInAsync("township.chengguan");
        using var other = await system.SignInAsync("township.dongfeng");

        Assert.That((await township.PostAsync("/api/whistles", WhistleClient.Raise("接口上报 1", "street-vending", "routine"))).Status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That((await PostAsync(http, "json", Request(Key))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await township.PostAsync("/api/whistles", WhistleClient.Raise("接口上报 2", "street-vending", "routine"))).Status, Is.EqualTo(HttpStatusCode.Created));

        // The account's three of this minute are used, by either door.
        var error = await ErrorAsync(await PostAsync(http, "json", Request(Key)), HttpStatusCode.TooManyRequests);
        Assert.That(error.Str("description"), Does.Contain("Too many"));
        Assert.That((await township.PostAsync("/api/whistles", WhistleClient.Raise("接口上报 3", "street-vending", "routine"))).Status, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That((await other.PostAsync("/api/whistles", WhistleClient.Raise("另一个账号", "street-vending", "routine"))).Status, Is.EqualTo(HttpStatusCode.Created), "per account");
        var raised = await system.Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM whistles WHERE raised_by_user = 'township.chengguan'"), CancellationToken.None);
        Assert.That(raised, Is.EqualTo(3));
    }

    [Test]
    public async Task Should_answer_429_to_an_address_after_ten_wrong_keys_even_for_the_right_one()
    {
        await using var system = await SystemAsync();
        using var http = new HttpClient { BaseAddress = system.Api };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await http.GetAsync($"/open311/v2/requests.json?api_key=guess-{i}-{new string('x', 32)}");
            statuses.Add(response.StatusCode);
        }

        Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.Forbidden));
        var guess = await ErrorAsync(await PostAsync(http, "json", Request("one-more-guess-" + new string('y', 32))), HttpStatusCode.TooManyRequests);
        Assert.That(guess.Str("description"), Does.Contain("api_key"));
        await ErrorAsync(await http.GetAsync($"/open311/v2/requests.json?api_key={Key}"), HttpStatusCode.TooManyRequests);
        using var xml = await http.GetAsync($"/open311/v2/requests/any.xml?api_key={Key}");
        Assert.That(xml.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(XDocument.Parse(await xml.Content.ReadAsStringAsync()).Root!.Element("error")!.Element("code")!.Value, Is.EqualTo("429"));
        Assert.That((await http.GetAsync("/open311/v2/services.json")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "what needs no key still answers");
    }

    [Test]
    public void Should_refuse_to_start_with_a_key_shorter_than_32_characters()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Open311:ApiKeys:0:Key"] = new string('k', 31);
        settings["Whistle:Open311:ApiKeys:0:UserName"] = "township.chengguan";
        var failure = Assert.CatchAsync<Exception>(async () => await (await ApiHost.StartAsync(settings)).DisposeAsync());
        Assert.That(failure, Is.InstanceOf<OptionsValidationException>().Or.InstanceOf<AggregateException>());
        Assert.That(failure!.Message, Does.Contain("Whistle:Open311:ApiKeys").And.Contain("32 characters"));
    }

    [Test]
    public async Task Should_bound_the_list_of_ids_one_query_may_name()
    {
        await using var system = await SystemAsync();
        using var http = new HttpClient { BaseAddress = system.Api };
        var ids = Enumerable.Range(0, 101).Select(i => $"id-{i}").ToList();
        var error = await ErrorAsync(await http.GetAsync($"/open311/v2/requests.json?api_key={Key}&service_request_id={string.Join(",", ids)}"), HttpStatusCode.BadRequest);
        Assert.That(error.Str("description"), Does.Contain("service_request_id").And.Contain("100"));
        using var hundred = await http.GetAsync($"/open311/v2/requests.json?api_key={Key}&service_request_id={string.Join(",", ids.Take(100))}");
        Assert.That(hundred.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var codes = string.Join(",", Enumerable.Range(0, 101).Select(i => $"code-{i}"));
        await ErrorAsync(await http.GetAsync($"/open311/v2/requests.json?api_key={Key}&service_code={codes}"), HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task Should_take_the_newest_thousand_in_the_query_with_its_filters()
    {
        await using var system = await SystemAsync();
        using var http = new HttpClient { BaseAddress = system.Api };
        var now = DateTimeOffset.UtcNow;
        // 1,100 open whistles of this hour and, older than all of them, 5 closed ones.
        await system.Database.WriteAsync(
            async unit =>
            {
                var rows = Enumerable.Range(0, 1105).Select(i => new
                {
                    Id = $"bulk-{i:D5}",
                    Status = i < 5 ? "closed" : "dispatched",
                    At = i < 5 ? now.AddHours(-2).AddSeconds(i) : now.AddMinutes(-30).AddMilliseconds(i),
                });
                await unit.Connection.ExecuteAsync(
                    """
                    INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, status, raised_by_user, raised_by_name, raised_at, updated_at, version)
                    VALUES (@Id, 'chengguan', 'street-vending', 'routine', '批量', '批量', '人民路', @Status, 'township.chengguan', '城关镇', @At, @At, 0);
                    """,
                    rows,
                    unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);

        var all = JsonNode.Parse(await http.GetStringAsync($"/open311/v2/requests.json?api_key={Key}"))!.AsArray().Select(r => r!.Str("service_request_id")).ToList();
        var closed = JsonNode.Parse(await http.GetStringAsync($"/open311/v2/requests.json?api_key={Key}&status=closed"))!.AsArray().Select(r => r!.Str("service_request_id")).ToList();
        var none = JsonNode.Parse(await http.GetStringAsync($"/open311/v2/requests.json?api_key={Key}&service_code=illegal-construction"))!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(all, Has.Count.EqualTo(Open311Api.MaxResults));
            Assert.That(all, Is.EqualTo(Enumerable.Range(105, 1000).Reverse().Select(i => $"bulk-{i:D5}")), "the newest first");
            Assert.That(closed, Is.EqualTo(Enumerable.Range(0, 5).Reverse().Select(i => $"bulk-{i:D5}")), "filtered before the limit");
            Assert.That(none, Is.Empty);
        });

        // The limit is the query's own (LIMIT / FETCH NEXT after its ORDER BY): no statement of the listing reads the range unbounded.
        var listing = typeof(Open311Queries).GetMethod("RequestsSql", BindingFlags.Static | BindingFlags.NonPublic)!;
        string Composed(DatabaseProvider provider) => (string)listing.Invoke(null, [SqlDialect.For(provider)])!;
        Assert.That(Composed(DatabaseProvider.Sqlite), Does.Contain("ORDER BY w.raised_at DESC, w.id DESC LIMIT @Take"));
        Assert.That(Composed(DatabaseProvider.SqlServer), Does.Contain("ORDER BY w.raised_at DESC, w.id DESC OFFSET 0 ROWS FETCH NEXT @Take ROWS ONLY"));
    }

    [Test]
    public async Task Should_refuse_control_characters_in_a_posted_request()
    {
        await using var system = await SystemAsync();
        using var http = new HttpClient { BaseAddress = system.Api };
        var description = await ErrorAsync(await PostAsync(http, "json", Request(Key, "占道\u0001经营")), HttpStatusCode.BadRequest);
        Assert.That(description.Str("description"), Does.Contain("description").And.Contain("control character"));
        var address = await ErrorAsync(await PostAsync(http, "json", [("api_key", Key), ("service_code", "street-vending"), ("address_string", "人民路\u0085 12 号")]), HttpStatusCode.BadRequest);
        Assert.That(address.Str("description"), Does.Contain("address_string"));
        using var lines = await PostAsync(http, "json", Request(Key, "第一行\n第二行"));
        Assert.That(lines.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a description may hold lines; the title is its first");
        var id = JsonNode.Parse(await lines.Content.ReadAsStringAsync())!.AsArray()[0]!.Str("service_request_id");
        using var township = await system.SignInAsync("township.chengguan");
        var whistle = (await township.GetAsync($"/api/whistles/{id}")).Body!;
        Assert.That((whistle.Str("title"), whistle.Str("description")), Is.EqualTo(("第一行", "第一行\n第二行")));
    }

    [Test]
    public async Task Should_list_in_XML_what_is_already_stored_with_control_characters()
    {
        await using var system = await SystemAsync();
        using var http = new HttpClient { BaseAddress = system.Api };
        using var township = await system.SignInAsync("township.chengguan");
        var id = (await township.RaiseAsync(WhistleClient.Raise("旧数据", "street-vending", "routine"))).Str("id");
        // Stored before the rule, or by other means: control characters and noncharacters XML 1.0 cannot carry.
        await system.Database.ReadAsync(
            c => c.ExecuteAsync("UPDATE whistles SET description = @D, address = @A WHERE id = @Id", new { Id = id, D = "旧\u0001描述\u001B[0m", A = "人民路\uFFFF12\u0085号" }),
            CancellationToken.None);

        using var one = await http.GetAsync($"/open311/v2/requests/{id}.xml?api_key={Key}");
        using var list = await http.GetAsync($"/open311/v2/requests.xml?api_key={Key}");
        Assert.That(one.StatusCode, Is.EqualTo(HttpStatusCode.OK), await one.Content.ReadAsStringAsync());
        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK), await list.Content.ReadAsStringAsync());
        var request = XDocument.Parse(await one.Content.ReadAsStringAsync()).Root!.Element("request")!;
        var listed = XDocument.Parse(await list.Content.ReadAsStringAsync()).Root!.Elements("request").Single(r => r.Element("service_request_id")!.Value == id);
        Assert.Multiple(() =>
        {
            Assert.That(request.Element("description")!.Value, Is.EqualTo("旧\uFFFD描述\uFFFD[0m"));
            Assert.That(request.Element("address")!.Value, Is.EqualTo("人民路\uFFFD12\u0085号"), "U+0085 is a character XML 1.0 carries");
            Assert.That(listed.Element("description")!.Value, Is.EqualTo("旧\uFFFD描述\uFFFD[0m"));
        });
        var json = JsonNode.Parse(await http.GetStringAsync($"/open311/v2/requests/{id}.json?api_key={Key}"))!.AsArray()[0]!;
        Assert.That(json.Str("description"), Is.EqualTo("旧\u0001描述\u001B[0m"), "JSON carries any character, escaped");
    }
}
