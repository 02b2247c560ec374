using Whistle.Api.Auth;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;

namespace Whistle.Api.Hosting;

/// <summary>
/// Commands for operators, run instead of the server:
/// <c>dotnet Whistle.Api.dll create-user --user NAME --name DISPLAY --role supervisor --org COUNTY-ID</c>
/// creates an account (the first supervisor, typically); the password is read from the environment
/// variable <c>WHISTLE_NEW_PASSWORD</c>, or else from standard input, and never from the command line.
/// <c>disable-second-factor --user NAME</c> removes an account's second factor (the last supervisor lost the phone,
/// or the key ring that protects the secrets was lost); it enrols again at its next sign-in.
/// </summary>
public static class AdminCommands
{
    public const string CreateUser = "create-user";
    public const string DisableSecondFactor = "disable-second-factor";

    public static bool IsCommand(string[] args) => args is [CreateUser or DisableSecondFactor, ..];

    public static async Task<int> RunAsync(WebApplication app, string[] args, TextReader input, TextWriter output)
    {
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
            errors["userName"] = ["That user name is taken."];
        }

        if (errors.Count > 0)
        {
            foreach (var (field, messages) in errors)
            {
                await output.WriteLineAsync($"{field}: {string.Join(" ", messages)}");
            }

            await output.WriteLineAsync("usage: create-user --user NAME --name DISPLAY-NAME --role township|branch|agency|supervisor --org ORG-ID (password from WHISTLE_NEW_PASSWORD or standard input)");
            return 2;
        }

        await accounts.CreateAsync(cli, user!, name!, role!, org!, password!, CancellationToken.None);
        await output.WriteLineAsync($"Created {role} account '{user}' for {county.Catalog.OrgName(role!, org!)}.");
        return 0;
    }
}
