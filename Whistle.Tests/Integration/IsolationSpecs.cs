using System.Net;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>Tenancy: nobody reads, acts on or hears of what is not theirs.</summary>
[NonParallelizable]
public sealed class When_someone_reaches_beyond_their_organisation
{
    private WhistleSystem _system = null!;
    private WhistleClient _township = null!;
    private string _whistleId = null!;
    private string _leadAssignmentId = null!;

    [OneTimeSetUp]
    public async Task RaiseOneWhistle()
    {
        _system = await WhistleSystem.EmbeddedAsync();
        _township = await _system.SignInAsync("township.qingshi");
        _whistleId = (await _township.RaiseAsync(WhistleClient.Raise("河道偷排污水", "water-pollution", "urgent"))).Str("id");
        var whistle = await _township.WaitForWhistleAsync(_whistleId, w => w.Str("status") == "dispatched");
        _leadAssignmentId = whistle["assignments"]!.AsArray().Single(a => a!.Str("role") == "lead")!.Str("id");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _township?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    [TestCase("township.chengguan")]
    [TestCase("branch.ecology-environment.chengguan")]
    [TestCase("branch.market-supervision.qingshi")]
    [TestCase("agency.market-supervision")]
    public async Task Should_answer_404_to_a_whistle_that_is_not_theirs(string userName)
    {
        using var other = await _system.SignInAsync(userName);
        var (status, body, response) = await other.GetAsync($"/api/whistles/{_whistleId}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var (_, list, _) = await other.GetAsync("/api/whistles?status=all");
        Assert.That(list!["items"]!.AsArray().Select(w => w!.Str("id")), Does.Not.Contain(_whistleId));
        var (_, inbox, _) = await other.GetAsync("/api/assignments?status=all");
        Assert.That(inbox!["items"]!.AsArray().Select(a => a!.Str("whistleId")), Does.Not.Contain(_whistleId));
    }

    [TestCase("branch.ecology-environment.chengguan", HttpStatusCode.NotFound)]
    [TestCase("township.chengguan", HttpStatusCode.NotFound)]
    [TestCase("township.qingshi", HttpStatusCode.Forbidden)]
    [TestCase("supervisor", HttpStatusCode.Forbidden)]
    [TestCase("agency.ecology-environment", HttpStatusCode.Forbidden)]
    public async Task Should_refuse_an_action_on_an_assignment_that_is_not_theirs(string userName, HttpStatusCode expected)
    {
        using var other = await _system.SignInAsync(userName);
        foreach (var action in new[] { "report", "resolve", "decline" })
        {
            var (status, body, _) = await other.PostAsync($"/api/assignments/{_leadAssignmentId}/{action}", new { note = "x", reason = "x" });
            Assert.That(status, Is.EqualTo(expected), $"{action}: {body?.ToJsonString()}");
        }

        var (_, whistle, _) = await _township.GetAsync($"/api/whistles/{_whistleId}");
        Assert.That(whistle!["assignments"]!.AsArray().Single(a => a!.Str("id") == _leadAssignmentId)!.Str("status"), Is.EqualTo("dispatched"));
    }

    [Test]
    public async Task Should_let_only_the_raising_township_cancel_confirm_or_reopen()
    {
        using var branch = await _system.SignInAsync("branch.ecology-environment.qingshi");
        using var supervisor = await _system.SignInAsync("supervisor");
        foreach (var client in new[] { branch, supervisor })
        {
            Assert.That((await client.PostAsync($"/api/whistles/{_whistleId}/cancel")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        }

        using var otherTownship = await _system.SignInAsync("township.baiyun");
        Assert.That((await otherTownship.PostAsync($"/api/whistles/{_whistleId}/cancel")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await branch.PostAsync("/api/whistles", WhistleClient.Raise())).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Should_never_let_a_client_choose_its_group_or_hear_other_organisations()
    {
        using var outsider = await _system.SignInAsync("branch.ecology-environment.baiyun");
        await using var push = await _system.ConnectAsync(outsider);
        foreach (var method in new[] { "JoinGroup", "AddToGroup", "Subscribe" })
        {
            Assert.ThrowsAsync<HubException>(() => push.Connection.InvokeAsync(method, "township:qingshi"));
        }

        var missed = await push.CatchUpAsync(0);
        Assert.That(missed.Where(e => e.Str("whistleId") == _whistleId), Is.Empty);

        using var insider = await _system.SignInAsync("branch.ecology-environment.qingshi");
        await using var insiderPush = await _system.ConnectAsync(insider);
        var seen = await insiderPush.CatchUpAsync(0);
        Assert.That(seen.Where(e => e.Str("whistleId") == _whistleId).Select(e => e.Str("type")), Does.Contain("AssignmentDispatched"));
    }

    [Test]
    public async Task Should_refuse_anonymous_and_forged_callers()
    {
        using var anonymous = new HttpClient { BaseAddress = _system.Api };
        var response = await anonymous.GetAsync($"/api/whistles/{_whistleId}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));

        var forged = _township.Token[..^4] + (_township.Token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        anonymous.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", forged);
        Assert.That((await anonymous.GetAsync("/api/whistles")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => PushClient.ConnectAsync(_system.Api, forged));

        var wrongPassword = await anonymous.PostAsync("/api/auth/token", System.Net.Http.Json.JsonContent.Create(new { userName = "supervisor", password = "nope" }));
        Assert.That(wrongPassword.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
