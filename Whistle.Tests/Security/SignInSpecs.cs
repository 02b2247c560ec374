using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Core.Accounts;
using Whistle.Api.Auth;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Issue 11, finding 7: sign-in is no denial of service. Failures from one address lock the account for that address
/// only, under a wider per-account ceiling; every failure gets one answer; the hash is computed outside the write
/// transaction (on SQLite that transaction holds the only writer lock).
/// </summary>
[NonParallelizable]
public sealed class When_someone_guesses_passwords
{
    /// <summary>An HTTP client whose connections come from <paramref name="address"/> (any 127.x address is this machine).</summary>
    private static HttpClient From(Uri api, string address) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = api, Timeout = TimeSpan.FromSeconds(90) };

    private static Task<HttpResponseMessage> SignIn(HttpClient http, string user, string password) =>
        http.PostAsJsonAsync("/api/auth/token", new { userName = user, password });

    /// <summary>The answer without what differs per request anyway (the trace id).</summary>
    private static async Task<string> Answer(HttpResponseMessage response)
    {
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        body.Remove("traceId");
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType} {body.ToJsonString()}";
    }

    [Test]
    public async Task Should_not_lock_the_real_user_out_when_an_attacker_fails_from_another_address()
    {
        await using var api = await ApiHost.StartAsync(TestSettings.Embedded(TestSettings.NewDataFolder()));
        using var attacker = From(api.BaseAddress, "127.0.0.2");
        using var user = From(api.BaseAddress, "127.0.0.3");
        for (var i = 0; i < 8; i++) Assert.That((await SignIn(attacker, "supervisor", $"guess-{i}")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        Assert.That((await SignIn(attacker, "supervisor", "demo")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "locked for the attacker's address, even with the right password");
        var real = await SignIn(user, "supervisor", "demo");
        Assert.That(real.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the supervisor still signs in from their own address: " + await real.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Should_give_one_answer_for_an_unknown_user_a_wrong_password_a_locked_and_a_disabled_account()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Auth:LockoutThreshold"] = "3";
        await using var api = await ApiHost.StartAsync(settings);
        using var http = From(api.BaseAddress, "127.0.0.4");
        using var supervisor = await WhistleClient.SignInAsync(api.BaseAddress, "secadmin");
        Assert.That((await supervisor.PostAsync("/api/users/township.baiyun/disable")).Status, Is.EqualTo(HttpStatusCode.NoContent));
        for (var i = 0; i < 3; i++) await SignIn(http, "township.liuhe", "wrong");

        var answers = new Dictionary<string, string>
        {
            ["unknown user"] = await Answer(await SignIn(http, "no.such.user", "demo")),
            ["wrong password"] = await Answer(await SignIn(http, "township.qingshi", "wrong")),
            ["locked (right password)"] = await Answer(await SignIn(http, "township.liuhe", "demo")),
            ["disabled (right password)"] = await Answer(await SignIn(http, "township.baiyun", "demo")),
        };
        TestContext.Out.WriteLine(string.Join("\n", answers.Select(a => $"{a.Key}: {a.Value}")));
        Assert.That(answers.Values.Distinct(), Has.Exactly(1).Items, "the answer tells nothing about the account");
        Assert.That(answers.Values.First(), Does.StartWith("401 application/problem+json"));
        Assert.That(answers.Values.First(), Does.Not.Contain("lock").IgnoreCase.And.Not.Contain("disabled").IgnoreCase);
    }

    [Test]
    public async Task Should_lock_the_account_for_everyone_after_the_wider_per_account_ceiling()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Auth:LockoutThreshold"] = "3";
        settings["Whistle:Auth:AccountLockoutThreshold"] = "8";
        await using var api = await ApiHost.StartAsync(settings);
        using var user = From(api.BaseAddress, "127.0.0.9");

        // Six failures from three addresses, none of them locked on its own: more than the old five-in-a-row.
        foreach (var address in new[] { "127.0.0.5", "127.0.0.6", "127.0.0.7" })
        {
            using var guesser = From(api.BaseAddress, address);
            for (var i = 0; i < 2; i++) await SignIn(guesser, "township.dongfeng", "wrong");
        }

        Assert.That((await SignIn(user, "township.dongfeng", "demo")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "below the ceiling the user still signs in");

        using (var guesser = From(api.BaseAddress, "127.0.0.8"))
        {
            for (var i = 0; i < 2; i++) await SignIn(guesser, "township.dongfeng", "wrong");
        }

        var locked = await SignIn(user, "township.dongfeng", "demo");
        Assert.That(locked.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "eight failures within the window lock the account for every address");
        Assert.That(await Answer(locked), Is.EqualTo(await Answer(await SignIn(user, "township.dongfeng", "wrong"))));
    }

    /// <summary>A hasher that, when told, holds every verification until the test lets it go.</summary>
    private sealed class HoldingHasher : IPasswordHasher<AccountRow>
    {
        private readonly PasswordHasher<AccountRow> _inner = new();
        private readonly ManualResetEventSlim _release = new(false);

        public volatile bool Holding;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.Set();

        public string HashPassword(AccountRow user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(AccountRow user, string hashedPassword, string providedPassword)
        {
            if (Holding)
            {
                Entered.TrySetResult();
                _release.Wait(TimeSpan.FromSeconds(120));
            }

            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }

    [Test]
    public async Task Should_verify_the_password_outside_the_write_transaction()
    {
        var hasher = new HoldingHasher();
        await using var system = await WhistleSystem.EmbeddedAsync(s => s.AddSingleton<IPasswordHasher<AccountRow>>(hasher));
        using var township = await system.SignInAsync("township.chengguan");
        using var anonymous = new HttpClient { BaseAddress = system.Api, Timeout = TimeSpan.FromSeconds(180) };

        hasher.Holding = true;
        var signIn = SignIn(anonymous, "supervisor", "demo");
        try
        {
            Assert.That(await Task.WhenAny(hasher.Entered.Task, Task.Delay(TimeSpan.FromSeconds(30))), Is.SameAs(hasher.Entered.Task), "the sign-in reached the hash");

            // While the hash is being verified, another request writes (a whistle raised: a write transaction).
            var raise = township.PostAsync("/api/whistles", WhistleClient.Raise("登录时的写入", "street-vending", "routine"));
            var done = await Task.WhenAny(raise, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.That(done, Is.SameAs(raise), "a write waited for a sign-in's password hash: the hash ran inside the write transaction");
            Assert.That((await raise).Status, Is.EqualTo(HttpStatusCode.Created));
        }
        finally
        {
            hasher.Release();
        }

        Assert.That((await signIn).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
