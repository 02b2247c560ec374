using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>Sign-in limits, lockout, the raise limit, and fuzzed input that never breaks the server or changes data.</summary>
[NonParallelizable]
public sealed class When_someone_abuses_the_api
{
    [Test]
    public async Task Should_limit_sign_ins_per_account_and_lock_an_account_after_repeated_failures()
    {
        var folder = TestSettings.NewDataFolder();
        var settings = TestSettings.Embedded(folder);
        settings["Whistle:Auth:LoginAttemptsPerMinute"] = "8";
        settings["Whistle:Auth:LockoutThreshold"] = "3";
        await using var api = await ApiHost.StartAsync(settings);
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        Task<HttpResponseMessage> SignIn(string user, string password) => http.PostAsJsonAsync("/api/auth/token", new { userName = user, password });

        // Three wrong passwords from this address lock the account here: then even the right one is refused, with the
        // same answer as a wrong one (When_someone_guesses_passwords: other addresses are not locked out).
        for (var i = 0; i < 3; i++) Assert.That((await SignIn("township.liuhe", "wrong")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var locked = await SignIn("township.liuhe", "demo");
        Assert.That(locked.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await locked.Content.ReadAsStringAsync(), Does.Contain(Whistle.Api.Auth.AuthApi.SignInFailedDetail));
        Assert.That((await SignIn("township.baiyun", "demo")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "other accounts are not affected");

        // Per account name and address: the ninth attempt within the minute is refused before the password is checked.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 9; i++) statuses.Add((await SignIn("township.qingshi", "wrong")).StatusCode);
        Assert.That(statuses.Last(), Is.EqualTo(HttpStatusCode.TooManyRequests));

        // Per address (the middleware's limit, shared by every name from this address).
        var perAddress = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++) perAddress.Add((await SignIn($"nobody{i}", "x")).StatusCode);
        Assert.That(perAddress, Does.Contain(HttpStatusCode.TooManyRequests));
        var tooMany = await SignIn("supervisor", "demo");
        Assert.That(tooMany.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(tooMany.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task Should_limit_how_many_whistles_one_account_raises_a_minute()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Auth:RaisesPerMinute"] = "3";
        await using var api = await ApiHost.StartAsync(settings);
        using var township = await WhistleClient.SignInAsync(api.BaseAddress, "township.chengguan");
        using var other = await WhistleClient.SignInAsync(api.BaseAddress, "township.dongfeng");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++) statuses.Add((await township.PostAsync("/api/whistles", WhistleClient.Raise($"限流 {i}", "street-vending", "routine"))).Status);
        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests }));
        Assert.That((await other.PostAsync("/api/whistles", WhistleClient.Raise("另一个账号", "street-vending", "routine"))).Status, Is.EqualTo(HttpStatusCode.Created));
    }

    private static readonly string[] Strings =
    [
        "", " ", "\0", "\u200B", "\uFEFF", "🙂🙂", "\uD800", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "null",
        new string('长', 5000), new string('x', 50_000), "\u202Eevil", "ｓｔｒｅｅｔ", "street-vending\n", "STREET-VENDING",
    ];

    private static readonly object?[] Values = [null, 0, -1, int.MaxValue, long.MinValue, 1e308, double.NaN.ToString(), true, Array.Empty<object>(), new { }, "2026-13-45"];

    [Test]
    public async Task Should_never_fail_with_a_5xx_nor_change_data_on_fuzzed_input()
    {
        await using var system = await WhistleSystem.EmbeddedAsync();
        using var township = await system.SignInAsync("township.chengguan");
        using var branch = await system.SignInAsync("branch.urban-management.chengguan");
        using var supervisor = await system.SignInAsync("supervisor");
        using var sysadmin = await system.SignInAsync("sysadmin");
        using var secadmin = await system.SignInAsync("secadmin");
        using var auditadmin = await system.SignInAsync("auditadmin");
        var id = (await township.RaiseAsync(WhistleClient.Raise("模糊测试", "street-vending", "routine"))).Str("id");
        var assignment = (await township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched"))["assignments"]![0]!.Str("id");

        async Task<long[]> Rows() => await system.Database.ReadAsync(async c => new[]
        {
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM whistles"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM assignments"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM timeline"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM matters"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users"),
            await c.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(version), 0) FROM whistles"),
        }, CancellationToken.None);

        var targets = new (WhistleClient Client, HttpMethod Method, string Path, string[] Fields)[]
        {
            (township, HttpMethod.Post, "/api/whistles", ["matterCode", "title", "description", "address", "latitude", "longitude", "urgency", "extraAgencyCodes"]),
            (township, HttpMethod.Post, $"/api/whistles/{id}/confirm", ["ratings"]),
            (township, HttpMethod.Post, $"/api/whistles/{id}/reopen", ["reason"]),
            (branch, HttpMethod.Post, $"/api/assignments/{assignment}/resolve", ["note"]),
            (branch, HttpMethod.Post, $"/api/assignments/{assignment}/decline", ["reason"]),
            (township, HttpMethod.Post, $"/api/assignments/{assignment}/reassign", ["agencyCode", "branchId", "reason"]),
            (supervisor, HttpMethod.Post, $"/api/whistles/{id}/assignments", ["agencyCode", "branchId", "reason"]),
            (sysadmin, HttpMethod.Put, "/api/whistle-list/fuzz", ["name", "nameEn", "category", "categoryEn", "agencies", "limits"]),
            (sysadmin, HttpMethod.Put, "/api/org/agencies/health", ["name", "nameEn"]),
            (secadmin, HttpMethod.Post, "/api/users", ["userName", "displayName", "role", "orgId", "password"]),
            (secadmin, HttpMethod.Post, "/api/users/township.baiyun/password", ["password"]),
        };
        // Each fuzzed request on a connection of its own: the spec judges the server's answer to each input, and a
        // connection Kestrel ends after refusing an earlier request (an over-limit body it will not read) must not be
        // blamed on the next request the client's pool sends on it (a full run failed once so, on a 142-byte body).
        foreach (var client in targets.Select(t => t.Item1).Distinct())
        {
            client.Http.DefaultRequestHeaders.ConnectionClose = true;
        }

        var random = new Random(20261127);
        var sent = 0;
        var rejected = 0;
        var fiveHundreds = new List<string>();
        foreach (var (client, method, path, fields) in targets)
        {
            for (var round = 0; round < 40; round++)
            {
                var body = new Dictionary<string, object?>();
                foreach (var field in fields.Where(_ => random.Next(4) > 0))
                {
                    body[field] = random.Next(3) == 0 ? Values[random.Next(Values.Length)] : Strings[random.Next(Strings.Length)];
                }

                var before = await Rows();
                var json = System.Text.Json.JsonSerializer.Serialize(body);
                HttpStatusCode status;
                try
                {
                    (status, _, _) = await client.SendAsync(method, path, body);
                }
                catch (HttpRequestException) when (System.Text.Encoding.UTF8.GetByteCount(json) > 64 * 1024)
                {
                    // Over the body limit Kestrel answers 413 and closes the connection while the client still sends.
                    status = HttpStatusCode.RequestEntityTooLarge;
                }
                catch (HttpRequestException e)
                {
                    // Under the limit a connection the server ends is a failure: say which request, so it can be replayed.
                    throw new AssertionException($"{method} {path} with a {System.Text.Encoding.UTF8.GetByteCount(json)}-byte body ended the connection: {e.Message} {e.InnerException?.Message}", e);
                }

                sent++;
                if ((int)status >= 500) fiveHundreds.Add($"{method} {path} {json[..Math.Min(200, json.Length)]} → {(int)status}");
                if ((int)status is >= 400 and < 500)
                {
                    rejected++;
                    Assert.That(await Rows(), Is.EqualTo(before), $"{method} {path} was refused ({(int)status}) but changed data: {json[..Math.Min(200, json.Length)]}");
                }
            }

            // Not JSON at all, and the wrong shape.
            foreach (var raw in new[] { "{", "[]", "\"text\"", "{\"title\": {\"$gt\": 1}}", "null" })
            {
                var before = await Rows();
                using var request = new HttpRequestMessage(method, path) { Content = new StringContent(raw, Encoding.UTF8, "application/json") };
                var response = await client.Http.SendAsync(request);
                sent++;
                Assert.That((int)response.StatusCode, Is.InRange(400, 499), $"{method} {path} with {raw}");
                Assert.That(await Rows(), Is.EqualTo(before));
                rejected++;
            }
        }

        foreach (var query in new[] { "/api/whistles?status=🙂", "/api/whistles?page=-1", "/api/whistles?pageSize=100000", "/api/whistles?page=abc", "/api/assignments?status=%00",
            "/api/stats/assessment?period=%27", "/api/stats/assessment?date=9999-99-99", "/api/stats/response-times?from=abc", $"/api/whistles/{new string('x', 5000)}" })
        {
            var (status, _, _) = await supervisor.GetAsync(query);
            sent++;
            Assert.That((int)status, Is.InRange(400, 499), query);
        }

        foreach (var query in new[] { "/api/audit?format=xml", "/api/audit?kind=everything", $"/api/audit?user={new string('x', 101)}", $"/api/audit?action={new string('x', 33)}", "/api/audit?from=yesterday" })
        {
            var (status, _, _) = await auditadmin.GetAsync(query);
            sent++;
            Assert.That((int)status, Is.EqualTo(400), query);
        }

        TestContext.Out.WriteLine($"fuzzed requests: {sent}, refused: {rejected}, accepted: {sent - rejected}, 5xx: {fiveHundreds.Count}");
        Assert.That(fiveHundreds, Is.Empty);
        Assert.That(rejected, Is.GreaterThan(sent / 2), "the fuzzer mostly sends nonsense");
    }
}
