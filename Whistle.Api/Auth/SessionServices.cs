using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Whistle.Core.Accounts;
using Whistle.Api.Push;
using Whistle.Core.Hosting;

namespace Whistle.Api.Auth;

/// <summary>Accounts, sign-in, tokens and the sessions they open (HTTP and hub).</summary>
public static class SessionServices
{
    public static IServiceCollection AddWhistleSessions(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>()
            .Validate(o => o.LockoutDuration > TimeSpan.Zero, "Whistle:Auth:LockoutDuration must be positive (default: 00:15:00).")
            .Validate(o => o.AccountLockoutThreshold is >= 1 and <= 100_000, "Whistle:Auth:AccountLockoutThreshold must be between 1 and 100000 (default: 50).")
            .Validate(o => o.AccountLockoutWindow > TimeSpan.Zero, "Whistle:Auth:AccountLockoutWindow must be positive (default: 01:00:00).")
            .Validate(o => o.MinimumPasswordLength is >= 8 and <= 128, "Whistle:Auth:MinimumPasswordLength must be between 8 and 128 (default: 10).")
            .Validate(o => o.PasswordMaxAge >= TimeSpan.Zero, "Whistle:Auth:PasswordMaxAge must be 0 (no expiry) or positive (default: 90.00:00:00).")
            .Validate(o => o.IdleTimeout >= TimeSpan.FromMinutes(2) && o.IdleTimeout <= TimeSpan.FromDays(1), "Whistle:Auth:IdleTimeout must be between 00:02:00 and 1.00:00:00 (default: 00:30:00).")
            .Validate(
                o => o.SecondFactorRoles.All(r => Whistle.Core.Domain.Roles.All.Contains(r)),
                $"Whistle:Auth:RequireSecondFactorFor is a comma-separated list of roles ({string.Join(", ", Whistle.Core.Domain.Roles.All)}), or empty (default: supervisor,sysadmin,secadmin,auditadmin).")
            .Validate(o => o.CatchUpBurst is >= 1 and <= 10_000 && o.CatchUpsPerMinute is >= 1 and <= 100_000, "Whistle:Auth:CatchUpBurst (1–10000, default 20) and Whistle:Auth:CatchUpsPerMinute (1–100000, default 60) bound the hub's CatchUp calls per connection.");

        services.TryAddSingleton<IPasswordHasher<AccountRow>, PasswordHasher<AccountRow>>();
        services.AddSingleton<Accounts>();
        services.AddSingleton<AccountUpkeep>();
        services.AddSingleton<SessionTokens>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<ActiveAccounts>();
        services.AddSingleton<HubSessions>();
        services.AddHostedService<HubSessionSweeper>();

        // The second factor's secrets are stored protected with Data Protection, set up once for every process in
        // AddWhistleCore (application name Whistle, key ring in the database: every instance reads it).

        services.AddAuthorization(o =>
        {
            // A restricted token (expired password, second factor to enrol) opens nothing but the endpoints that lift the restriction.
            o.DefaultPolicy = new AuthorizationPolicyBuilder()
                .RequireAuthenticatedUser()
                .RequireAssertion(c => !c.User.HasClaim(x => x.Type == CurrentUser.RestrictClaim))
                .Build();
            o.AddPolicy(AuthApi.AnySession, p => p.RequireAuthenticatedUser());
        });
        return services;
    }
}
