using Microsoft.Extensions.DependencyInjection;
using Whistle.Core.County;
using Whistle.Core.Hosting;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// A raise refused by this instance's copy of the county (a matter it does not know) is judged again by a newer copy
/// before it is refused: the database's, when it holds a newer county, and also a copy this instance took after judging —
/// a <c>CountyChanged</c> from the instance where the supervisor changed the whistle list may arrive between the judgement
/// and the look for a newer county. Then the database holds nothing newer than this copy, yet the copy judged by was
/// older (the full test command once refused a matter added a moment before on another Api this way).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class When_a_refused_raise_looks_for_a_newer_county : StorageFixture
{
    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Whistle:DataFolder"] = NewDataFolder(),
        ["Whistle:Demo:Enabled"] = "true",
    };

    private CountyCatalogHolder County => Host.Services.GetRequiredService<CountyCatalogHolder>();

    /// <summary>Another instance changes the county: its version goes up in the database, this copy is not told.</summary>
    private Task<int> ChangedElsewhereAsync() =>
        Database.WriteAsync(
            async unit =>
            {
                var version = await CountyStore.BumpVersionAsync(unit);
                unit.Complete();
                return version;
            },
            CancellationToken.None);

    [Test]
    public async Task Should_judge_again_by_a_copy_taken_after_the_judgement_though_the_database_holds_nothing_newer()
    {
        var judged = County.Current;
        var version = await ChangedElsewhereAsync();
        await County.ReloadAsync(Database, CancellationToken.None); // its CountyChanged arrives here

        var newer = await County.NewerThanAsync(judged, Database, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(newer, Is.Not.Null, "the copy judged by is older than this instance's now");
            Assert.That(newer!.Version, Is.EqualTo(version));
            Assert.That(newer, Is.SameAs(County.Current));
        });
        Assert.That(await County.RefreshIfStaleAsync(Database, CancellationToken.None), Is.False, "what a refusal asked before: nothing newer in the database than this copy");
    }

    [Test]
    public async Task Should_load_the_databases_newer_county_to_judge_again_by()
    {
        var judged = County.Current;
        var version = await ChangedElsewhereAsync();

        var newer = await County.NewerThanAsync(judged, Database, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(newer?.Version, Is.EqualTo(version));
            Assert.That(County.Current, Is.SameAs(newer), "and this instance keeps it");
        });
    }

    [Test]
    public async Task Should_answer_nothing_newer_when_the_copy_judged_by_is_the_newest()
    {
        var judged = County.Current;
        Assert.That(await County.NewerThanAsync(judged, Database, CancellationToken.None), Is.Null);
    }
}
