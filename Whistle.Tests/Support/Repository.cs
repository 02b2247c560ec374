using System.Diagnostics;

namespace Whistle.Tests.Support;

/// <summary>The repository, read through git: its root, and what it tracks.</summary>
internal static class Repository
{
    /// <summary>The folder that holds Whistle.sln (the tests run from its bin folder).</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Whistle.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Whistle.sln) was not found above the test binaries.");
    }

    /// <summary>Runs git in the repository; its exit code and standard output.</summary>
    public static (int ExitCode, string Output) Git(params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var git = Process.Start(start) ?? throw new InvalidOperationException("git did not start");
        var output = git.StandardOutput.ReadToEndAsync();
        var error = git.StandardError.ReadToEndAsync();
        if (!git.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            git.Kill();
            Assert.Fail($"git {string.Join(' ', args)} did not finish");
        }

        Assert.That(git.ExitCode, Is.LessThanOrEqualTo(1), $"git {string.Join(' ', args)}: {error.Result}");
        return (git.ExitCode, output.Result);
    }

    /// <summary>Every path git tracks (forward slashes).</summary>
    public static IReadOnlyList<string> TrackedFiles()
    {
        var (code, output) = Git("ls-files", "-z");
        Assert.That(code, Is.Zero, "this test reads the repository through git: run it in a clone");
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The signing key that was committed (and so published) in the first days, read from history: never kept in the code.</summary>
    public static string PublishedSigningKey()
    {
        const string path = "Whistle.Api/data/signing-key";
        var (_, commits) = Git("log", "--diff-filter=A", "--format=%H", "HEAD", "--", path);
        var commit = commits.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        Assert.That(commit, Is.Not.Null, $"{path} is not in this clone's history (a shallow clone?)");
        var (code, key) = Git("show", $"{commit}:{path}");
        Assert.That(code, Is.Zero);
        return key.Trim();
    }
}
