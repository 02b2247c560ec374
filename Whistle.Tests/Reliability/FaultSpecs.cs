using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using Whistle.Tests.Support;

namespace Whistle.Tests.Reliability;

/// <summary>
/// The real processes — a RabbitMQ node of the test's own, Whistle.Api ×2 and Whistle.Dispatcher ×2, all on
/// one PostgreSQL database (the test command's cluster) — under a load of whistles and reports, while the broker,
/// PostgreSQL itself, a dispatcher and an Api are killed with SIGKILL and started again and clients' connections
/// are cut. Afterwards every whistle answered
/// 2xx is dispatched exactly once, every assignment exists once, and every client has every event it should
/// exactly once.
/// </summary>
[NonParallelizable]
[Category("Fault")]
public sealed class When_processes_die_under_load
{
    private static readonly string[] Townships = ["chengguan", "dongfeng"];

    [Test]
    [CancelAfter(240_000)]
    public async Task Should_lose_nothing_and_do_nothing_twice()
    {
        if (!OwnBroker.Available)
        {
            var reason = "rabbitmq-server is not installed; run ./test.sh, which installs it.";
            if (System.Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(reason);
            Assert.Ignore(reason);
        }

        var postgres = PostgresServer.RequireControl();
        await using var database = await postgres.CreateDatabaseAsync();
        await using var broker = new OwnBroker();
        await broker.StartAsync();
        var data = TestSettings.NewDataFolder();
        var apiPorts = new[] { FreePort.Next(), FreePort.Next() };
        Dictionary<string, string> Env(int? port) => new()
        {
            ["Whistle__DataFolder"] = data,
            ["Whistle__Demo__Enabled"] = "true",
            ["Whistle__Database__Provider"] = "PostgreSql",
            ["Whistle__Database__ConnectionString"] = database.ConnectionString,
            ["Whistle__Bus__Transport"] = "RabbitMq",
            ["Whistle__Bus__RabbitMq__Host"] = "127.0.0.1",
            ["Whistle__Bus__RabbitMq__Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Whistle__Dispatcher__InProcess"] = "false",
            ["Whistle__Auth__SigningKey"] = TestSettings.SigningKey,
            ["Whistle__Auth__RaisesPerMinute"] = "10000",
            ["Whistle__Auth__LoginAttemptsPerMinute"] = "10000",
            ["Whistle__Outbox__PollInterval"] = "00:00:01",
            ["Whistle__Outbox__ClaimTimeout"] = "00:00:05",
            ["Whistle__Outbox__PublishTimeout"] = "00:00:03",
            ["Logging__LogLevel__Default"] = "Warning",
            ["ASPNETCORE_URLS"] = port is null ? "" : $"http://127.0.0.1:{port}",
        };

        var apis = apiPorts.Select((p, i) => new ProcessHost($"api-{i + 1}", "Whistle.Api", Env(p))).ToList();
        var dispatchers = Enumerable.Range(1, 2).Select(i => new ProcessHost($"dispatcher-{i}", "Whistle.Dispatcher", Env(null))).ToList();
        var urls = apiPorts.Select(p => new Uri($"http://127.0.0.1:{p}")).ToArray();
        try
        {
            // The first Api migrates the database; the others start once it answers.
            apis[0].Start();
            await WaitUntilUpAsync(urls[0], apis[0]);
            apis[1].Start();
            dispatchers.ForEach(d => d.Start());
            await WaitUntilUpAsync(urls[1], apis[1]);

            var http = new Failover(urls);
            var listeners = new List<Listener>();
            foreach (var (user, api) in new[]
            {
                ("township.chengguan", 0), ("township.dongfeng", 1), ("supervisor", 0), ("supervisor", 1),
                ("branch.urban-management.chengguan", 1), ("branch.market-supervision.chengguan", 0),
                ("branch.urban-management.dongfeng", 0), ("branch.market-supervision.dongfeng", 1),
                ("agency.urban-management", 1), ("branch.urban-management.liuhe", 0),
            })
            {
                var token = await http.SignInAsync(user);
                listeners.Add(await Listener.StartAsync(user, urls[api], token));
            }

            // Load: two townships raise a whistle every 200 ms each for 45 s; the lead branch in 城关 reports
            // every duty it is pushed. Meanwhile, the faults.
            var accepted = new ConcurrentDictionary<string, string>(); // idempotency key → whistle id
            var reported = new ConcurrentDictionary<string, bool>();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(45));
            var raisers = Townships.Select(t => Task.Run(async () =>
            {
                var token = await http.SignInAsync($"township.{t}");
                var n = 0;
                while (!stop.IsCancellationRequested)
                {
                    var key = $"{t}-{n++}";
                    var body = await http.SendAsync(HttpMethod.Post, "/api/whistles", token, new { matterCode = "street-vending", title = $"压测 {key}", address = "测试路", urgency = "routine" }, key);
                    accepted[key] = body!["id"]!.GetValue<string>();
                    await Task.Delay(200);
                }
            })).ToList();
            var reporterToken = await http.SignInAsync("branch.urban-management.chengguan");
            var reporter = Task.Run(async () =>
            {
                var lead = listeners.Single(l => l.User == "branch.urban-management.chengguan");
                while (!stop.IsCancellationRequested || lead.Dispatched.Keys.Any(id => !reported.ContainsKey(id)))
                {
                    foreach (var assignment in lead.Dispatched.Keys.Where(id => !reported.ContainsKey(id)).ToList())
                    {
                        var status = await http.SendForStatusAsync(HttpMethod.Post, $"/api/assignments/{assignment}/report", reporterToken, new { });
                        if (status is HttpStatusCode.OK or HttpStatusCode.Conflict) reported[assignment] = true;
                    }

                    await Task.Delay(100);
                }
            });

            var faults = new List<string>();
            await Task.Delay(5_000);
            await broker.KillAsync(); faults.Add("kill -9 RabbitMQ");
            await Task.Delay(4_000);
            await broker.StartAsync(); faults.Add("RabbitMQ started again");
            await Task.Delay(6_000);
            dispatchers[0].Kill(); faults.Add("kill -9 dispatcher-1");
            await Task.Delay(4_000);
            dispatchers[0].Start(); faults.Add("dispatcher-1 started again");
            await Task.Delay(4_000);
            await postgres.KillAndRestartAsync(async () =>
            {
                faults.Add("kill -9 PostgreSQL");
                await Task.Delay(2_000);
            });
            faults.Add("PostgreSQL started again");
            await Task.Delay(5_000);
            apis[1].Kill(); faults.Add("kill -9 api-2");
            await Task.Delay(4_000);
            apis[1].Start(); faults.Add("api-2 started again");
            await Task.Delay(3_000);
            foreach (var listener in listeners.Where((_, i) => i % 3 == 0))
            {
                await listener.CutAsync(); faults.Add($"cut {listener.User}");
            }

            await Task.WhenAll(raisers);
            await reporter.WaitAsync(TimeSpan.FromSeconds(120));

            // Settle: every accepted whistle dispatched, every outbox row sent.
            var settled = DateTime.UtcNow.AddSeconds(120);
            while (true)
            {
                var (raised, unsent) = await QueryAsync(database, async c => (
                    await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM whistles WHERE status = 'raised'"),
                    await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")));
                if (raised == 0 && unsent == 0) break;
                Assert.That(DateTime.UtcNow, Is.LessThan(settled), $"not settled: {raised} whistles not dispatched, {unsent} outbox rows unsent\n{string.Join("\n", apis.Concat(dispatchers).Select(p => p.Name + ": " + Tail(p.Output)))}");
                await Task.Delay(500);
            }

            await Task.Delay(3_000); // the last pushes in flight
            foreach (var listener in listeners) await listener.CatchUpAsync();

            // The verdict, from the database.
            var ids = accepted.Values.ToHashSet();
            var whistles = await QueryAsync(database, async c => (await c.QueryAsync<(string Id, string Status)>("SELECT id, status FROM whistles")).ToList());
            var dispatchedEvents = await QueryAsync(database, async c => (await c.QueryAsync<(string WhistleId, long Count)>(
                "SELECT whistle_id, COUNT(*) FROM timeline WHERE type = 'AssignmentDispatched' GROUP BY whistle_id")).ToDictionary(r => r.WhistleId, r => r.Count));
            var assignments = await QueryAsync(database, async c => (await c.QueryAsync<(string WhistleId, string Agency, long Count)>(
                "SELECT whistle_id, agency_code, COUNT(*) FROM assignments GROUP BY whistle_id, agency_code")).ToList());
            var lost = ids.Count(id => !dispatchedEvents.ContainsKey(id));
            var duplicated = whistles.Count - ids.Count + dispatchedEvents.Values.Count(c => c != 2) + assignments.Count(a => a.Count != 1);
            var missed = 0;
            var pushed = 0;
            var duplicatePushes = 0;
            var liveTwice = 0;
            var outOfOrder = 0;
            foreach (var listener in listeners)
            {
                var expected = await QueryAsync(database, async c => (await c.QueryAsync<long>(
                    "SELECT sequence FROM timeline_audience WHERE group_name = @Group", new { listener.Group })).ToHashSet());
                missed += expected.Count(s => !listener.Applied.ContainsKey(s));
                pushed += listener.Pushed;
                duplicatePushes += listener.DuplicatePushes;
                liveTwice += listener.LiveTwice;
                outOfOrder += listener.OutOfOrder;
                Assert.That(listener.Applied.Keys.Where(s => !expected.Contains(s)), Is.Empty, $"{listener.User} received an event not meant for it");
            }

            TestContext.Out.WriteLine($"faults injected: {faults.Count} ({string.Join("; ", faults)})");
            TestContext.Out.WriteLine($"accepted: {ids.Count}, dispatched: {dispatchedEvents.Count}, duplicates: {duplicated}, lost: {lost}, pushed: {pushed} (already caught up, dropped by sequence: {duplicatePushes - liveTwice}; pushed live twice: {liveTwice}; pushed below a sequence of the same whistle already pushed on the connection: {outOfOrder}), missed: {missed}, reported: {reported.Count}");
            Assert.Multiple(() =>
            {
                Assert.That(ids, Has.Count.GreaterThan(100), "the load ran");
                Assert.That(faults, Has.Count.GreaterThanOrEqualTo(8));
                Assert.That(whistles.Select(w => w.Id).ToHashSet().SetEquals(ids), Is.True, "exactly the accepted whistles exist: none extra from retries");
                Assert.That(lost, Is.Zero, "every accepted whistle was dispatched");
                Assert.That(duplicated, Is.Zero, "no whistle or assignment twice");
                Assert.That(whistles.Where(w => w.Status == "raised"), Is.Empty);
                Assert.That(missed, Is.Zero, "every client has every event meant for it");
                Assert.That(outOfOrder, Is.Zero, "each connection receives each whistle's pushes in sequence order");
                Assert.That(reported, Is.Not.Empty);
            });

            foreach (var listener in listeners) await listener.DisposeAsync();
        }
        finally
        {
            foreach (var host in apis.Concat(dispatchers)) await host.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
        }
    }

    private static string Tail(string text) => text.Length > 1500 ? text[^1500..] : text;

    private static async Task<T> QueryAsync<T>(PostgresDatabase database, Func<NpgsqlConnection, Task<T>> query)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        return await query(connection);
    }

    private static async Task WaitUntilUpAsync(Uri url, ProcessHost host)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/api/demo/users")).IsSuccessStatusCode) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"{host.Name} did not start: {Tail(host.Output)}");
            Assert.That(host.Running, Is.True, $"{host.Name} exited: {Tail(host.Output)}");
            await Task.Delay(250);
        }
    }

    /// <summary>HTTP to whichever Api answers; a request that fails in flight is sent again, to the other one.</summary>
    private sealed class Failover(Uri[] urls)
    {
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };
        private int _next;

        public async Task<string> SignInAsync(string user) =>
            (await SendAsync(HttpMethod.Post, "/api/auth/token", null, new { userName = user, password = "demo" }))!["accessToken"]!.GetValue<string>();

        public async Task<JsonNode?> SendAsync(HttpMethod method, string path, string? token, object body, string? idempotencyKey = null)
        {
            var (status, text) = await SendCoreAsync(method, path, token, body, idempotencyKey);
            Assert.That((int)status, Is.InRange(200, 299), $"{method} {path}: {(int)status} {text}");
            return JsonNode.Parse(text);
        }

        public async Task<HttpStatusCode> SendForStatusAsync(HttpMethod method, string path, string? token, object body) =>
            (await SendCoreAsync(method, path, token, body, null)).Status;

        private async Task<(HttpStatusCode Status, string Text)> SendCoreAsync(HttpMethod method, string path, string? token, object body, string? idempotencyKey)
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                var url = urls[Interlocked.Increment(ref _next) % urls.Length];
                try
                {
                    using var request = new HttpRequestMessage(method, new Uri(url, path)) { Content = JsonContent.Create(body) };
                    if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
                    using var response = await _http.SendAsync(request);
                    if ((int)response.StatusCode >= 500) throw new HttpRequestException($"{(int)response.StatusCode}");
                    return (response.StatusCode, await response.Content.ReadAsStringAsync());
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200);
                }
            }
        }
    }

    /// <summary>
    /// A client that reconnects by itself and catches up on what it missed, de-duplicating by sequence — by the push
    /// contract (docs/API.md, the web client's <c>eventStore.ts</c>): it catches up from its low-water mark, the highest
    /// sequence a catch-up answered (every event it may see up to there is then known), never from the highest sequence
    /// pushed to it. Events of different whistles travel in different outbox streams and commit out of sequence order,
    /// so a push of 105 may come before the push of 103; a client cut off between the two and resuming from 105 lost 103
    /// for good (2 events in a full run once the timeline's writers shared their lock) — the client's error, which the
    /// contract rules out, not the server's.
    /// </summary>
    private sealed class Listener : IAsyncDisposable
    {
        private HubConnection _connection = null!;
        private long _confirmed;
        private long _resumeFrom;

        public string User { get; private init; } = "";

        public string Group { get; private init; } = "";

        public ConcurrentDictionary<long, JsonNode> Applied { get; } = new();

        private readonly ConcurrentDictionary<long, bool> _cameLive = new();

        /// <summary>A live push of an event this client already had from an earlier live push.</summary>
        public int LiveTwice;

        public ConcurrentDictionary<string, bool> Dispatched { get; } = new();

        public int Pushed;

        /// <summary>
        /// Live pushes below a sequence of the same whistle already pushed live on the same connection (issue 11; per
        /// whistle since issue 15: the outbox is partitioned into streams, so events of different whistles may pass
        /// each other, and the client orders by sequence).
        /// </summary>
        public int OutOfOrder;

        private readonly ConcurrentDictionary<string, long> _liveHigh = new();

        public int DuplicatePushes;

        private Uri _url = null!;
        private string _token = "";

        public static async Task<Listener> StartAsync(string user, Uri url, string token)
        {
            var group = user switch
            {
                "supervisor" => "county",
                _ when user.StartsWith("township.", StringComparison.Ordinal) => "township:" + user["township.".Length..],
                _ when user.StartsWith("branch.", StringComparison.Ordinal) => "branch:" + user["branch.".Length..],
                _ => "agency:" + user["agency.".Length..],
            };
            var listener = new Listener { User = user, Group = group, _url = url, _token = token };
            await listener.ConnectAsync();
            return listener;
        }

        private async Task ConnectAsync()
        {
            _connection = new HubConnectionBuilder()
                .WithUrl(new Uri(_url, "/hubs/whistles"), o =>
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(_token);
                    o.Transports = HttpTransportType.WebSockets;
                    o.SkipNegotiation = true;
                })
                .WithAutomaticReconnect(new Forever())
                .Build();
            _liveHigh.Clear();
            _connection.On<JsonNode>("whistleEvent", e =>
            {
                Interlocked.Increment(ref Pushed);
                var sequence = e["sequence"]!.GetValue<long>();
                var whistle = e["whistleId"]?.GetValue<string>() ?? string.Empty;
                if (sequence < _liveHigh.GetValueOrDefault(whistle)) Interlocked.Increment(ref OutOfOrder);
                else _liveHigh[whistle] = sequence;
                Apply(e, live: true);
            });
            _connection.Reconnecting += _ =>
            {
                _resumeFrom = Interlocked.Read(ref _confirmed);
                _liveHigh.Clear(); // a new connection
                return Task.CompletedTask;
            };
            _connection.Reconnected += async _ => await CatchUpAsync(_resumeFrom);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    await _connection.StartAsync();
                    break;
                }
                catch (Exception) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(500);
                }
            }

            await CatchUpAsync(_resumeFrom);
        }

        private void Apply(JsonNode e, bool live)
        {
            var sequence = e["sequence"]!.GetValue<long>();
            if (!Applied.TryAdd(sequence, e))
            {
                if (live)
                {
                    Interlocked.Increment(ref DuplicatePushes);
                    if (_cameLive.ContainsKey(sequence)) Interlocked.Increment(ref LiveTwice);
                }

                return;
            }

            if (live) _cameLive[sequence] = true;

            if (e["type"]!.GetValue<string>() == "AssignmentDispatched" && e["assignment"]?["branchId"]?.GetValue<string>() is { } branch && Group == "branch:" + branch)
            {
                Dispatched[e["assignmentId"]!.GetValue<string>()] = true;
            }
        }

        /// <summary>From the low-water mark: what a client does on reconnecting, and once more at the end.</summary>
        public Task CatchUpAsync() => CatchUpAsync(Interlocked.Read(ref _confirmed));

        private async Task CatchUpAsync(long after)
        {
            while (true)
            {
                var page = await _connection.InvokeAsync<List<JsonNode>>("CatchUp", after);
                foreach (var e in page) Apply(e, live: false);
                if (page.Count > 0)
                {
                    // Every event this client may see in (after, the last one answered] is now known: the mark moves there.
                    var answered = page[^1]["sequence"]!.GetValue<long>();
                    long mark;
                    do
                    {
                        mark = Interlocked.Read(ref _confirmed);
                    }
                    while (answered > mark && Interlocked.CompareExchange(ref _confirmed, answered, mark) != mark);
                    after = answered;
                }

                if (page.Count < 500) return;
            }
        }

        /// <summary>Cuts the connection as a network would, then comes back and catches up.</summary>
        public async Task CutAsync()
        {
            _resumeFrom = Interlocked.Read(ref _confirmed);
            await _connection.DisposeAsync();
            await Task.Delay(1_000);
            await ConnectAsync();
        }

        public async ValueTask DisposeAsync() => await _connection.DisposeAsync();

        private sealed class Forever : IRetryPolicy
        {
            public TimeSpan? NextRetryDelay(RetryContext retryContext) => TimeSpan.FromMilliseconds(500);
        }
    }
}
