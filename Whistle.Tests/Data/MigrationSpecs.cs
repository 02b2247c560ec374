using System.Text.RegularExpressions;
using Dapper;
using DbUp;
using Microsoft.Data.Sqlite;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 12: every migration was written twice. A migration on which the dialects agree is now written once
/// (<c>Storage/Migrations/Shared</c>) with type tokens each dialect spells; one that differs stays in the dialect's own
/// folder. The scripts already released keep their folders and names (DbUp journals them by name), so a database
/// migrated before runs nothing again.
/// </summary>
public sealed partial class When_a_migration_is_written_once
{
    private const string Shared = """
        CREATE TABLE {schema}sample_notes (
            id         {bigint-identity},
            code       {text:40} NOT NULL,
            body       {text} NULL,
            noted_at   {timestamp} NOT NULL,
            attempts   {int} NOT NULL DEFAULT 0,
            sequence   {bigint} NOT NULL,
            archived   {bool} NOT NULL DEFAULT 0,
            weight     {real} NULL
        );
        CREATE UNIQUE INDEX ux_sample_notes_code ON {schema}sample_notes (code);
        {go}
        ALTER TABLE {schema}sample_notes {add-column} note_by {text:100} NULL;
        {go}
        UPDATE {schema}sample_notes SET note_by = code WHERE note_by IS NULL;
        """;

    [Test]
    public async Task Should_run_on_SQLite_as_SQLite_spells_it()
    {
        var sql = DatabaseMigrator.Render(Shared, SqlDialect.For(DatabaseProvider.Sqlite).MigrationTypes);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(TestSettings.NewDataFolder(), "m.db")};Pooling=False");
        await connection.OpenAsync();
        await connection.ExecuteAsync(sql);
        await connection.ExecuteAsync("INSERT INTO sample_notes (code, noted_at, sequence) VALUES ('a', @At, 1)", new { At = DateTimeOffset.UtcNow });
        var id = await connection.ExecuteScalarAsync<long>("INSERT INTO sample_notes (code, noted_at, sequence, archived) VALUES ('b', @At, 2, @Archived) RETURNING id", new { At = DateTimeOffset.UtcNow, Archived = true });
        Assert.That(id, Is.EqualTo(2), "numbered by the database");
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sample_notes WHERE archived = 1"), Is.EqualTo(1), "a bool is 0 or 1");
        Assert.That(sql, Does.Not.Contain("{"));
    }

    [Test]
    public void Should_parse_as_T_SQL_as_SQL_Server_spells_it()
    {
        var sql = DatabaseMigrator.Render(Shared, SqlDialect.For(DatabaseProvider.SqlServer).MigrationTypes);
        new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(sql), out var errors);
        Assert.Multiple(() =>
        {
            Assert.That(errors.Select(e => $"line {e.Line}: {e.Message}"), Is.Empty, sql);
            Assert.That(sql, Does.Contain("CREATE TABLE dbo.sample_notes").And.Contain("code       nvarchar(40) NOT NULL").And.Contain("datetimeoffset(7)"));
            Assert.That(Regex.Matches(sql, "^GO$", RegexOptions.Multiline), Has.Count.EqualTo(2));
        });
    }

    [Test]
    public void Should_refuse_a_token_no_dialect_spells() =>
        Assert.That(() => DatabaseMigrator.Render("CREATE TABLE t (x {json});", SqlDialect.For(DatabaseProvider.Sqlite).MigrationTypes), Throws.InvalidOperationException.With.Message.Contains("{json}"));

    [TestCase(DatabaseProvider.Sqlite)]
    [TestCase(DatabaseProvider.SqlServer)]
    public void Should_number_every_migration_once_and_run_them_in_order(DatabaseProvider provider)
    {
        var names = DatabaseMigrator.Scripts(provider).Select(s => DatabaseMigrator.FileName(s.Name)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(names, Is.Not.Empty);
            Assert.That(names, Has.All.Match(@"^\d{4}_[a-z0-9_]+\.sql$"));
            Assert.That(names.Select(n => n[..4]), Is.Unique, "a number names one migration across the dialect's folder and the shared one");
            Assert.That(names, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        });
    }

    [TestCase(DatabaseProvider.Sqlite)]
    [TestCase(DatabaseProvider.SqlServer)]
    public void Should_run_a_dialects_own_scripts_as_written_under_their_released_names(DatabaseProvider provider)
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var own = DatabaseMigrator.Scripts(provider).Where(s => s.Name.Contains($".Storage.Migrations.{provider}.", StringComparison.Ordinal)).ToList();
        Assert.That(own.Select(s => s.Name), Does.Contain($"Whistle.Core.Storage.Migrations.{provider}.0001_initial.sql"), "the journal's names");
        foreach (var (name, sql) in own)
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            Assert.That(sql, Is.EqualTo(reader.ReadToEnd()), name);
        }
    }

    /// <summary>A database migrated by the engine as it was before (the dialect's folder, DbUp's own order) runs nothing again.</summary>
    [Test]
    public void Should_leave_a_database_migrated_before_as_it_is()
    {
        var connectionString = $"Data Source={Path.Combine(TestSettings.NewDataFolder(), "before.db")};Pooling=False";
        var before = DeployChanges.To.SqliteDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly, n => n.Contains(".Storage.Migrations.Sqlite.", StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        Assert.That(before.Successful, Is.True, before.Error?.Message);

        DatabaseMigrator.Migrate(DatabaseProvider.Sqlite, connectionString);
        using var connection = new SqliteConnection(connectionString);
        var journal = connection.Query<string>("SELECT ScriptName FROM SchemaVersions").ToList();
        Assert.That(journal, Is.Unique.And.EquivalentTo(DatabaseMigrator.Scripts(DatabaseProvider.Sqlite).Select(s => s.Name)));
    }
}
