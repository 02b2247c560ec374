using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), as an existing Open311 client uses it: the
/// specification's example flow — services, a service definition, a form-encoded POST, the request by id —
/// in JSON and XML, its error format, and one township's key reading that township's whistles only.
/// </summary>
[NonParallelizable]
public sealed class When_an_Open311_client_reports_and_follows_a_problem
{
    private const string Key = "test-key-of-open311-client-0123456789"; // at least 32 characters
    private WhistleSystem _system = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.Open311Async(Key);
        _http = new HttpClient { BaseAddress = _system.Api };
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _http?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonNode Body, HttpResponseMessage Response)> GetJsonAsync(string path)
    {
        var response = await _http.GetAsync(path);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!, response);
    }

    private async Task<(HttpStatusCode Status, XDocument Body)> GetXmlAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/xml"));
        return (response.StatusCode, XDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    private Task<HttpResponseMessage> PostRequestAsync(string format, params (string Name, string Value)[] fields) =>
        _http.PostAsync($"/open311/v2/requests.{format}", new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))));

    [Test]
    public async Task Should_walk_the_specifications_example_flow_and_dispatch_the_whistle_to_branches()
    {
        // GET Service List
        var (status, services, response) = await GetJsonAsync("/open311/v2/services.json");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var vending = services.AsArray().Single(s => s!.Str("service_code") == "street-vending")!;
        Assert.Multiple(() =>
        {
            Assert.That(vending.Str("service_name"), Is.Not.Empty);
            Assert.That(vending.Str("description"), Is.Not.Empty.And.Not.EqualTo(vending.Str("service_name")));
            Assert.That(vending["metadata"]!.GetValue<bool>(), Is.True);
            Assert.That(vending.Str("type"), Is.EqualTo("realtime"));
            Assert.That(vending.Str("group"), Is.Not.Empty);
            Assert.That(vending.Str("keywords"), Does.Contain(vending.Str("group")));
        });

        // GET Service Definition
        var (defStatus, definition, _) = await GetJsonAsync("/open311/v2/services/street-vending.json");
        Assert.That(defStatus, Is.EqualTo(HttpStatusCode.OK));
        var urgency = definition["attributes"]!.AsArray().Single()!;
        Assert.Multiple(() =>
        {
            Assert.That(definition.Str("service_code"), Is.EqualTo("street-vending"));
            Assert.That(urgency.Str("code"), Is.EqualTo("urgency"));
            Assert.That(urgency.Str("datatype"), Is.EqualTo("singlevaluelist"));
            Assert.That(urgency["required"]!.GetValue<bool>(), Is.False);
            Assert.That(urgency["variable"]!.GetValue<bool>(), Is.True);
            Assert.That(urgency["values"]!.AsArray().Select(v => v!.Str("key")), Is.EqualTo(new[] { "routine", "urgent", "emergency" }));
        });

        // POST Service Request (form-encoded, as the specification says)
        var description = "人行道上有流动摊贩占道经营，" + new string('很', 120);
        using var posted = await PostRequestAsync(
            "json",
            ("api_key", Key), ("service_code", "street-vending"), ("lat", "37.76524078"), ("long", "-122.4212043"),
            ("address_string", "城关镇人民路 12 号"), ("description", description), ("attribute[urgency]", "urgent"),
            ("email", "smit333@sfgov.edu"), ("first_name", "John"));
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var created = JsonNode.Parse(await posted.Content.ReadAsStringAsync())!.AsArray().Single()!;
        var id = created.Str("service_request_id");
        Assert.Multiple(() =>
        {
            Assert.That(id, Is.Not.Empty);
            Assert.That(created.Str("service_notice"), Is.Not.Empty);
            Assert.That(created.AsObject().ContainsKey("account_id") && created["account_id"] is null, Is.True, "account_id: null");
        });

        // The whistle itself, as the township's own staff see it: raised by the key's account, dispatched to branches.
        using var township = await _system.SignInAsync("township.chengguan");
        var whistle = await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        Assert.Multiple(() =>
        {
            Assert.That(whistle["raisedBy"]!.Str("userName"), Is.EqualTo("township.chengguan"));
            Assert.That(whistle.Str("title"), Is.EqualTo(description[..100]));
            Assert.That(whistle.Str("description"), Is.EqualTo(description));
            Assert.That(whistle.Str("address"), Is.EqualTo("城关镇人民路 12 号"));
            Assert.That(whistle.Str("urgency"), Is.EqualTo("urgent"));
            Assert.That(whistle["assignments"]!.AsArray().Where(a => a!["branchId"] is not null), Is.Not.Empty);
        });

        // GET Service Request
        var (getStatus, got, _) = await GetJsonAsync($"/open311/v2/requests/{id}.json?api_key={Key}");
        Assert.That(getStatus, Is.EqualTo(HttpStatusCode.OK));
        var request = got.AsArray().Single()!;
        Assert.Multiple(() =>
        {
            Assert.That(request.Str("service_request_id"), Is.EqualTo(id));
            Assert.That(request.Str("status"), Is.EqualTo("open"));
            Assert.That(request.Str("status_notes"), Does.StartWith("dispatched"));
            Assert.That(request.Str("service_code"), Is.EqualTo("street-vending"));
            Assert.That(request.Str("service_name"), Is.EqualTo(vending.Str("service_name")));
            Assert.That(request.Str("address"), Is.EqualTo("城关镇人民路 12 号"));
            Assert.That(request["lat"]!.GetValue<double>(), Is.EqualTo(37.76524078));
            Assert.That(request["long"]!.GetValue<double>(), Is.EqualTo(-122.4212043));
            Assert.That(request.Str("agency_responsible"), Is.Not.Empty);
            Assert.That(DateTimeOffset.Parse(request.Str("requested_datetime"), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(DateTimeOffset.Parse(whistle.Str("raisedAt"), System.Globalization.CultureInfo.InvariantCulture)).Within(TimeSpan.FromSeconds(1)));
            Assert.That(request.Str("updated_datetime"), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"));
        });

        // GET Service Requests, with the specification's filters.
        var (_, open, _) = await GetJsonAsync($"/open311/v2/requests.json?api_key={Key}&service_code=street-vending&status=open");
        var (_, closed, _) = await GetJsonAsync($"/open311/v2/requests.json?api_key={Key}&status=closed");
        var (_, byId, _) = await GetJsonAsync($"/open311/v2/requests.json?api_key={Key}&service_request_id={id}&status=closed");
        Assert.Multiple(() =>
        {
            Assert.That(open.AsArray().Select(r => r!.Str("service_request_id")), Does.Contain(id));
            Assert.That(closed.AsArray().Select(r => r!.Str("service_request_id")), Does.Not.Contain(id));
            Assert.That(byId.AsArray().Select(r => r!.Str("service_request_id")), Is.EqualTo(new[] { id }), "service_request_id overrides the other parameters");
        });
    }

    [Test]
    public async Task Should_answer_in_XML_with_the_specifications_element_names()
    {
        var (_, discovery) = await GetXmlAsync("/open311/v2/discovery.xml");
        var (_, services) = await GetXmlAsync("/open311/v2/services.xml");
        var (_, definition) = await GetXmlAsync("/open311/v2/services/street-vending.xml");
        Assert.Multiple(() =>
        {
            Assert.That(discovery.Root!.Name.LocalName, Is.EqualTo("discovery"));
            Assert.That(discovery.Root.Element("endpoints")!.Elements("endpoint").Single().Element("specification")!.Value, Is.EqualTo("http://wiki.open311.org/GeoReport_v2"));
            Assert.That(discovery.Root.Element("endpoints")!.Element("endpoint")!.Element("formats")!.Elements("format").Select(f => f.Value), Is.EquivalentTo(new[] { "text/xml", "application/json" }));
            Assert.That(services.Root!.Name.LocalName, Is.EqualTo("services"));
            var vending = services.Root.Elements("service").Single(s => s.Element("service_code")!.Value == "street-vending");
            Assert.That(vending.Element("metadata")!.Value, Is.EqualTo("true"));
            Assert.That(vending.Element("type")!.Value, Is.EqualTo("realtime"));
            Assert.That(definition.Root!.Name.LocalName, Is.EqualTo("service_definition"));
            var attribute = definition.Root.Element("attributes")!.Element("attribute")!;
            Assert.That(attribute.Element("datatype")!.Value, Is.EqualTo("singlevaluelist"));
            Assert.That(attribute.Element("values")!.Elements("value").Select(v => v.Element("key")!.Value), Is.EqualTo(new[] { "routine", "urgent", "emergency" }));
        });

        using var posted = await PostRequestAsync("xml", ("api_key", Key), ("service_code", "street-vending"), ("lat", "37.7"), ("long", "-122.4"), ("description", "占道经营"));
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var created = XDocument.Parse(await posted.Content.ReadAsStringAsync());
        Assert.That(created.Root!.Name.LocalName, Is.EqualTo("service_requests"));
        var id = created.Root.Element("request")!.Element("service_request_id")!.Value;
        Assert.That(created.Root.Element("request")!.Element("account_id")!.Value, Is.Empty);

        var (status, request) = await GetXmlAsync($"/open311/v2/requests/{id}.xml?api_key={Key}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var r = request.Root!.Element("request")!;
        Assert.Multiple(() =>
        {
            Assert.That(request.Root.Name.LocalName, Is.EqualTo("service_requests"));
            Assert.That(r.Element("service_request_id")!.Value, Is.EqualTo(id));
            Assert.That(r.Element("status")!.Value, Is.EqualTo("open"));
            Assert.That(r.Element("address")!.Value, Is.EqualTo("37.7,-122.4"), "no address_string: lat,long");
            Assert.That(r.Element("lat")!.Value, Is.EqualTo("37.7"));
            Assert.That(r.Element("long")!.Value, Is.EqualTo("-122.4"));
            Assert.That(r.Element("requested_datetime")!.Value, Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"));
        });
    }

    [Test]
    public async Task Should_answer_errors_in_the_specifications_format()
    {
        using var badKey = await PostRequestAsync("json", ("api_key", "not-the-key"), ("service_code", "street-vending"), ("address_string", "人民路"));
        using var noCode = await PostRequestAsync("json", ("api_key", Key), ("address_string", "人民路"));
        using var unknownCode = await PostRequestAsync("json", ("api_key", Key), ("service_code", "no-such-service"), ("address_string", "人民路"));
        using var noLocation = await PostRequestAsync("json", ("api_key", Key), ("service_code", "street-vending"), ("description", "d"));
        using var badKeyXml = await PostRequestAsync("xml", ("api_key", "not-the-key"), ("service_code", "street-vending"), ("address_string", "人民路"));
        var (readStatus, readBody, _) = await GetJsonAsync("/open311/v2/requests.json?api_key=not-the-key");
        var (missingStatus, missingBody, _) = await GetJsonAsync($"/open311/v2/requests/no-such-request.json?api_key={Key}");
        var (noServiceStatus, noServiceBody, _) = await GetJsonAsync("/open311/v2/services/no-such-service.json");

        async Task Expect(HttpResponseMessage response, HttpStatusCode code, string mentions)
        {
            Assert.That(response.StatusCode, Is.EqualTo(code));
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Single()!;
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo((int)code));
            Assert.That(error.Str("description"), Does.Contain(mentions));
        }

        await Expect(badKey, HttpStatusCode.Forbidden, "api_key");
        await Expect(noCode, HttpStatusCode.BadRequest, "service_code");
        await Expect(unknownCode, HttpStatusCode.BadRequest, "service_code");
        await Expect(noLocation, HttpStatusCode.BadRequest, "location");
        Assert.Multiple(() =>
        {
            Assert.That(readStatus, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(readBody[0]!["code"]!.GetValue<int>(), Is.EqualTo(403));
            Assert.That(missingStatus, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(missingBody[0]!["code"]!.GetValue<int>(), Is.EqualTo(404));
            Assert.That(noServiceStatus, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(noServiceBody[0]!["code"]!.GetValue<int>(), Is.EqualTo(404));
        });

        Assert.That(badKeyXml.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var xml = XDocument.Parse(await badKeyXml.Content.ReadAsStringAsync());
        Assert.Multiple(() =>
        {
            Assert.That(xml.Root!.Name.LocalName, Is.EqualTo("errors"));
            Assert.That(xml.Root.Element("error")!.Element("code")!.Value, Is.EqualTo("403"));
            Assert.That(xml.Root.Element("error")!.Element("description")!.Value, Does.Contain("api_key"));
        });
    }

    [Test]
    public async Task Should_not_show_another_townships_whistles()
    {
        using var other = await _system.SignInAsync("township.dongfeng");
        var theirs = (await other.RaiseAsync(WhistleClient.Raise("东风镇的占道经营", "street-vending", "routine"))).Str("id");

        var (byIdStatus, byId, _) = await GetJsonAsync($"/open311/v2/requests/{theirs}.json?api_key={Key}");
        var (_, listed, _) = await GetJsonAsync($"/open311/v2/requests.json?api_key={Key}");
        var (_, filtered, _) = await GetJsonAsync($"/open311/v2/requests.json?api_key={Key}&service_request_id={theirs}");
        Assert.Multiple(() =>
        {
            Assert.That(byIdStatus, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(byId[0]!["code"]!.GetValue<int>(), Is.EqualTo(404));
            Assert.That(listed.AsArray().Select(r => r!.Str("service_request_id")), Does.Not.Contain(theirs));
            Assert.That(filtered.AsArray(), Is.Empty);
        });
    }
}
