using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Every endpoint, called as every role for its own organisation and for another, answered as the table
/// says. A new endpoint without a row fails <see cref="Should_have_a_row_for_every_endpoint"/>.
/// </summary>
[NonParallelizable]
public sealed class When_every_role_calls_every_endpoint
{
    // Actors: anonymous; the raising township and another; the lead branch and the same agency's branch
    // elsewhere; that agency and another; the county's supervisor.
    private static readonly string[] Actors = ["anonymous", "township", "township-other", "branch", "branch-other", "agency", "agency-other", "supervisor"];

    private readonly ShiftedClock _clock = new();
    private WhistleSystem _system = null!;
    private readonly Dictionary<string, WhistleClient> _clients = [];
    private HttpClient _anonymous = null!;
    private int _unexpected;

    private sealed record Row(Func<Task<Probe>> Setup, IReadOnlyDictionary<string, HttpStatusCode> Expected, string? OwnerLast = null);

    private sealed record Probe(HttpMethod Method, string Path, object? Body);

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync(
            s => s.AddSingleton<TimeProvider>(_clock),
            new Dictionary<string, string?> { ["Whistle:Notices:AllowedNetworks"] = "127.0.0.0/8" }); // the notice channel's 127.0.0.1:9
        foreach (var (actor, user) in new[]
        {
            ("township", "township.chengguan"), ("township-other", "township.dongfeng"),
            ("branch", "branch.urban-management.chengguan"), ("branch-other", "branch.urban-management.dongfeng"),
            ("agency", "agency.urban-management"), ("agency-other", "agency.health"), ("supervisor", "supervisor"),
        })
        {
            _clients[actor] = await _system.SignInAsync(user);
        }

        _anonymous = new HttpClient { BaseAddress = _system.Api };
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        foreach (var c in _clients.Values) c.Dispose();
        _anonymous?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
        TestContext.Out.WriteLine($"unauthorised answers: {_unexpected}");
    }

    private static Dictionary<string, HttpStatusCode> E(params (string Actor, HttpStatusCode Code)[] codes)
    {
        var d = codes.ToDictionary(c => c.Actor, c => c.Code);
        d.TryAdd("anonymous", HttpStatusCode.Unauthorized);
        return d;
    }

    private static readonly HttpStatusCode Ok = HttpStatusCode.OK, Created = HttpStatusCode.Created, NoContent = HttpStatusCode.NoContent,
        Forbidden = HttpStatusCode.Forbidden, NotFound = HttpStatusCode.NotFound, Conflict = HttpStatusCode.Conflict, BadRequest = HttpStatusCode.BadRequest;

    private static Dictionary<string, HttpStatusCode> Everyone(HttpStatusCode code) =>
        E(Actors.Where(a => a != "anonymous").Select(a => (a, code)).ToArray());

    private static Dictionary<string, HttpStatusCode> SupervisorOnly(HttpStatusCode code) =>
        E(Actors.Where(a => a != "anonymous").Select(a => (a, a == "supervisor" ? code : Forbidden)).ToArray());

    /// <summary>A fresh street-vending whistle of 城关: lead 城管 (the "branch" actor), co 市场监管.</summary>
    private async Task<(string Whistle, string Lead)> FreshAsync()
    {
        var id = (await _clients["township"].RaiseAsync(WhistleClient.Raise("矩阵测试", "street-vending", "routine"))).Str("id");
        var w = await _clients["township"].WaitForWhistleAsync(id, x => x.Str("status") == "dispatched");
        return (id, w["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!.Str("id"));
    }

    /// <summary>A fresh meeting of 城关 summoning its 城管 branch (the "branch" actor), begun (attendance and minutes come only then).</summary>
    private async Task<(string Meeting, string Summons)> FreshMeetingAsync()
    {
        var (_, body, _) = await _clients["township"].PostAsync("/api/meetings", Meeting());
        var meeting = body!.AsArray()[0]!;
        _clock.Shift(TimeSpan.FromMinutes(2));
        return (meeting.Str("id"), meeting["summons"]!.AsArray()[0]!.Str("id"));
    }

    private object Meeting() => new
    {
        kind = "regular", title = "矩阵协调会", place = "街道会议室", startsAt = _clock.GetUtcNow().AddMinutes(1), agencyCodes = new[] { "urban-management" },
    };

    private static Dictionary<string, HttpStatusCode> Organizer(HttpStatusCode code) =>
        E(("township", code), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Forbidden));

    private static object NoticeChannel() => new
    {
        unitKind = "branch", unitId = "urban-management.baiyun", kind = "webhook", url = "http://127.0.0.1:9/matrix", secret = "matrix-secret", events = new[] { "AssignmentEscalated" },
    };

    /// <summary>A notice channel (its receiver never answers), created by the supervisor.</summary>
    private async Task<string> NoticeChannelAsync(string id)
    {
        await _clients["supervisor"].SendAsync(HttpMethod.Put, $"/api/notice-channels/{id}", NoticeChannel());
        return id;
    }

    private Dictionary<string, Row> Rows()
    {
        var matter = new
        {
            name = "矩阵事项", nameEn = "Matrix matter", category = "城市管理", categoryEn = "Urban management",
            agencies = new[] { new { agencyCode = "urban-management", role = "lead" } },
            limits = new { routine = new { reportWithinMinutes = 60, resolveWithinMinutes = 600 }, urgent = new { reportWithinMinutes = 60, resolveWithinMinutes = 600 }, emergency = new { reportWithinMinutes = 30, resolveWithinMinutes = 300 } },
        };
        var account = 0;
        return new()
        {
            ["POST /api/auth/token"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/token", new { userName = "supervisor", password = "demo" })), E(Actors.Select(a => (a, Ok)).ToArray())),
            // Sign-in's second step, and what a signed-in account does with its own password and second factor (issue 11).
            ["POST /api/auth/token/second-factor"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/token/second-factor", new { challenge = "not-a-challenge", code = "123456" })),
                E(Actors.Select(a => (a, HttpStatusCode.Unauthorized)).ToArray())),
            ["POST /api/auth/password"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/password", new { currentPassword = "demo", newPassword = "weak" })), Everyone(BadRequest)),
            ["GET /api/auth/second-factor"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/auth/second-factor", null)), Everyone(Ok)),
            ["POST /api/auth/second-factor/enrol"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/second-factor/enrol", null)), Everyone(Ok)),
            ["POST /api/auth/second-factor/confirm"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/second-factor/confirm", new { code = "not-a-code" })), Everyone(BadRequest)),
            ["POST /api/auth/second-factor/disable"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/auth/second-factor/disable", new { password = "demo" })), Everyone(Conflict)),
            ["POST /api/users/{userName}/second-factor/disable"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users/township.shuangqiao/second-factor/disable", null)), SupervisorOnly(NoContent)),
            ["GET /api/demo/users"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/demo/users", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /api/whistle-list"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/whistle-list", null)), Everyone(Ok)),
            ["GET /api/org"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/org", null)), Everyone(Ok)),
            ["PUT /api/whistle-list/{code}"] = new(() => Task.FromResult(new Probe(HttpMethod.Put, "/api/whistle-list/matrix-matter", matter)), SupervisorOnly(Ok)),
            ["DELETE /api/whistle-list/{code}"] = new(async () =>
            {
                await _clients["supervisor"].SendAsync(HttpMethod.Put, "/api/whistle-list/matrix-retire", matter);
                return new Probe(HttpMethod.Delete, "/api/whistle-list/matrix-retire", null);
            }, SupervisorOnly(NoContent), OwnerLast: "supervisor"),
            ["PUT /api/org/agencies/{code}"] = new(() => Task.FromResult(new Probe(HttpMethod.Put, "/api/org/agencies/agriculture", new { name = "县农业农村局", nameEn = "County Agriculture and Rural Affairs Bureau" })), SupervisorOnly(Ok)),
            ["GET /api/audit/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/audit", null)), SupervisorOnly(Ok)),
            ["GET /api/stats/response-times"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/stats/response-times", null)),
                E(("township", Ok), ("township-other", Ok), ("supervisor", Ok), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", Forbidden), ("agency-other", Forbidden))),
            ["GET /api/stats/assessment"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/stats/assessment", null)),
                E(("township", Ok), ("township-other", Ok), ("supervisor", Ok), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", Forbidden), ("agency-other", Forbidden))),
            ["GET /api/users/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/users", null)), SupervisorOnly(Ok)),
            ["POST /api/users/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users", new { userName = $"matrix.user{Interlocked.Increment(ref account)}", displayName = "矩阵", role = "township", orgId = "baiyun", password = "A-long-password" })), SupervisorOnly(Created)),
            ["POST /api/users/{userName}/disable"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users/township.baiyun/disable", null)), SupervisorOnly(NoContent), OwnerLast: "supervisor"),
            ["POST /api/users/{userName}/enable"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users/township.baiyun/enable", null)), SupervisorOnly(NoContent)),
            ["POST /api/users/{userName}/password"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/users/township.shuangqiao/password", new { password = "Another-long-password" })), SupervisorOnly(NoContent)),
            ["POST /api/whistles/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/whistles", WhistleClient.Raise("矩阵", "street-vending", "routine"))),
                E(("township", Created), ("township-other", Created), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", Forbidden), ("agency-other", Forbidden), ("supervisor", Forbidden))),
            ["GET /api/whistles/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/whistles", null)), Everyone(Ok)),
            ["GET /api/whistles/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/whistles/{(await FreshAsync()).Whistle}", null), Visible(Ok)),
            ["POST /api/whistles/{id}/cancel"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshAsync()).Whistle}/cancel", null), TownshipAction(Ok), OwnerLast: "township"),
            ["POST /api/whistles/{id}/confirm"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshAsync()).Whistle}/confirm", new { ratings = Array.Empty<object>() }), TownshipAction(Conflict)),
            ["POST /api/whistles/{id}/reopen"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshAsync()).Whistle}/reopen", new { reason = "r" }), TownshipAction(Conflict)),
            ["POST /api/whistles/{id}/assignments"] = new(async () => new Probe(HttpMethod.Post, $"/api/whistles/{(await FreshAsync()).Whistle}/assignments", new { agencyCode = "health" }),
                E(("township", Forbidden), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Ok)), OwnerLast: "supervisor"),
            ["GET /api/assignments/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/assignments", null)), Everyone(Ok)),
            ["POST /api/assignments/{id}/report"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshAsync()).Lead}/report", new { }), BranchAction(Ok), OwnerLast: "branch"),
            ["POST /api/assignments/{id}/resolve"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshAsync()).Lead}/resolve", new { note = "n" }), BranchAction(Conflict)),
            ["POST /api/assignments/{id}/decline"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshAsync()).Lead}/decline", new { reason = "r" }), BranchAction(Ok), OwnerLast: "branch"),
            ["POST /api/assignments/{id}/reassign"] = new(async () => new Probe(HttpMethod.Post, $"/api/assignments/{(await FreshAsync()).Lead}/reassign", new { agencyCode = "public-security", reason = "r" }),
                E(("township", Conflict), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Ok)), OwnerLast: "supervisor"),
            ["POST /api/meetings/"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/api/meetings", Meeting())),
                E(("township", Created), ("township-other", Created), ("branch", Forbidden), ("branch-other", Forbidden), ("agency", Forbidden), ("agency-other", Forbidden), ("supervisor", Created))),
            ["GET /api/meetings/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/meetings", null)), Everyone(Ok)),
            ["GET /api/meetings/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/meetings/{(await FreshMeetingAsync()).Meeting}", null), Visible(Ok)),
            ["GET /api/meetings/{id}/ics"] = new(async () => new Probe(HttpMethod.Get, $"/api/meetings/{(await FreshMeetingAsync()).Meeting}/ics", null), Visible(Ok)),
            ["POST /api/meetings/{id}/summons/{summonsId}/confirm"] = new(async () =>
            {
                var (m, s) = await FreshMeetingAsync();
                return new Probe(HttpMethod.Post, $"/api/meetings/{m}/summons/{s}/confirm", new { attendee = "张队长" });
            }, BranchAction(Ok), OwnerLast: "branch"),
            ["POST /api/meetings/{id}/summons/{summonsId}/decline"] = new(async () =>
            {
                var (m, s) = await FreshMeetingAsync();
                return new Probe(HttpMethod.Post, $"/api/meetings/{m}/summons/{s}/decline", new { reason = "同时段有应急任务" });
            }, BranchAction(Ok), OwnerLast: "branch"),
            ["POST /api/meetings/{id}/attendance"] = new(async () =>
            {
                var (m, s) = await FreshMeetingAsync();
                return new Probe(HttpMethod.Post, $"/api/meetings/{m}/attendance", new { entries = new[] { new { summonsId = s, attendance = "present" } } });
            }, Organizer(Ok), OwnerLast: "township"),
            ["POST /api/meetings/{id}/minutes"] = new(async () => new Probe(HttpMethod.Post, $"/api/meetings/{(await FreshMeetingAsync()).Meeting}/minutes", new { minutes = "议定事项如下" }), Organizer(Ok), OwnerLast: "township"),
            ["POST /api/meetings/{id}/cancel"] = new(async () => new Probe(HttpMethod.Post, $"/api/meetings/{(await FreshMeetingAsync()).Meeting}/cancel", null), Organizer(Ok), OwnerLast: "township"),
            ["GET /api/export/whistles"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/export/whistles", null)), SupervisorOnly(Ok)),
            ["GET /api/export/timeline"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/export/timeline", null)), SupervisorOnly(Ok)),
            // Notice channels (issue 7): supervisors only.
            ["GET /api/notice-channels/"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/notice-channels", null)), SupervisorOnly(Ok)),
            ["GET /api/notice-channels/{id}"] = new(async () => new Probe(HttpMethod.Get, $"/api/notice-channels/{await NoticeChannelAsync("matrix-read")}", null), SupervisorOnly(Ok)),
            ["PUT /api/notice-channels/{id}"] = new(() => Task.FromResult(new Probe(HttpMethod.Put, "/api/notice-channels/matrix-put", NoticeChannel())), SupervisorOnly(Ok)),
            ["DELETE /api/notice-channels/{id}"] = new(async () => new Probe(HttpMethod.Delete, $"/api/notice-channels/{await NoticeChannelAsync("matrix-delete")}", null), SupervisorOnly(NoContent)),
            ["GET /api/notice-channels/{id}/deliveries"] = new(async () => new Probe(HttpMethod.Get, $"/api/notice-channels/{await NoticeChannelAsync("matrix-read")}/deliveries", null), SupervisorOnly(Ok)),
            // Operations (issue 7): probes, the scrape endpoint and the API reference are public, and say nothing about any organisation.
            ["* /health/live"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/health/live", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["* /health/ready"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/health/ready", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["* /metrics"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/metrics", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /openapi/{documentName}.json"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/openapi/v1.json", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /scalar/{documentName?}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/scalar/v1", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /scalar/scalar.js"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/scalar/scalar.js", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /scalar/scalar.aspnetcore.js"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/scalar/scalar.aspnetcore.js", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /scalar/favicon.svg"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/scalar/favicon.svg", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            // Open311 GeoReport v2 (issue 7): anonymous at the HTTP level, authorised by api_key (none here: 403 in the specification's format).
            ["GET /open311/v2/discovery.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/open311/v2/discovery.json", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /open311/v2/services.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/open311/v2/services.json", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["GET /open311/v2/services/{code}.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/open311/v2/services/street-vending.xml", null)), E(Actors.Select(a => (a, Ok)).ToArray())),
            ["POST /open311/v2/requests.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Post, "/open311/v2/requests.json", new { service_code = "street-vending" })), E(Actors.Select(a => (a, Forbidden)).ToArray())),
            ["GET /open311/v2/requests.{format}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/open311/v2/requests.json", null)), E(Actors.Select(a => (a, Forbidden)).ToArray())),
            ["GET /open311/v2/requests/{id}.{format}"] = new(async () => new Probe(HttpMethod.Get, $"/open311/v2/requests/{(await FreshAsync()).Whistle}.json?api_key=not-a-key", null), E(Actors.Select(a => (a, Forbidden)).ToArray())),
            ["* /api/{**path}"] = new(() => Task.FromResult(new Probe(HttpMethod.Get, "/api/no-such-thing", null)), E(Actors.Select(a => (a, NotFound)).ToArray())),
        };
    }

    private static Dictionary<string, HttpStatusCode> Visible(HttpStatusCode code) =>
        E(("township", code), ("township-other", NotFound), ("branch", code), ("branch-other", NotFound), ("agency", code), ("agency-other", NotFound), ("supervisor", code));

    private static Dictionary<string, HttpStatusCode> TownshipAction(HttpStatusCode code) =>
        E(("township", code), ("township-other", NotFound), ("branch", Forbidden), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Forbidden));

    private static Dictionary<string, HttpStatusCode> BranchAction(HttpStatusCode code) =>
        E(("township", Forbidden), ("township-other", NotFound), ("branch", code), ("branch-other", NotFound), ("agency", Forbidden), ("agency-other", NotFound), ("supervisor", Forbidden));

    private IEnumerable<string> Endpoints() =>
        _system.Apis[0].Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/hubs/", StringComparison.Ordinal) && e.RoutePattern.RawText != "{*path:nonfile}")
            .Select(e => $"{(e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? string.Join(",", m) : "*")} {e.RoutePattern.RawText}")
            .Distinct();

    [Test]
    public void Should_have_a_row_for_every_endpoint()
    {
        var rows = Rows().Keys.ToHashSet();
        Assert.That(Endpoints().Where(e => !rows.Contains(e)), Is.Empty, "endpoints without a row in the authorization matrix");
        Assert.That(rows.Where(r => !Endpoints().Contains(r)), Is.Empty, "rows for endpoints that do not exist");
    }

    [TestCaseSource(nameof(RowNames))]
    public async Task Should_answer_each_role_as_the_table_says(string endpoint)
    {
        var row = Rows()[endpoint];
        var probe = await row.Setup();
        var order = Actors.Where(a => a != row.OwnerLast).Append(row.OwnerLast).OfType<string>();
        var failures = new List<string>();
        foreach (var actor in order)
        {
            var status = await SendAsync(actor, probe);
            if (status != row.Expected[actor])
            {
                failures.Add($"{actor}: expected {(int)row.Expected[actor]}, got {(int)status}");
                Interlocked.Increment(ref _unexpected);
            }
        }

        Assert.That(failures, Is.Empty, $"{endpoint} {probe.Path}");
    }

    [Test]
    public async Task Should_let_every_hub_client_catch_up_only_on_its_own_organisations_events()
    {
        var (whistle, _) = await FreshAsync();
        var expectations = new Dictionary<string, bool>
        {
            ["township"] = true, ["township-other"] = false, ["branch"] = true, ["branch-other"] = false,
            ["agency"] = true, ["agency-other"] = false, ["supervisor"] = true,
        };
        foreach (var (actor, sees) in expectations)
        {
            await using var push = await _system.ConnectAsync(_clients[actor]);
            var events = await push.CatchUpAsync(0);
            Assert.That(events.Any(e => e.Str("whistleId") == whistle), Is.EqualTo(sees), actor);
        }

        Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => PushClient.ConnectAsync(_system.Api, "not-a-token"));
    }

    public static IEnumerable<string> RowNames() => new When_every_role_calls_every_endpoint().Rows().Keys;

    private async Task<HttpStatusCode> SendAsync(string actor, Probe probe)
    {
        if (actor == "anonymous")
        {
            using var request = new HttpRequestMessage(probe.Method, probe.Path);
            if (probe.Body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(probe.Body);
            return (await _anonymous.SendAsync(request)).StatusCode;
        }

        return (await _clients[actor].SendAsync(probe.Method, probe.Path, probe.Body)).Status;
    }
}
