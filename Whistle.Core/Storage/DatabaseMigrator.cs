using System.Reflection;
using DbUp.Builder;
using Whistle.Core.Options;

namespace Whistle.Core.Storage;

/// <summary>Runs the migration scripts of one dialect with DbUp (embedded resources under Storage/Migrations).</summary>
public static class DatabaseMigrator
{
    /// <summary>Runs the scripts not yet run. <paramref name="ensureDatabase"/>: create the database first when it does not exist (a server's).</summary>
    public static void Migrate(DatabaseProvider provider, string connectionString, bool ensureDatabase = false)
    {
        var dialect = SqlDialect.For(provider);
        using var prepared = dialect.PrepareMigration(connectionString, ensureDatabase);
        Run(dialect.Migrations(connectionString), typeof(DatabaseMigrator).Assembly, $".Storage.Migrations.{dialect.MigrationFolder}.");
    }

    private static void Run(UpgradeEngineBuilder builder, Assembly assembly, string folder)
    {
        var result = builder
            .WithScriptsEmbeddedInAssembly(assembly, name => name.Contains(folder, StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"Database migration failed in {result.ErrorScript?.Name}.", result.Error);
        }
    }

    /// <summary>The migration scripts of a dialect, in order (read by the ScriptDom test for SQL Server).</summary>
    public static IReadOnlyList<(string Name, string Sql)> Scripts(DatabaseProvider provider)
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var folder = $".Storage.Migrations.{provider}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.Contains(folder, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (n, reader.ReadToEnd());
            })
            .ToList();
    }
}
