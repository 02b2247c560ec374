using System.Net;
using System.Text.Json.Nodes;
using Whistle.Core.Problems;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>
/// Every problem answer carries a stable <c>code</c> and the <c>params</c> its text needs, beside the English
/// <c>detail</c> (kept for API clients); a 400 carries <c>codes</c> per field beside <c>errors</c>. The UI translates
/// the codes (issue 13, "Chinese all the way through"): before, a branch read "操作未生效：The whistle is cancelled."
/// </summary>
[NonParallelizable]
public sealed class When_an_answer_is_a_problem
{
    private WhistleSystem _system = null!;
    private WhistleClient _township = null!;
    private WhistleClient _branch = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _system = await WhistleSystem.EmbeddedAsync();
        _township = await _system.SignInAsync("township.liuhe");
        _branch = await _system.SignInAsync("branch.market-supervision.liuhe");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _township?.Dispose();
        _branch?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private static string? Code(JsonNode? problem) => problem?["code"]?.GetValue<string>();

    [Test]
    public async Task Should_say_a_cancelled_whistle_by_code_with_its_status()
    {
        var raised = await _township.RaiseAsync(WhistleClient.Raise("无证经营小作坊", "unlicensed-food-business", "routine"));
        var id = raised.Str("id");
        var dispatched = await _township.WaitForWhistleAsync(id, w => w.Str("status") == "dispatched");
        var assignmentId = dispatched["assignments"]!.AsArray().Select(a => a!)
            .First(a => a["branchId"]?.GetValue<string>() == "market-supervision.liuhe").Str("id");
        Assert.That((await _township.PostAsync($"/api/whistles/{id}/cancel")).Status, Is.EqualTo(HttpStatusCode.OK));

        var (status, problem, response) = await _branch.PostAsync($"/api/assignments/{assignmentId}/report", new { });

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict), problem?.ToJsonString());
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(Code(problem), Is.EqualTo(ProblemCodes.WhistleCancelled));
            Assert.That(problem!["params"]!["whistleStatus"]!.GetValue<string>(), Is.EqualTo("cancelled"));
            Assert.That(problem["detail"]!.GetValue<string>(), Is.EqualTo("The whistle is cancelled."), "the English detail stays for API clients");
        });
    }

    [Test]
    public async Task Should_give_each_field_a_code_and_its_values_beside_the_English_message()
    {
        var (status, problem, _) = await _township.PostAsync(
            "/api/whistles",
            new { matterCode = "street-vending", title = new string('长', 101), address = "a", urgency = "whenever", latitude = 91.0, longitude = 120.0 });

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(Code(problem), Is.EqualTo(ProblemCodes.InvalidRequest));
            Assert.That(problem!["errors"]!["title"]![0]!.GetValue<string>(), Is.EqualTo("The title must be at most 100 characters."));
            var title = problem["codes"]!["title"]![0]!;
            Assert.That(title.Str("code"), Is.EqualTo(ProblemCodes.TooLong));
            Assert.That(title["params"]!["max"]!.GetValue<int>(), Is.EqualTo(100));
            Assert.That(problem["codes"]!["urgency"]![0]!.Str("code"), Is.EqualTo(ProblemCodes.OneOf));
            Assert.That(problem["codes"]!["latitude"]![0]!.Str("code"), Is.EqualTo(ProblemCodes.OutOfRange));
            Assert.That(
                problem["codes"]!.AsObject().Select(kv => kv.Key),
                Is.EquivalentTo(problem["errors"]!.AsObject().Select(kv => kv.Key)),
                "every field with a message has its code");
        });
    }

    [Test]
    public async Task Should_code_the_answers_the_framework_gives_too()
    {
        var (notFound, notFoundProblem, _) = await _township.GetAsync("/api/whistles/no-such-whistle");
        var (unknownPath, unknownPathProblem, _) = await _township.GetAsync("/api/no-such-thing");
        using var anonymous = new HttpClient { BaseAddress = _system.Apis[0].BaseAddress };
        var unauthorized = await anonymous.GetAsync("/api/whistles");
        var unauthorizedBody = await unauthorized.Content.ReadAsStringAsync();
        var (forbidden, forbiddenProblem, _) = await _branch.PostAsync("/api/whistles", WhistleClient.Raise());
        var (signIn, signInProblem, _) = await new WhistleClientlessPost(_system.Apis[0].BaseAddress).PostAsync("/api/auth/token", new { userName = "township.liuhe", password = "wrong" });

        Assert.Multiple(() =>
        {
            Assert.That(notFound, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(Code(notFoundProblem), Is.EqualTo(ProblemCodes.NotFound));
            Assert.That(unknownPath, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(Code(unknownPathProblem), Is.EqualTo(ProblemCodes.NotFound));
            Assert.That(unauthorized.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(unauthorizedBody, Does.Contain($"\"code\":\"{ProblemCodes.Unauthorized}\""));
            Assert.That(forbidden, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(Code(forbiddenProblem), Is.Not.Null.And.Not.Empty);
            Assert.That(signIn, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(Code(signInProblem), Is.EqualTo(ProblemCodes.SignInFailed));
        });
    }

    [Test]
    public void Should_list_only_kebab_case_codes_each_once()
    {
        var codes = typeof(ProblemCodes).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.That(codes, Has.All.Matches("^[a-z0-9]+(-[a-z0-9]+)*$"));
        Assert.That(codes, Is.Unique);
    }

    /// <summary>A POST without a token (the sign-in).</summary>
    private sealed class WhistleClientlessPost(Uri baseAddress)
    {
        public async Task<(HttpStatusCode, JsonNode?, HttpResponseMessage)> PostAsync(string path, object body)
        {
            using var http = new HttpClient { BaseAddress = baseAddress };
            var response = await http.PostAsync(path, System.Net.Http.Json.JsonContent.Create(body));
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
        }
    }
}
