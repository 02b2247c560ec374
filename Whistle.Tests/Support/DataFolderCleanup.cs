using Whistle.Tests.Support;

namespace Whistle.Tests;

/// <summary>
/// After every fixture of the run: the data folders the tests made (<see cref="TestSettings.NewDataFolder"/>) and did
/// not delete themselves — a SQLite file of a migration spec, a relay spec's folder — are deleted, so that a run leaves
/// nothing under the temp folder.
/// </summary>
[SetUpFixture]
public sealed class DataFolderCleanup
{
    [OneTimeTearDown]
    public void DeleteDataFolders() => TestSettings.DeleteDataFolders();
}
