using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Core.County;
using Whistle.Core.Options;
using Whistle.Core.Storage;

namespace Whistle.Core.Hosting;

/// <summary>
/// Runs before the bus and the web server start: migrates the schema, imports the county file, seeds
/// (or removes) the demo accounts, then loads the county every request and consumer works with.
/// </summary>
internal sealed partial class DatabaseInitializer(
    WhistleDatabase database,
    WhistlePaths paths,
    IOptions<WhistleOptions> whistle,
    IOptions<DatabaseOptions> databaseOptions,
    IOptions<BusOptions> bus,
    CountyCatalogHolder holder,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (databaseOptions.Value.Migrate)
        {
            await MigrateAsync(ensureDatabase: false, cancellationToken);
            return;
        }

        await holder.ReloadAsync(database, cancellationToken);
    }

    /// <summary>Migrations, county import, demo accounts, then the county loaded.</summary>
    public async Task MigrateAsync(bool ensureDatabase, CancellationToken cancellationToken)
    {
        DatabaseMigrator.Migrate(databaseOptions.Value.Provider, paths.ConnectionString, ensureDatabase);
        var countyFile = paths.CountyFile;
        var (county, hash) = CountyStore.ReadFileWithHash(countyFile);
        var demo = whistle.Value.Demo.IsEnabled(databaseOptions.Value, bus.Value, whistle.Value.Production);
        await database.WriteAsync(
            async unit =>
            {
                await CountyStore.ImportAsync(unit, county, hash);
                await CountyStore.SeedDemoUsersAsync(unit, county, demo);
                unit.Complete();
                return 0;
            },
            cancellationToken);
        LogImported(logger, county.County.Name, countyFile, demo);
        await holder.ReloadAsync(database, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "County {County} imported from {File}; demo accounts {Demo}.")]
    private static partial void LogImported(ILogger logger, string county, string file, bool demo);
}
