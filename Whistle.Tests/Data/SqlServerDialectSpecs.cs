using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Whistle.Core.Options;
using Whistle.Core.Storage;

namespace Whistle.Tests.Data;

/// <summary>
/// SQL Server cannot run here, so every statement it would receive is parsed by ScriptDom: the migrations, every
/// SQL constant of the code (names ending in <c>Sql</c>: portable, run on SQLite in the other tests too), and every
/// statement composed with the dialect (<c>static string XxxSql(SqlDialect)</c>), as <see cref="SqlServerDialect"/> composes it.
/// </summary>
public sealed partial class When_SQL_Server_reads_our_SQL
{
    private static readonly Assembly[] Assemblies =
    [
        typeof(WhistleDatabase).Assembly,
        typeof(Whistle.Api.Hosting.ApiExtensions).Assembly,
        typeof(Whistle.Dispatcher.DispatcherProgram).Assembly,
    ];

    public static IEnumerable<TestCaseData> Statements() =>
        Constants().Concat(Composed(SqlServerDialect.Instance)).Select(s => new TestCaseData(s.Sql).SetName(s.Name));

    /// <summary>Every SQL constant of the code: its name ends in <c>Sql</c>.</summary>
    public static IEnumerable<(string Name, string Sql)> Constants() =>
        Assemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(f => f is { IsLiteral: true, IsInitOnly: false } && f.FieldType == typeof(string) && f.Name.EndsWith("Sql", StringComparison.Ordinal))
                .Select(f => ($"{t.Name}.{f.Name}", (string)f.GetRawConstantValue()!)));

    /// <summary>
    /// Every statement composed with a dialect (<c>static string XxxSql(SqlDialect)</c>, and <c>XxxSql(SqlDialect, int rows)</c>
    /// for three rows), as <paramref name="dialect"/> composes it.
    /// </summary>
    public static IEnumerable<(string Name, string Sql)> Composed(SqlDialect dialect) =>
        Assemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(m => m.Name.EndsWith("Sql", StringComparison.Ordinal) && m.ReturnType == typeof(string))
                .Select(m => (Method: m, Arguments: m.GetParameters() switch
                {
                    [{ ParameterType: var p }] when p == typeof(SqlDialect) => new object[] { dialect },
                    [{ ParameterType: var p }, { ParameterType: var n }] when p == typeof(SqlDialect) && n == typeof(int) => new object[] { dialect, 3 },
                    _ => null,
                }))
                .Where(m => m.Arguments is not null)
                .Select(m => ($"{t.Name}.{m.Method.Name}", (string)m.Method.Invoke(null, m.Arguments)!)));

    public static IEnumerable<TestCaseData> Migrations() =>
        DatabaseMigrator.Scripts(DatabaseProvider.SqlServer).Select(s => new TestCaseData(s.Sql).SetName(s.Name));

    [TestCaseSource(nameof(Statements))]
    [TestCaseSource(nameof(Migrations))]
    public void Should_parse_without_errors(string sql)
    {
        var sent = AsSent(sql);
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sent);
        parser.Parse(reader, out var errors);
        Assert.That(errors.Select(e => $"line {e.Line}: {e.Message}"), Is.Empty, sent);
    }

    /// <summary>The statement as SQL Server receives it: Dapper expands "IN @List" into "IN (@List1, @List2, ...)" first.</summary>
    public static string AsSent(string sql) => ListParameter().Replace(sql, "IN (@$1)");

    [Test]
    public void Should_find_the_statements_of_every_layer()
    {
        var names = Statements().Select(t => t.TestName).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(names, Has.Some.StartsWith("Outbox."));
            Assert.That(names, Has.Some.StartsWith("WhistleStore."));
            Assert.That(names, Has.Some.StartsWith("WhistleRows."));
            Assert.That(names, Has.Some.StartsWith("CountyStore."));
            Assert.That(names, Does.Contain("Timeline.InsertSql"), "the statements composed with the dialect are read too");
            Assert.That(names, Does.Contain("Outbox.InsertRowsSql").And.Contain("Timeline.InsertAudienceRowsSql"), "and those composed for a number of rows");
            Assert.That(Migrations(), Is.Not.Empty);
        });
    }

    [Test]
    public void Should_reject_invalid_T_SQL_so_that_the_check_means_something()
    {
        var parser = new TSql160Parser(true);
        parser.Parse(new StringReader("SELECT TOP 5 FROM whistles LIMIT 5;"), out var errors);
        Assert.That(errors, Is.Not.Empty);
    }

    [GeneratedRegex(@"IN\s+@(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex ListParameter();
}
