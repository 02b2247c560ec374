using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Auth;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 15 (memory per idle branch connection): a hub connection keeps the principal of its token for as long as it is
/// open. That principal holds Whistle's claims and nothing else — not the token, its parsed header and payload, the
/// registered claims or a second copy of every claim — and still answers who, in which role and group.
/// </summary>
[NonParallelizable]
public sealed class When_a_hub_connection_stays_open
{
    private static readonly string[] WhistleClaims =
        [CurrentUser.UserNameClaim, CurrentUser.DisplayNameClaim, CurrentUser.RoleClaim, CurrentUser.OrgClaim, CurrentUser.OrgNameClaim, CurrentUser.StampClaim, CurrentUser.RestrictClaim];

    /// <summary>Sees the principal each hub connection opens with, on the server.</summary>
    private sealed class PrincipalWitness : IHubFilter
    {
        public TaskCompletionSource<ClaimsPrincipal> Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
        {
            Opened.TrySetResult(context.Context.User!);
            return next(context);
        }
    }

    [Test]
    public async Task Should_keep_only_the_claims_Whistle_reads_and_not_the_token()
    {
        var witness = new PrincipalWitness();
        await using var api = await ApiHost.StartAsync(
            TestSettings.Embedded(TestSettings.NewDataFolder()),
            services => services.Configure<HubOptions>(o => o.AddFilter(witness)));
        using var branch = await WhistleClient.SignInAsync(api.BaseAddress, "branch.health.baiyun");
        await using var push = await PushClient.ConnectAsync(api.BaseAddress, branch.Token);

        var principal = await witness.Opened.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var identity = principal.Identities.Single();
        Assert.Multiple(() =>
        {
            Assert.That(identity.Claims.Select(c => c.Type), Is.SubsetOf(WhistleClaims), "no registered claim (iss, aud, exp, nbf, iat) stays");
            Assert.That(identity.Claims.Select(c => c.Type), Is.Unique, "each claim once");
            Assert.That(identity.Claims.Where(c => c.Properties.Count > 0), Is.Empty, "no claim carries properties");
            Assert.That(identity.GetType(), Is.EqualTo(typeof(ClaimsIdentity)), "not the token handler's identity, which holds the token it came from");
            Assert.That(identity.BootstrapContext, Is.Null, "nor the token as its bootstrap context");
            Assert.That(identity.IsAuthenticated, Is.True);
            Assert.That(identity.Name, Is.EqualTo("branch.health.baiyun"));
            Assert.That(principal.IsInRole("branch"), Is.True);
            Assert.That(CurrentUser.TryFrom(principal), Is.Not.Null, "the caller still reads from it");
            Assert.That(principal.FindFirst(CurrentUser.StampClaim)?.Value, Is.Not.Empty, "the stamp the session sweep compares");
        });
    }
}
