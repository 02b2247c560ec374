using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Whistle.Core.Options;
using Whistle.Core.Storage;

namespace Whistle.Tests.Data;

/// <summary>
/// SQL Server cannot run here, so every statement it would receive is parsed by ScriptDom: the
/// migrations, and every SQL constant of the code (names ending in <c>Sql</c> are portable and run on
/// SQLite in the other tests too; names ending in <c>SqlServer</c> are SQL Server's own).
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
        Assemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(f => f is { IsLiteral: true, IsInitOnly: false } && f.FieldType == typeof(string))
                .Where(f => f.Name.EndsWith("Sql", StringComparison.Ordinal) || f.Name.EndsWith("SqlServer", StringComparison.Ordinal))
                .Select(f => new TestCaseData((string)f.GetRawConstantValue()!).SetName($"{t.Name}.{f.Name}")));

    public static IEnumerable<TestCaseData> Migrations() =>
        DatabaseMigrator.Scripts(DatabaseProvider.SqlServer).Select(s => new TestCaseData(s.Sql).SetName(s.Name));

    [TestCaseSource(nameof(Statements))]
    [TestCaseSource(nameof(Migrations))]
    public void Should_parse_without_errors(string sql)
    {
        // Dapper expands "IN @List" into "IN (@List1, @List2, ...)" before SQL Server sees it.
        var sent = ListParameter().Replace(sql, "IN (@$1)");
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sent);
        parser.Parse(reader, out var errors);
        Assert.That(errors.Select(e => $"line {e.Line}: {e.Message}"), Is.Empty, sent);
    }

    [Test]
    public void Should_find_the_statements_of_every_layer()
    {
        var names = Statements().Select(t => t.TestName).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(names, Has.Some.StartsWith("OutboxRelay."));
            Assert.That(names, Has.Some.StartsWith("WhistleCommands."));
            Assert.That(names, Has.Some.StartsWith("WhistleRaisedConsumer."));
            Assert.That(names, Has.Some.StartsWith("CountyStore."));
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
