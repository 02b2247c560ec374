using System.Net;
using Whistle.Tests.Support;

namespace Whistle.Tests.Integration;

/// <summary>Reference data and accounts (PRODUCT.md §5).</summary>
[NonParallelizable]
public sealed class When_a_client_reads_the_county
{
    private WhistleSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start() => _system = await WhistleSystem.EmbeddedAsync();

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null) await _system.DisposeAsync();
    }

    [Test]
    public async Task Should_list_the_whistle_list_with_agencies_and_limits_per_urgency()
    {
        using var township = await _system.SignInAsync("township.chengguan");
        var (status, list, _) = await township.GetAsync("/api/whistle-list");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var matters = list!.AsArray();
        Assert.That(matters, Has.Count.GreaterThanOrEqualTo(15));
        foreach (var matter in matters)
        {
            Assert.That(matter!["agencies"]!.AsArray().Count(a => a!.Str("role") == "lead"), Is.EqualTo(1), matter.Str("code"));
            Assert.That(matter["limits"]!["emergency"]!["reportWithinMinutes"]!.GetValue<int>(), Is.EqualTo(30));
            foreach (var urgency in new[] { "routine", "urgent", "emergency" })
            {
                Assert.That(matter["limits"]![urgency]!["resolveWithinMinutes"]!.GetValue<int>(), Is.GreaterThan(0));
            }

            Assert.That(matter.Str("nameEn"), Is.Not.Empty);
        }
    }

    [Test]
    public async Task Should_describe_the_organisation()
    {
        using var branch = await _system.SignInAsync("branch.health.baiyun");
        var (status, org, _) = await branch.GetAsync("/api/org");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.Multiple(() =>
        {
            Assert.That(org!["townships"]!.AsArray(), Has.Count.GreaterThanOrEqualTo(4));
            Assert.That(org["agencies"]!.AsArray().Count(a => !a!["hasBranches"]!.GetValue<bool>()), Is.EqualTo(1));
            Assert.That(org["branches"]!.AsArray().All(b => b!.Str("id") == $"{b!.Str("agencyCode")}.{b!.Str("townshipId")}"), Is.True);
        });
    }

    [Test]
    public async Task Should_issue_tokens_that_describe_the_user_and_list_the_demo_accounts()
    {
        using var anonymous = new HttpClient { BaseAddress = _system.Api };
        var users = System.Text.Json.Nodes.JsonNode.Parse(await anonymous.GetStringAsync("/api/demo/users"))!.AsArray();
        Assert.That(users.Select(u => u!.Str("role")).Distinct(), Is.EquivalentTo(new[] { "township", "branch", "agency", "supervisor", "sysadmin", "secadmin", "auditadmin", "department", "institution", "establishment-office" }), "the city level's roles too (issue 17)");
        Assert.That(users.Where(u => u!.Str("role") is "sysadmin" or "secadmin" or "auditadmin").Select(u => u!.Str("orgName")), Is.All.EqualTo("青山县信息中心"), "三员: one demo account each");
        using var agency = await _system.SignInAsync("agency.emergency-management");
        Assert.Multiple(() =>
        {
            Assert.That(agency.User.Str("role"), Is.EqualTo("agency"));
            Assert.That(agency.User.Str("orgId"), Is.EqualTo("emergency-management"));
            Assert.That(agency.User.Str("orgName"), Is.EqualTo("县应急管理局"));
        });
        Assert.That((await anonymous.GetAsync("/api/whistle-list")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}

[NonParallelizable]
public sealed class When_demo_mode_is_off
{
    [Test]
    public async Task Should_hide_and_remove_the_demo_accounts()
    {
        var folder = TestSettings.NewDataFolder();
        var settings = TestSettings.Embedded(folder);
        await using (var demo = await ApiHost.StartAsync(settings))
        {
            using var _ = await WhistleClient.SignInAsync(demo.BaseAddress, "supervisor");
        }

        settings["Whistle:Demo:Enabled"] = "false";
        await using var production = await ApiHost.StartAsync(settings);
        using var anonymous = new HttpClient { BaseAddress = production.BaseAddress };
        Assert.That((await anonymous.GetAsync("/api/demo/users")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var login = await anonymous.PostAsync("/api/auth/token", System.Net.Http.Json.JsonContent.Create(new { userName = "supervisor", password = "demo" }));
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
