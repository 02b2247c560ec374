using System.Text.RegularExpressions;
using Whistle.Tests.Support;

namespace Whistle.Tests.Architecture;

/// <summary>
/// The browser specs' own rules, read from their source: what made full runs fail once in a few, kept out for good.
/// </summary>
public sealed partial class When_the_browser_specs_are_read
{
    private static IEnumerable<(string File, int Line, string Text)> Lines(Regex pattern) =>
        Directory.EnumerateFiles(Path.Combine(Repository.Root, "Whistle.Tests", "Browser"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(path => File.ReadLines(path).Select((text, i) => (File: Path.GetFileName(path), Line: i + 1, Text: text)))
            .Where(l => !l.Text.TrimStart().StartsWith("///", StringComparison.Ordinal) && !l.Text.TrimStart().StartsWith("//", StringComparison.Ordinal))
            .Where(l => pattern.IsMatch(l.Text));

    [Test]
    public void Should_wait_for_an_address_by_asking_the_page_never_by_WaitForURLAsync()
    {
        // IPage.WaitForURLAsync checks the address the .NET client last heard of, then subscribes to the next
        // navigation: a router push landing between the two is missed (three full runs failed so). PageWaits.WaitForAddressAsync.
        Assert.That(Lines(WaitForUrl()).Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}"), Is.Empty);
    }

    [Test]
    public void Should_never_sleep_hoping_something_happened()
    {
        Assert.That(Lines(Sleep()).Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}"), Is.Empty);
    }

    [GeneratedRegex(@"\.WaitForURLAsync\(")]
    private static partial Regex WaitForUrl();

    [GeneratedRegex(@"Task\.Delay\(|Thread\.Sleep\(|WaitForTimeoutAsync\(")]
    private static partial Regex Sleep();
}
