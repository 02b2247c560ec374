using Whistle.Core.Problems;
using Whistle.Core.Accounts;
using Whistle.Api.Auth;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;

namespace Whistle.Api.Hosting;

/// <summary>
/// Commands for operators, run instead of the server:
/// <c>dotnet Whistle.Api.dll create-user --user NAME --name DISPLAY --role supervisor --org COUNTY-ID</c>
/// creates an account: at the first start of a production deployment, the three administrators (sysadmin, secadmin,
/// auditadmin, each in its own account, whose organisation is the county) and the first supervisor; the password is read from the environment
/// variable <c>WHISTLE_NEW_PASSWORD</c>, or else from standard input, and never from the command line.
/// <c>disable-second-factor --user NAME</c> removes an account's second factor (the last supervisor lost the phone,
/// or the key ring that protects the secrets was lost); it enrols again at its next sign-in.
/// <c>dotnet Whistle.Api.dll verify-audit</c> walks the audit chain: exit code 0 when every link holds, 1 with the
/// first broken link printed.
/// </summary>
public static class AdminCommands
{
    public const string CreateUser = "create-user";
    public const string DisableSecondFactor = "disable-second-factor";

    public const string VerifyAudit = "verify-audit";

    public static bool IsCommand(string[] args) => args is [CreateUser or DisableSecondFactor or VerifyAudit, ..];

    public static async Task<int> RunAsync(WebApplication app, string[] args, TextReader input, TextWriter output)
    {
        if (args is [VerifyAudit, ..])
        {
            return await VerifyAuditAsync(app, output);
        }

        string? Arg(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        await app.Services.InitializeDatabaseAsync(CancellationToken.None);
        var accounts = app.Services.GetRequiredService<Accounts>();
        var cli = new AuditActor("cli", "command line", Environment.MachineName);
        if (args is [DisableSecondFactor, ..])
        {
            if (Arg("--user") is not { } target || await accounts.FindAsync(target, CancellationToken.None) is null)
            {
                await output.WriteLineAsync("usage: disable-second-factor --user NAME (an existing account)");
                return 2;
            }

            await accounts.DisableSecondFactorAsync(cli, target, CancellationToken.None);
            await output.WriteLineAsync($"Removed the second factor of '{target}'; it enrols again at its next sign-in.");
            return 0;
        }

        var county = app.Services.GetRequiredService<CountyCatalogHolder>();
        var password = Environment.GetEnvironmentVariable("WHISTLE_NEW_PASSWORD") ?? await input.ReadLineAsync();
        var (user, name, role, org) = (Arg("--user"), Arg("--name"), Arg("--role"), Arg("--org"));
        var errors = accounts.Validate(county.Catalog, user, name, role, org, password);
        if (errors.Count == 0 && await accounts.FindAsync(user!, CancellationToken.None) is not null)
        {
            errors.Set("userName", Problem.UserNameTaken());
        }

        if (errors.Count > 0)
        {
            foreach (var (field, messages) in errors)
            {
                await output.WriteLineAsync($"{field}: {string.Join(" ", messages)}");
            }

            await output.WriteLineAsync("usage: create-user --user NAME --name DISPLAY-NAME --role township|branch|agency|supervisor|sysadmin|secadmin|auditadmin --org ORG-ID (password from WHISTLE_NEW_PASSWORD or standard input)");
            return 2;
        }

        await accounts.CreateAsync(cli, user!, name!, role!, org!, password!, CancellationToken.None);
        await output.WriteLineAsync($"Created {role} account '{user}' for {county.Catalog.OrgName(role!, org!)}.");
        return 0;
    }

    private static async Task<int> VerifyAuditAsync(WebApplication app, TextWriter output)
    {
        await app.Services.InitializeDatabaseAsync(CancellationToken.None);
        var v = await app.Services.GetRequiredService<AuditChain>().VerifyAsync(CancellationToken.None);
        await output.WriteLineAsync($"Checkpoint: position {v.Checkpoint.Position}, hash {v.Checkpoint.Hash}");
        await output.WriteLineAsync($"Head:       position {v.Head.Position}, hash {v.Head.Hash}");
        if (v.FirstBrokenLink is { } b)
        {
            await output.WriteLineAsync($"BROKEN after {v.VerifiedRows} verified rows: first broken link at position {b.Position}, row id {b.Id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"} ({b.Reason}): expected hash {b.ExpectedHash ?? "(none)"}, stored hash {b.StoredHash ?? "(none)"}");
            return 1;
        }

        await output.WriteLineAsync($"Verified: {v.VerifiedRows} rows, every link holds; {v.UnsealedRows} rows not yet sealed.");
        return 0;
    }
}
