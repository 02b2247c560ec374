using Dapper;
using DbUp;
using DbUp.Engine;
using Microsoft.Data.Sqlite;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: on SQLite the timeline's audience, the inbox and the idempotency keys were each a rowid table beside an
/// index of their key — two b-tree inserts a row; migration 0035 stores each as its key (WITHOUT ROWID). A database
/// with rows in them keeps every row.
/// </summary>
public sealed class When_narrow_tables_are_stored_by_their_key
{
    private const string Migration = "0035_narrow_tables_without_rowid.sql";

    [Test]
    public void Should_keep_every_row_and_store_each_table_as_its_key()
    {
        var connectionString = $"Data Source={Path.Combine(TestSettings.NewDataFolder(), "narrow.db")};Pooling=False";
        var earlier = DatabaseMigrator.Scripts(DatabaseProvider.Sqlite).Where(s => !s.Name.EndsWith(Migration, StringComparison.Ordinal)).ToList();
        Assert.That(earlier, Has.Count.EqualTo(DatabaseMigrator.Scripts(DatabaseProvider.Sqlite).Count - 1), "the migration is one script");
        var before = DeployChanges.To.SqliteDatabase(connectionString)
            .WithScripts(earlier.Select(s => new SqlScript(s.Name, s.Sql)))
            .WithScriptSorter(scripts => scripts.OrderBy(s => DatabaseMigrator.FileName(s.Name), StringComparer.Ordinal))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        Assert.That(before.Successful, Is.True, before.Error?.Message);

        using (var connection = new SqliteConnection(connectionString))
        {
            Assert.That(WithoutRowid(connection, "timeline_audience"), Is.False, "a rowid table before the migration");
            connection.Execute("""
                INSERT INTO timeline_audience (group_name, sequence) VALUES ('county', 7), ('township:chengguan', 7), ('branch:b-1', 9);
                INSERT INTO inbox (message_id, consumer, processed_at) VALUES ('m-1', 'dispatch', '2026-12-04T03:00:00.0000000+00:00');
                INSERT INTO idempotency_keys (user_name, idempotency_key, whistle_id, created_at) VALUES ('township.chengguan', 'k-1', 'w-1', '2026-12-04T03:00:00.0000000+00:00');
                """);
        }

        DatabaseMigrator.Migrate(DatabaseProvider.Sqlite, connectionString);

        using var migrated = new SqliteConnection(connectionString);
        Assert.Multiple(() =>
        {
            foreach (var table in new[] { "timeline_audience", "inbox", "idempotency_keys" })
            {
                Assert.That(WithoutRowid(migrated, table), Is.True, table);
                Assert.That(migrated.Query<string>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = @Table", new { Table = table }), Is.Empty, $"{table}: no index beside its key");
            }

            Assert.That(
                migrated.Query<(string, long)>("SELECT group_name, sequence FROM timeline_audience ORDER BY group_name, sequence"),
                Is.EqualTo(new[] { ("branch:b-1", 9L), ("county", 7L), ("township:chengguan", 7L) }));
            Assert.That(migrated.Query<(string, string, string)>("SELECT message_id, consumer, processed_at FROM inbox"),
                Is.EqualTo(new[] { ("m-1", "dispatch", "2026-12-04T03:00:00.0000000+00:00") }));
            Assert.That(migrated.Query<(string, string, string)>("SELECT user_name, idempotency_key, whistle_id FROM idempotency_keys"),
                Is.EqualTo(new[] { ("township.chengguan", "k-1", "w-1") }));
            Assert.That(
                () => migrated.Execute("INSERT INTO timeline_audience (group_name, sequence) VALUES ('county', 7)"),
                Throws.InstanceOf<SqliteException>(), "the key is still the primary key");
            Assert.That(migrated.ExecuteScalar<string>("PRAGMA integrity_check"), Is.EqualTo("ok"));
        });
    }

    private static bool WithoutRowid(SqliteConnection connection, string table) =>
        connection.ExecuteScalar<string>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = @Table", new { Table = table })!
            .Contains("WITHOUT ROWID", StringComparison.OrdinalIgnoreCase);
}
