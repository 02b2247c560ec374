using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// Secrets and data never enter git (issue 11, finding 1): a signing key committed once is public for ever,
/// and every installation started from a clone would sign its tokens with it.
/// </summary>
public sealed class When_the_repository_is_cloned
{
    // File names that hold keys, certificates with their private key, environment secrets or a database.
    private static readonly Regex SecretName = new(
        @"(^|/)(id_(rsa|dsa|ecdsa|ed25519)(?!\.pub$)[^/]*|[^/]*signing-key[^/]*|[^/]*\.(key|pem|pfx|p12|jks|keystore|db|db-wal|db-shm|db-journal|sqlite|sqlite3|mdf|ldf|env)|\.env(\.[^/]*)?)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    // A private key in a file of any name (written in two parts, so that this file is not one).
    private static readonly Regex PrivateKeyBlock = new("-----BEGIN [A-Z ]*" + "PRIVATE KEY-----", RegexOptions.CultureInvariant);

    /// <summary>Why git should not hold this path, or null.</summary>
    public static string? Finding(string path)
    {
        if (path.EndsWith(".env.example", StringComparison.OrdinalIgnoreCase))
        {
            return null; // the template with CHANGE-ME values
        }

        if (SecretName.IsMatch(path))
        {
            return "a key, an environment file or a database";
        }

        // The data folder (Whistle:DataFolder, "data" by default) holds the database and the generated key.
        return path.Split('/')[..^1].Contains("data", StringComparer.Ordinal) ? "in a data folder" : null;
    }

    [TestCase("Whistle.Api/data/signing-key")]
    [TestCase("Whistle.Api/data/whistle.db")]
    [TestCase("Whistle.Dispatcher/data/whistle.db-wal")]
    [TestCase("Whistle.Api/data/anything.txt")]
    [TestCase("data/whistle.sqlite")]
    [TestCase("deploy/compose/whistle.env")]
    [TestCase("Whistle.Api/.env")]
    [TestCase(".env.local")]
    [TestCase("deploy/tls/server.key")]
    [TestCase("deploy/tls/server.pem")]
    [TestCase("deploy/tls/site.pfx")]
    [TestCase("home/.ssh/id_rsa")]
    [TestCase("home/.ssh/id_ed25519")]
    [TestCase("keys/jwt-signing-key.txt")]
    public void Should_recognise_what_it_looks_for(string path) => Assert.That(Finding(path), Is.Not.Null);

    [TestCase("deploy/compose/whistle.env.example")]
    [TestCase("Whistle.Web/src/env.d.ts")]
    [TestCase("Whistle.Tests/Data/DataFixtureSpecs.cs")]
    [TestCase("Whistle.Api/Auth/SigningKey.cs")]
    [TestCase("home/.ssh/id_rsa.pub")]
    [TestCase("Whistle.Core/County/demo-county.json")]
    public void Should_leave_ordinary_files_alone(string path) => Assert.That(Finding(path), Is.Null);

    [Test]
    public void Should_track_no_key_environment_file_database_or_data_folder()
    {
        var findings = Repository.TrackedFiles().Select(f => (f, why: Finding(f))).Where(x => x.why is not null).Select(x => $"{x.f}: {x.why}").ToList();
        Assert.That(findings, Is.Empty, "remove them with git rm and keep them out with .gitignore");
    }

    [Test]
    public void Should_track_no_private_key_in_a_file_of_any_name()
    {
        var findings = new List<string>();
        foreach (var path in Repository.TrackedFiles())
        {
            var file = new FileInfo(Path.Combine(Repository.Root, path));
            if (!file.Exists || file.Length > 4 * 1024 * 1024) continue; // deleted in the work tree, or a large binary
            if (PrivateKeyBlock.IsMatch(File.ReadAllText(file.FullName))) findings.Add(path);
        }

        Assert.That(findings, Is.Empty);
    }

    [TestCase("Whistle.Api/data/signing-key")]
    [TestCase("Whistle.Api/data/whistle.db")]
    [TestCase("Whistle.Dispatcher/data/whistle.db-wal")]
    [TestCase("Whistle.Api/data/backup/whistle-2026.db")]
    [TestCase("data/signing-key")]
    [TestCase("deploy/compose/whistle.env")]
    [TestCase("Whistle.Api/.env")]
    [TestCase("deploy/tls/server.key")]
    [TestCase("deploy/tls/server.pem")]
    [TestCase("deploy/tls/site.pfx")]
    [TestCase("whistle.sqlite")]
    public void Should_ignore_what_must_not_be_committed(string path)
    {
        // --no-index: the answer for the path itself, tracked or not.
        var (code, _) = Repository.Git("check-ignore", "--no-index", "-q", path);
        Assert.That(code, Is.Zero, $"{path} is not in .gitignore");
    }

    [TestCase("deploy/compose/whistle.env.example")]
    [TestCase("Whistle.Tests/Data/DataFixtureSpecs.cs")]
    [TestCase("Whistle.Api/Auth/SigningKey.cs")]
    public void Should_not_ignore_the_sources(string path)
    {
        var (code, _) = Repository.Git("check-ignore", "--no-index", "-q", path);
        Assert.That(code, Is.EqualTo(1), $"{path} is ignored");
    }
}

/// <summary>The key that was once committed is refused wherever it turns up: configured, or copied into a data folder.</summary>
[NonParallelizable]
public sealed class When_the_Api_starts_with_the_published_signing_key
{
    private static async Task<Exception?> StartAsync(Dictionary<string, string?> settings)
    {
        try
        {
            await (await ApiHost.StartAsync(settings)).DisposeAsync();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    [Test]
    public async Task Should_refuse_it_as_Whistle_Auth_SigningKey_and_say_how_to_make_a_new_one()
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Auth:SigningKey"] = Repository.PublishedSigningKey();
        var failure = await StartAsync(settings);
        Assert.That(failure, Is.InstanceOf<OptionsValidationException>().Or.InstanceOf<AggregateException>(), "the Api started with a public key");
        Assert.That(failure!.Message, Does.Contain("Whistle:Auth:SigningKey").And.Contain("published").And.Contain("openssl rand -base64 48"));
    }

    [Test]
    public async Task Should_refuse_it_in_the_data_folder_and_say_to_delete_the_file()
    {
        // An installation that started from a clone before the key was removed: its data folder holds the committed file.
        var folder = TestSettings.NewDataFolder();
        var file = Path.Combine(folder, "signing-key");
        await File.WriteAllTextAsync(file, Repository.PublishedSigningKey() + "\n");
        var failure = await StartAsync(TestSettings.Embedded(folder));
        Assert.That(failure, Is.InstanceOf<OptionsValidationException>().Or.InstanceOf<AggregateException>(), "the Api started with a public key");
        Assert.That(failure!.Message, Does.Contain(file).And.Contain("published").And.Contain("Delete"));
        Assert.That(File.Exists(file), Is.True, "the operator deletes it: nothing is replaced behind their back");
    }

    [Test]
    public async Task Should_generate_a_fresh_key_of_its_own_on_a_fresh_data_folder_and_keep_it()
    {
        var folder = TestSettings.NewDataFolder();
        byte[] first;
        await using (var api = await ApiHost.StartAsync(TestSettings.Embedded(folder)))
        {
            first = api.Services.GetRequiredService<Whistle.Api.Auth.SigningKey>().Key.Key;
        }

        await using var again = await ApiHost.StartAsync(TestSettings.Embedded(folder));
        var file = Path.Combine(folder, "signing-key");
        Assert.Multiple(() =>
        {
            Assert.That(first, Has.Length.GreaterThanOrEqualTo(32));
            Assert.That(SHA256.HashData(first), Is.Not.EqualTo(SHA256.HashData(Convert.FromBase64String(Repository.PublishedSigningKey()))));
            Assert.That(again.Services.GetRequiredService<Whistle.Api.Auth.SigningKey>().Key.Key, Is.EqualTo(first), "the key is kept across restarts");
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }
        });
    }
}
