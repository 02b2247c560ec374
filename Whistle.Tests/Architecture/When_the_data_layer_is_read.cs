using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Architecture;

/// <summary>
/// Issue 12, one owner per table: every write of a table is in its owner's file(s) in Whistle.Core, whoever asks for it;
/// and the provider is chosen in one place. The product's sources are read as they are on disk (new files too), the
/// tests and the bench left out.
/// </summary>
public sealed partial class When_the_data_layer_is_read
{
    private static readonly string[] WhistleStore =
        ["Whistle.Core/Whistles/WhistleStore.cs", "Whistle.Core/Whistles/WhistleStore.Dispatch.cs", "Whistle.Core/Whistles/WhistleStore.Deadlines.cs"];

    /// <summary>Each table of the schema and the file(s) of its one owner (docs/ARCHITECTURE.md, "One owner per table").</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Owners = new Dictionary<string, string[]>
    {
        ["whistles"] = WhistleStore,
        ["whistle_extra_agencies"] = WhistleStore,
        ["assignments"] = WhistleStore,
        ["idempotency_keys"] = WhistleStore,
        ["meetings"] = ["Whistle.Core/Meetings/MeetingStore.cs"],
        ["meeting_summons"] = ["Whistle.Core/Meetings/MeetingStore.cs"],
        ["meeting_decisions"] = ["Whistle.Core/Meetings/MeetingStore.cs"],
        ["users"] = ["Whistle.Core/Accounts/AccountStore.cs"],
        ["sign_in_failures"] = ["Whistle.Core/Accounts/AccountStore.cs"],
        ["notice_channels"] = ["Whistle.Core/Notices/NoticeStore.cs"],
        ["notice_deliveries"] = ["Whistle.Core/Notices/NoticeStore.cs"],
        ["notice_attempts"] = ["Whistle.Core/Notices/NoticeStore.cs"],
        ["county"] = ["Whistle.Core/County/CountyStore.cs"],
        ["townships"] = ["Whistle.Core/County/CountyStore.cs"],
        ["agencies"] = ["Whistle.Core/County/CountyStore.cs"],
        ["branches"] = ["Whistle.Core/County/CountyStore.cs"],
        ["matters"] = ["Whistle.Core/County/CountyStore.cs"],
        ["matter_agencies"] = ["Whistle.Core/County/CountyStore.cs"],
        ["matter_limits"] = ["Whistle.Core/County/CountyStore.cs"],
        ["timeline"] = ["Whistle.Core/Messaging/Timeline.cs"],
        ["timeline_audience"] = ["Whistle.Core/Messaging/Timeline.cs"],
        ["outbox"] = ["Whistle.Core/Messaging/Outbox.cs"],
        ["inbox"] = ["Whistle.Core/Messaging/Inbox.cs"],
        ["audit_log"] = ["Whistle.Core/Storage/AuditTrail.cs"],
        ["audit_chain"] = ["Whistle.Core/Storage/AuditTrail.cs"],
        ["data_protection_keys"] = ["Whistle.Core/Storage/DataProtectionKeyStore.cs"],
        ["branch_heads"] = ["Whistle.Core/Heads/HeadStore.cs"],
        ["assessment_periods"] = ["Whistle.Core/Heads/AssessmentFormStore.cs"],
        ["assessment_forms"] = ["Whistle.Core/Heads/AssessmentFormStore.cs"],
        ["recommendations"] = ["Whistle.Core/Heads/RecommendationStore.cs"],
        ["submissions"] = ["Whistle.Core/City/SubmissionStore.cs"],
        ["attachments"] = ["Whistle.Core/Attachments/AttachmentStore.cs"],
        ["attachment_chunks"] = ["Whistle.Core/Attachments/DatabaseAttachmentContent.cs"],
        ["departments"] = ["Whistle.Core/County/CityStore.cs"],
        ["institutions"] = ["Whistle.Core/County/CityStore.cs"],
        ["institution_units"] = ["Whistle.Core/County/CityStore.cs"],
        ["city_relations"] = ["Whistle.Core/County/CityStore.cs"],
        ["relation_departments"] = ["Whistle.Core/County/CityStore.cs"],
        ["work_items"] = ["Whistle.Core/County/CityStore.cs"],
        ["relation_mechanisms"] = ["Whistle.Core/County/CityStore.cs"],
        ["mechanism_followups"] = ["Whistle.Core/County/FollowUpStore.cs"],
    };

    // A write in SQL text (the house writes keywords in capitals), or one the dialect composes for a named table.
    [GeneratedRegex(@"\b(?<verb>INSERT\s+(?:OR\s+[A-Z]+\s+)?INTO|UPDATE|DELETE\s+FROM|MERGE(?:\s+INTO)?|TRUNCATE\s+TABLE|REPLACE\s+INTO)\s+(?:\[?dbo\]?\.|\{schema\})?\[?(?<table>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex SqlWrite();

    [GeneratedRegex(@"\b(?<verb>InsertRowsReturningIdentity|InsertRows|InsertReturningIdentity|InsertIfAbsentAnswering|InsertIfAbsent|Upsert|UpdateFromJson|UpdateAnswering)\(\s*""(?<table>[A-Za-z_][A-Za-z0-9_]*)""")]
    private static partial Regex DialectWrite();

    // Choosing by the provider: its enum's values, its types, a test of which dialect is in hand or of its provider.
    [GeneratedRegex(
        @"DatabaseProvider\.(Sqlite|SqlServer|Postgre\w*)|\bSqliteException\b|\bSqlException\b|\bNpgsqlException\b|SqliteConnection|SqlConnection\b|NpgsqlConnection|SqliteFactory|SqlClientFactory|NpgsqlFactory|"
        + @"\b(is|as|case)\s+(not\s+)?([\w.]+\.)?(Sqlite|SqlServer|Postgre\w*)Dialect\b|typeof\(([\w.]+\.)?(Sqlite|SqlServer|Postgre\w*)Dialect\)|\bProvider\s*(==|!=)|(==|!=)\s*\w*\.?Provider\b|\bswitch\s*\(\s*[\w.]*[Pp]rovider\s*\)|[Pp]rovider\s+switch\b|"
        + @"MigrationFolder\s*(==|!=)|\bIsEmbedded\s*\?\s*""")]
    private static partial Regex ProviderSwitch();

    /// <summary>The product's C# sources as they are on disk (tracked or not), relative to the repository.</summary>
    private static IEnumerable<string> ProductFiles() =>
        new[] { "Whistle.Api", "Whistle.Core", "Whistle.Dispatcher", "Whistle.Contracts" }
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(Repository.Root, project), "*.cs", SearchOption.AllDirectories))
            .Select(path => Path.GetRelativePath(Repository.Root, path).Replace('\\', '/'))
            .Where(file => !file.Split('/').Any(part => part is "bin" or "obj"));

    // A line that is a comment (// or ///, or inside a /* */ block) is blanked, its line kept, so line numbers stay true.
    [GeneratedRegex(@"^\s*(//|\*|/\*).*$", RegexOptions.Multiline)]
    private static partial Regex CommentLine();

    private static string Code(string file) => CommentLine().Replace(File.ReadAllText(Path.Combine(Repository.Root, file)), "");

    private static IEnumerable<(string File, int Line, string Text)> ProductLines() =>
        ProductFiles().SelectMany(file => Code(file).Split('\n').Select((text, i) => (File: file, Line: i + 1, Text: text)));

    private static bool IsDialect(string file) => file.StartsWith("Whistle.Core/Storage/", StringComparison.Ordinal) && file.EndsWith("Dialect.cs", StringComparison.Ordinal);

    /// <summary>Every write of a table in the product's sources (a statement may span lines): where, what, and the line.</summary>
    public static IReadOnlyList<(string File, int Line, string Table, string Text)> Writes() =>
        ProductFiles()
            .Where(file => !IsDialect(file))
            .SelectMany(file =>
            {
                var code = Code(file);
                return SqlWrite().Matches(code).Concat(DialectWrite().Matches(code)).Select(m =>
                {
                    var line = code.AsSpan(0, m.Index).Count('\n') + 1;
                    return (File: file, Line: line, Table: m.Groups["table"].Value, Text: Regex.Replace(m.Value, @"\s+", " "));
                });
            })
            .ToList();

    /// <summary>The tables of the schema as the migrations leave it (SQLite; the SQL Server scripts make the same tables).</summary>
    private static IReadOnlyList<string> SchemaTables()
    {
        var folder = Directory.CreateTempSubdirectory("whistle-owners-");
        try
        {
            var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder.FullName, "schema.db"), Pooling = false }.ToString();
            DatabaseMigrator.Migrate(DatabaseProvider.Sqlite, connectionString);
            using var connection = new SqliteConnection(connectionString);
            return connection.Query<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND lower(name) <> 'schemaversions' ORDER BY name").ToList();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    public void Should_name_one_owner_for_every_table_of_the_schema()
    {
        var tables = SchemaTables();
        Assert.Multiple(() =>
        {
            Assert.That(tables, Is.Not.Empty);
            Assert.That(tables.Except(Owners.Keys), Is.Empty, "a table with no owner: give it one in Whistle.Core and a row here and in docs/ARCHITECTURE.md");
            Assert.That(Owners.Keys.Except(tables), Is.Empty, "an owner for a table the schema does not have");
            Assert.That(Owners.Values.SelectMany(f => f).Where(f => !File.Exists(Path.Combine(Repository.Root, f))), Is.Empty, "an owner file that does not exist");
        });
    }

    [Test]
    public void Should_write_each_table_from_its_owner_only()
    {
        var writes = Writes();
        TestContext.Out.WriteLine($"writes found: {writes.Count}, in {writes.Select(w => w.File).Distinct().Count()} files");
        Assert.Multiple(() =>
        {
            // The scan finds what it looks for: a write of each of the aggregates' tables.
            Assert.That(new[] { "whistles", "assignments", "meetings", "users", "notice_channels", "outbox", "timeline", "inbox", "audit_log" }.Except(writes.Select(w => w.Table)), Is.Empty);
            var strays = writes
                .Where(w => !Owners.TryGetValue(w.Table, out var owners) || !owners.Contains(w.File))
                .Select(w => Owners.TryGetValue(w.Table, out var owners)
                    ? $"{w.File}:{w.Line} writes {w.Table}, whose owner is {string.Join(" / ", owners)}: {w.Text}"
                    : $"{w.File}:{w.Line} writes {w.Table}, a table with no owner: {w.Text}")
                .ToList();
            Assert.That(strays, Is.Empty, "ask the table's owner to write it");
        });
    }

    /// <summary>The provider is chosen in one place: <see cref="SqlDialect.For"/> (and the option's default); every difference is a dialect member.</summary>
    [Test]
    public void Should_switch_on_the_provider_only_in_the_dialects()
    {
        var switches = ProductLines()
            .Where(l => !IsDialect(l.File))
            .Where(l => ProviderSwitch().IsMatch(l.Text))
            .Where(l => !(l.File == "Whistle.Core/Options/WhistleOptions.cs" && l.Text.Contains("Provider { get; set; } = DatabaseProvider.Sqlite", StringComparison.Ordinal)))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.That(switches, Is.Empty, "ask the SqlDialect (add a member to every dialect) instead of testing the provider");
    }

    [TestCase("Whistle.Api/Whistles/WhistlesApi.cs", "await c.ExecuteAsync(\"UPDATE whistles SET status = 'closed' WHERE id = @Id\", new { Id });", "whistles")]
    [TestCase("Whistle.Api/Meetings/MeetingsApi.cs", "const string Sql = \"DELETE FROM meeting_summons WHERE meeting_id = @Id;\";", "meeting_summons")]
    [TestCase("Whistle.Dispatcher/Notices/NoticeSender.cs", "dialect.InsertIfAbsent(\"notice_deliveries\", \"a\", \"@A\", \"a\")", "notice_deliveries")]
    [TestCase("Whistle.Api/Export/ExportQueries.cs", "INSERT INTO dbo.[outbox] (id) VALUES (1)", "outbox")]
    [TestCase("Whistle.Api/Export/ExportQueries.cs", "dialect.InsertIfAbsentAnswering(\"inbox\", \"a\", \"@A\", \"a\", \"a\")", "inbox")]
    [TestCase("Whistle.Api/Export/ExportQueries.cs", "dialect.UpdateFromJson(\"audit_log\", \"a = s.a\", \"@B\", [], \"t.id = s.id\")", "audit_log")]
    [TestCase("Whistle.Api/Export/ExportQueries.cs", "dialect.UpdateAnswering(\"whistles\", \"a = @A\", \"id = @Id\", \"version\")", "whistles")]
    [TestCase("Whistle.Api/Export/ExportQueries.cs", "dialect.InsertRows(\"outbox\", Columns, rows)", "outbox")]
    [TestCase("Whistle.Api/Export/ExportQueries.cs", "dialect.InsertRowsReturningIdentity(\"timeline\", Columns, rows, \"sequence\")", "timeline")]
    public void Should_see_a_write_however_it_is_spelt(string file, string line, string table)
    {
        var found = SqlWrite().Matches(line).Concat(DialectWrite().Matches(line)).Select(m => m.Groups["table"].Value).ToList();
        Assert.That(found, Is.EqualTo(new[] { table }));
        Assert.That(Owners[table], Does.Not.Contain(file));
    }

    [TestCase("if (database.Provider == DatabaseProvider.SqlServer)")]
    [TestCase("var top = dialect is SqlServerDialect ? \"TOP 1\" : \"\";")]
    [TestCase("if (options.Provider is DatabaseProvider.Sqlite)")]
    [TestCase("private static bool Big(Whistle.Core.Storage.SqlDialect d) => d is Whistle.Core.Storage.SqlServerDialect;")]
    [TestCase("if (dialect.Provider != provider) return;")]
    [TestCase("catch (SqlException e) when (e.Number == 1205)")]
    [TestCase("switch (provider) { case DatabaseProvider.PostgreSql: break; }")]
    public void Should_see_a_provider_switch_however_it_is_spelt(string line) => Assert.That(ProviderSwitch().IsMatch(line), Is.True);
}
