using System.Reflection;
using DbUp;
using DbUp.Builder;
using DbUp.Engine;
using DbUp.Engine.Output;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Whistle.Core.Options;

namespace Whistle.Core.Storage;

/// <summary>Runs the migration scripts of one dialect with DbUp (embedded resources under Storage/Migrations).</summary>
public static class DatabaseMigrator
{
    /// <summary>Runs the scripts not yet run. <paramref name="ensureDatabase"/>: create the SQL Server database first when it does not exist.</summary>
    public static void Migrate(DatabaseProvider provider, string connectionString, bool ensureDatabase = false)
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var folder = $".Storage.Migrations.{provider}.";
        if (provider == DatabaseProvider.Sqlite)
        {
            using (var connection = new SqliteConnection(connectionString))
            {
                connection.Open();
                using var wal = connection.CreateCommand();
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                wal.ExecuteNonQuery();
            }

            Run(DeployChanges.To.SqliteDatabase(connectionString), assembly, folder);
            return;
        }

        if (ensureDatabase)
        {
            EnsureDatabase.For.SqlDatabase(connectionString, new NoOpUpgradeLog());
        }

        // Several instances may start at once: one migrates while the others wait on an application lock.
        using var lockConnection = new SqlConnection(connectionString);
        lockConnection.Open();
        using (var acquire = lockConnection.CreateCommand())
        {
            acquire.CommandText = "DECLARE @result int; EXEC @result = sp_getapplock @Resource = N'whistle-migrations', @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = 120000; SELECT @result;";
            acquire.CommandTimeout = 130;
            if (Convert.ToInt32(acquire.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) < 0)
            {
                throw new InvalidOperationException("Timed out waiting for another instance's database migration.");
            }
        }

        Run(DeployChanges.To.SqlDatabase(connectionString), assembly, folder);
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
