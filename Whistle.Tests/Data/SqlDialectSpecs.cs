using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using DbUp.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Security;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 12: what differs between the databases lives in one dialect type per provider, so that a third provider is
/// one new type. No statement outside the dialects may use a provider's own syntax (nor may anything outside them switch
/// on the provider: Architecture/When_the_data_layer_is_read).
/// </summary>
public sealed partial class When_the_code_speaks_SQL
{
    // A provider's own words: paging, locks, returning identities, upserts, transactions and locks in SQL,
    // pragmas, date functions, string concatenation, list parameters Dapper expands (PostgreSQL takes arrays).
    [GeneratedRegex(
        @"\bLIMIT\b|\bTOP\s*\(|\bOFFSET\b|\bFETCH\b|UPDLOCK|ROWLOCK|HOLDLOCK|NOLOCK|\bRETURNING\b|\bOUTPUT\b|sp_getapplock|\bPRAGMA\b|ON CONFLICT|"
        + @"@@ROWCOUNT|@@IDENTITY|SCOPE_IDENTITY|changes\(\)|last_insert_rowid|\bMERGE\b|\bDECLARE\b|BEGIN TRANSACTION|\bTHROW\b|INSERT OR |FOR UPDATE|"
        + @"GETDATE|GETUTCDATE|SYSUTCDATETIME|SYSDATETIMEOFFSET|DATEADD|DATEDIFF|julianday|strftime|\bdatetime\(|\bNOW\(\)|\bnvarchar\b|"
        + @"\|\||\bIIF\(|\bISNULL\(|\bIFNULL\(|\bLEN\(|\bIN\s+@|READPAST|COUNT_BIG|\bEXEC\b",
        RegexOptions.IgnoreCase)]
    private static partial Regex ProviderSyntax();

    [GeneratedRegex(@"/\*.*?\*/|--[^\n]*", RegexOptions.Singleline)]
    private static partial Regex Comment();

    public static IEnumerable<TestCaseData> PortableStatements() =>
        When_SQL_Server_reads_our_SQL.Constants()
            .Where(s => !s.Name.Contains("Dialect.", StringComparison.Ordinal))
            .Concat(When_SQL_Server_reads_our_SQL.Composed(new MarkerDialect()))
            .Select(s => new TestCaseData(s.Sql).SetName(s.Name));

    [TestCaseSource(nameof(PortableStatements))]
    public void Should_leave_every_difference_between_the_databases_to_the_dialect(string sql)
    {
        var found = ProviderSyntax().Matches(Comment().Replace(sql, " ")).Select(m => m.Value).Distinct().ToList();
        Assert.That(found, Is.Empty, $"provider syntax outside the dialects (ask the SqlDialect for it):\n{sql}");
    }

    [Test]
    public void Should_find_the_statements_composed_with_the_dialect()
    {
        var composed = When_SQL_Server_reads_our_SQL.Composed(new MarkerDialect()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(composed.Select(c => c.Name), Does.Contain("Timeline.InsertSql").And.Contain("Outbox.ClaimSql").And.Contain("Inbox.RecordSql"));
            Assert.That(composed.Single(c => c.Name == "Timeline.InsertSql").Sql, Does.Contain("/*under-lock whistle-timeline*/").And.Contain("/*returning sequence*/"));
        });
    }

    /// <summary>A dialect whose every part is a marker: what a statement leaves to the dialect shows, nothing else does.</summary>
    private sealed class MarkerDialect : SqlDialect
    {
        public override DatabaseProvider Provider => (DatabaseProvider)(-1);

        public override bool IsEmbedded => false;

        public override System.Data.IsolationLevel WriteIsolation => System.Data.IsolationLevel.Unspecified;

        public override string ConnectionString(string? configured, Func<string> dataFolder) => throw new NotSupportedException();

        public override DbDataSource CreateDataSource(string connectionString) => throw new NotSupportedException();

        public override Task OpenedAsync(DbConnection connection, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override bool IsTransient(Exception exception) => false;

        public override bool IsUniqueViolation(Exception exception) => false;

        public override string Page(string orderedSelect) => $"{orderedSelect} /*page*/";

        public override string Limit(string orderedSelect, string take = "@Take") => $"{orderedSelect} /*limit {take}*/";

        public override string SelectForUpdate(string columns, string from, string where, bool evenIfAbsent = false) =>
            $"SELECT {columns} FROM {from} /*for-update*/ WHERE {where}";

        public override string InsertReturningIdentity(string table, string columns, string values, string identity) =>
            $"INSERT INTO {table} ({columns}) VALUES ({values}) /*returning {identity}*/";

        public override string InsertIfAbsent(string table, string columns, string values, string key) =>
            $"INSERT INTO {table} ({columns}) VALUES ({values}) /*if-absent {key}*/";

        public override string InsertIfAbsentAnswering(string table, string columns, string values, string key, string answer) =>
            $"INSERT INTO {table} ({columns}) VALUES ({values}) /*if-absent {key} answering {answer}*/";

        public override string UpdateAnswering(string table, string set, string where, string answer) =>
            $"UPDATE {table} SET {set} WHERE {where} /*answering {answer}*/";

        public override string Upsert(string table, string columns, string values, string key, string update) =>
            $"INSERT INTO {table} ({columns}) VALUES ({values}) /*else-update {key}: {update}*/";

        public override string UnderLock(string resource, TimeSpan wait, string statements, bool shared = false) => $"/*under-lock {resource}*/ {statements}";

        public override string UnderLockInOwnTransaction(string resource, TimeSpan wait, string statements) => $"/*under-lock-alone {resource}*/ {statements}";

        public override string SkippingLocked(string table) => $"{table} /*skipping-locked*/";

        public override ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override int MaxListItems => 3;

        public override string WithoutFlush(string statements) => $"/*without-flush*/ {statements}";

        public override string InList(string column, string parameter) => $"{column} /*in-list*/ = {parameter}";

        public override string UpdateFromJson(string table, string set, string parameter, IReadOnlyList<JsonColumn> columns, string where) =>
            $"UPDATE {table} SET {set} /*from-json {parameter}*/ WHERE {where}";

        public override string Wake(string channel) => $"/*wake {channel}*/";

        public override Task ListenForWakeUpsAsync(string connectionString, IReadOnlyDictionary<string, Action> channels, Action<Exception> lost, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override MigrationTypes MigrationTypes => throw new NotSupportedException();

        public override IDisposable PrepareMigration(string connectionString, bool ensureDatabase) => throw new NotSupportedException();

        public override UpgradeEngineBuilder Migrations(string connectionString) => throw new NotSupportedException();
    }
}

/// <summary>What each dialect composes does what it says: run on SQLite, parsed for SQL Server.</summary>
public sealed class When_a_dialect_composes_a_statement
{
    private SqliteConnection _connection = null!;

    private static readonly SqlDialect Sqlite = SqlDialect.For(DatabaseProvider.Sqlite);

    [SetUp]
    public async Task CreateTable()
    {
        _connection = new SqliteConnection($"Data Source={Path.Combine(TestSettings.NewDataFolder(), "dialect.db")};Pooling=False");
        await _connection.OpenAsync();
        await _connection.ExecuteAsync("""
            CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, k1 TEXT NOT NULL, k2 TEXT NOT NULL, v INTEGER NOT NULL);
            CREATE UNIQUE INDEX ux_items ON items (k1, k2);
            """);
    }

    [TearDown]
    public async Task Close() => await _connection.DisposeAsync();

    private static string Insert(SqlDialect d) => d.InsertReturningIdentity("items", "k1, k2, v", "@K1, @K2, @V", "id") + ";";

    private static string InsertIfAbsent(SqlDialect d) => d.InsertIfAbsent("items", "k1, k2, v", "@K1, @K2, @V", "k1, k2") + ";";

    private static string Upsert(SqlDialect d) => d.Upsert("items", "k1, k2, v", "@K1, @K2, @V", "k1, k2", "v = @V") + ";";

    private static string UpdateAnswering(SqlDialect d) => d.UpdateAnswering("items", "v = v + 10", "k1 = @K1 AND v = @V", "v") + ";";

    private static string Paged(SqlDialect d) => d.Page("SELECT v FROM items ORDER BY v DESC") + ";";

    private static string Limited(SqlDialect d) => d.Limit("SELECT v FROM items ORDER BY v", "@Take") + ";";

    private static string Locked(SqlDialect d) => d.SelectForUpdate("v", "items i", "i.k1 = @K1 AND i.k2 = @K2", evenIfAbsent: true) + ";";

    private static string Listed(SqlDialect d) => $"SELECT v FROM items WHERE {d.InList("k1", "@Keys")} ORDER BY v;";

    private static string Ordered(SqlDialect d) => d.UnderLock("whistle-test", TimeSpan.FromSeconds(1), Insert(d));

    private static readonly RowColumn[] ItemColumns = [new("k1", "ItemK1", RowType.Text), new("k2", "ItemK2", RowType.Text), new("v", "ItemV", RowType.BigInteger)];

    private static string InsertedRows(SqlDialect d) => d.InsertRowsReturningIdentity("items", ItemColumns, 3, "id");

    private static string Rows(SqlDialect d) => d.InsertRows("items", ItemColumns, 3);

    private static string Rows(SqlDialect d, int rows) => d.InsertRows("items", ItemColumns, rows);

    private static string Claimed(SqlDialect d) => d.WithoutFlush(d.UnderLockInOwnTransaction("whistle-test", TimeSpan.FromSeconds(1), "UPDATE items SET v = v + 1;"));

    [Test]
    public async Task Should_insert_and_answer_the_identity_in_order()
    {
        var first = await _connection.ExecuteScalarAsync<long>(Insert(Sqlite), new { K1 = "a", K2 = "x", V = 1 });
        var second = await _connection.ExecuteScalarAsync<long>(Ordered(Sqlite), new { K1 = "b", K2 = "x", V = 2 });
        Assert.That(second, Is.GreaterThan(first));
    }

    /// <summary>Issue 15: many rows in one command, each answering its identity in the rows' order (SQLite: a statement a row).</summary>
    [Test]
    public async Task Should_insert_many_rows_and_answer_their_identities_in_their_order()
    {
        var rows = new[] { ("c", "x", 3L), ("a", "x", 1L), ("b", "x", 2L) };
        var parameters = new DynamicParameters();
        Sqlite.AddRows(parameters, ItemColumns, rows, static (row, column) => column switch { 0 => row.Item1, 1 => row.Item2, _ => row.Item3 });
        await using var grid = await _connection.QueryMultipleAsync(InsertedRows(Sqlite), parameters);
        var identities = await Sqlite.ReadIdentitiesAsync(grid, rows.Length);
        var more = new DynamicParameters();
        Sqlite.AddRows(more, ItemColumns, rows, static (row, column) => column switch { 0 => row.Item1, 1 => "y", _ => row.Item3 * 10 });
        await _connection.ExecuteAsync(Rows(Sqlite), more);
        Assert.Multiple(async () =>
        {
            Assert.That(identities, Is.Ordered.Ascending.And.Unique.And.Count.EqualTo(3));
            Assert.That(await _connection.QueryAsync<string>("SELECT k1 FROM items WHERE k2 = 'x' ORDER BY id"), Is.EqualTo(new[] { "c", "a", "b" }), "inserted in the rows' order");
            Assert.That(await _connection.QueryAsync<long>("SELECT id FROM items WHERE k2 = 'x' ORDER BY k1"), Is.EqualTo(new[] { identities[1], identities[2], identities[0] }), "each row's own identity");
            Assert.That(await _connection.QueryAsync<long>("SELECT v FROM items WHERE k2 = 'y' ORDER BY id"), Is.EqualTo(new[] { 30L, 10L, 20L }));
        });
    }

    /// <summary>
    /// Issue 15: on PostgreSQL many rows are one statement whatever their number (an array a column: prepared once, a few
    /// parameters); where values are bound one by one, a statement a number of rows, one parameter a value.
    /// </summary>
    [Test]
    public void Should_give_PostgreSQL_one_statement_for_any_number_of_rows_and_the_others_a_parameter_a_value()
    {
        var postgres = SqlDialect.For(DatabaseProvider.PostgreSql);
        var sqlServer = SqlDialect.For(DatabaseProvider.SqlServer);
        var rows = Enumerable.Range(0, 7).Select(i => ($"k{i}", "x", (long)i)).ToList();
        var arrays = new DynamicParameters();
        postgres.AddRows(arrays, ItemColumns, rows, static (row, column) => column switch { 0 => row.Item1, 1 => row.Item2, _ => row.Item3 });
        var values = new DynamicParameters();
        sqlServer.AddRows(values, ItemColumns, rows, static (row, column) => column switch { 0 => row.Item1, 1 => row.Item2, _ => row.Item3 });
        Assert.Multiple(() =>
        {
            Assert.That(postgres.Sql(Rows, 1), Is.SameAs(postgres.Sql(Rows, 40)), "one statement, composed once");
            Assert.That(postgres.InsertRows("items", ItemColumns, 7), Does.Contain("unnest(@ItemK1::text[], @ItemK2::text[], @ItemV::bigint[])"));
            Assert.That(arrays.ParameterNames, Is.EquivalentTo(new[] { "ItemK1", "ItemK2", "ItemV" }));
            Assert.That(arrays.Get<string[]>("ItemK1"), Is.EqualTo(rows.Select(r => r.Item1)));
            Assert.That(arrays.Get<long[]>("ItemV"), Is.EqualTo(rows.Select(r => r.Item3)));
            Assert.That(sqlServer.Sql(Rows, 2), Is.Not.EqualTo(sqlServer.Sql(Rows, 3)));
            Assert.That(values.ParameterNames.Count(), Is.EqualTo(21));
        });
    }

    [Test]
    public async Task Should_insert_if_absent_once_and_upsert_after()
    {
        var args = new { K1 = "a", K2 = "x", V = 1 };
        Assert.That(await _connection.ExecuteAsync(InsertIfAbsent(Sqlite), args), Is.EqualTo(1));
        Assert.That(await _connection.ExecuteAsync(InsertIfAbsent(Sqlite), args with { V = 5 }), Is.Zero, "the key was there: nothing inserted");
        Assert.That(await _connection.ExecuteScalarAsync<int>("SELECT v FROM items"), Is.EqualTo(1));
        await _connection.ExecuteAsync(Upsert(Sqlite), args with { V = 7 });
        await _connection.ExecuteAsync(Upsert(Sqlite), new { K1 = "b", K2 = "x", V = 8 });
        Assert.That(await _connection.QueryAsync<int>("SELECT v FROM items ORDER BY k1"), Is.EqualTo(new[] { 7, 8 }));
    }

    [Test]
    public async Task Should_update_and_answer_the_changed_rows_only()
    {
        await _connection.ExecuteAsync(Insert(Sqlite), new { K1 = "a", K2 = "x", V = 1 });
        Assert.That(await _connection.QueryAsync<int>(UpdateAnswering(Sqlite), new { K1 = "a", V = 1 }), Is.EqualTo(new[] { 11 }), "the row matched: its new value");
        Assert.That(await _connection.QueryAsync<int>(UpdateAnswering(Sqlite), new { K1 = "a", V = 1 }), Is.Empty, "it changed meanwhile: no row, nothing changed");
        Assert.That(await _connection.ExecuteScalarAsync<int>("SELECT v FROM items"), Is.EqualTo(11));
    }

    [Test]
    public async Task Should_page_limit_lock_and_take_lists()
    {
        for (var i = 1; i <= 5; i++) await _connection.ExecuteAsync(Insert(Sqlite), new { K1 = $"k{i}", K2 = "x", V = i });
        await _connection.ExecuteAsync(Claimed(Sqlite));
        await using var transaction = await _connection.BeginTransactionAsync(Sqlite.WriteIsolation);
        Assert.That(await _connection.QueryAsync<int>(Paged(Sqlite), new { Skip = 1, Take = 2 }, transaction), Is.EqualTo(new[] { 5, 4 }));
        Assert.That(await _connection.QueryAsync<int>(Limited(Sqlite), new { Take = 2 }, transaction), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(await _connection.QuerySingleOrDefaultAsync<int?>(Locked(Sqlite), new { K1 = "k3", K2 = "x" }, transaction), Is.EqualTo(4));
        Assert.That(await _connection.QueryAsync<int>(Listed(Sqlite), new { Keys = new List<string> { "k2", "k5" } }, transaction), Is.EqualTo(new[] { 3, 6 }));
    }

    public static IEnumerable<TestCaseData> SqlServerForms() =>
        new (string Name, Func<SqlDialect, string> Compose)[]
        {
            (nameof(Insert), Insert), (nameof(InsertIfAbsent), InsertIfAbsent), (nameof(Upsert), Upsert), (nameof(UpdateAnswering), UpdateAnswering), (nameof(Paged), Paged),
            (nameof(Limited), Limited), (nameof(Locked), Locked), (nameof(Listed), Listed), (nameof(Ordered), Ordered), (nameof(Claimed), Claimed),
            (nameof(InsertedRows), InsertedRows), (nameof(Rows), Rows),
        }.Select(c => new TestCaseData(c.Compose(SqlDialect.For(DatabaseProvider.SqlServer))).SetName($"SqlServer.{c.Name}"));

    [TestCaseSource(nameof(SqlServerForms))]
    public void Should_compose_T_SQL_that_parses(string sql)
    {
        var sent = Regex.Replace(sql, @"IN\s+@(\w+)", "IN (@$1)", RegexOptions.IgnoreCase);
        new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(sent), out var errors);
        Assert.That(errors.Select(e => $"line {e.Line}: {e.Message}"), Is.Empty, sent);
    }

    [Test]
    public void Should_match_the_key_to_its_values_in_SQL_Servers_upsert()
    {
        var sql = Upsert(SqlDialect.For(DatabaseProvider.SqlServer));
        Assert.Multiple(() =>
        {
            Assert.That(sql, Does.Contain("UPDATE items SET v = @V WHERE k1 = @K1 AND k2 = @K2;"));
            Assert.That(sql, Does.Contain("IF @@ROWCOUNT = 0"));
            Assert.That(() => SqlDialect.For(DatabaseProvider.SqlServer).Upsert("items", "k1, v", "@K1", "k1", "v = 1"), Throws.ArgumentException);
        });
    }
}

/// <summary>
/// A read by a list of ids (<c>SqlDialect.InList</c>) longer than a statement takes: SQL Server expands a list into one
/// parameter per item and takes at most 2,100 per request, so the dialect cuts the list into chunks a statement takes;
/// PostgreSQL passes one array, whatever its length.
/// </summary>
public sealed class When_a_list_is_longer_than_a_statement_takes
{
    private static readonly string[] Ids = Enumerable.Range(0, 4_500).Select(i => $"w-{i:D5}").ToArray();

    [Test]
    public void Should_cut_SQL_Servers_list_into_chunks_under_its_parameter_limit()
    {
        var chunks = SqlDialect.For(DatabaseProvider.SqlServer).ListChunks(Ids).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(chunks.Select(c => c.Count), Is.EqualTo(new[] { 2_000, 2_000, 500 }));
            Assert.That(chunks.All(c => c.Count < 2_100), "each statement's list leaves room under the 2,100 parameters");
            Assert.That(chunks.SelectMany(c => c), Is.EqualTo(Ids), "every id once, in order");
        });
    }

    [Test]
    public void Should_keep_SQLites_list_under_its_host_parameters_and_PostgreSQLs_whole()
    {
        var many = Enumerable.Range(0, 70_000).Select(i => $"w-{i:D5}").ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(SqlDialect.For(DatabaseProvider.Sqlite).ListChunks(many).Select(c => c.Count), Is.All.LessThanOrEqualTo(32_766));
            Assert.That(SqlDialect.For(DatabaseProvider.Sqlite).ListChunks(many).Sum(c => c.Count), Is.EqualTo(70_000));
            Assert.That(SqlDialect.For(DatabaseProvider.PostgreSql).ListChunks(many).Select(c => c.Count), Is.EqualTo(new[] { 70_000 }));
            Assert.That(SqlDialect.For(DatabaseProvider.SqlServer).ListChunks(Array.Empty<string>()), Is.Empty, "no ids, no statement");
        });
    }
}
