using Microsoft.SqlServer.TransactSql.ScriptDom;
using Whistle.Core.Storage;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 11: <c>sp_getapplock</c> does not raise an error when the lock is not granted (a timeout, a deadlock
/// victim): it returns a negative number, and a batch that ignores it goes on without the lock — timeline
/// writers would commit out of order (catch-up would skip an event for good), two relays would claim at once.
/// SQL Server does not run here, so the statements are read by ScriptDom: every call keeps its result and the
/// very next statement throws when it is negative, with an error number the database layer retries as transient.
/// </summary>
public sealed class When_SQL_Server_does_not_grant_an_application_lock
{
    public static IEnumerable<TestCaseData> LockingStatements() =>
        When_SQL_Server_reads_our_SQL.Statements()
            .Where(t => ((string)t.Arguments[0]!).Contains("sp_getapplock", StringComparison.OrdinalIgnoreCase));

    [TestCaseSource(nameof(LockingStatements))]
    public void Should_test_the_result_and_throw_a_transient_error_before_going_on(string sql)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        var script = parser.Parse(new StringReader(When_SQL_Server_reads_our_SQL.AsSent(sql)), out var errors);
        Assert.That(errors, Is.Empty);
        var calls = new LockCalls();
        script.Accept(calls);
        Assert.That(calls.Found, Is.Not.Empty);
        foreach (var (call, next) in calls.Found)
        {
            var result = call.ExecuteSpecification.Variable?.Name;
            Assert.That(result, Is.Not.Null, "EXEC @result = sp_getapplock …: the result is kept");
            Assert.That(next, Is.InstanceOf<IfStatement>(), "the statement right after the lock tests its result");
            var test = (IfStatement)next!;
            var comparison = test.Predicate as BooleanComparisonExpression;
            // IF @result < 0 THROW …; or IF @result < 0 BEGIN ROLLBACK TRANSACTION; THROW …; END
            var thrown = test.ThenStatement as ThrowStatement
                ?? (test.ThenStatement as BeginEndBlockStatement)?.StatementList.Statements.LastOrDefault() as ThrowStatement;
            Assert.Multiple(() =>
            {
                Assert.That(comparison?.ComparisonType, Is.EqualTo(BooleanComparisonType.LessThan), "IF @result < 0");
                Assert.That((comparison?.FirstExpression as VariableReference)?.Name, Is.EqualTo(result).IgnoreCase);
                Assert.That((comparison?.SecondExpression as IntegerLiteral)?.Value, Is.EqualTo("0"));
                Assert.That(test.ElseStatement, Is.Null);
                Assert.That(thrown, Is.Not.Null, "… THROW: the batch stops before the statements the lock protects");
            });
            var number = int.Parse(((IntegerLiteral)thrown!.ErrorNumber).Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(SqlServerDialect.IsTransientError(number), Is.True, $"error {number} is retried as transient: the transaction runs again and waits for the lock");
        }
    }

    [Test]
    public void Should_find_every_lock_the_code_takes()
    {
        var names = LockingStatements().Select(t => t.TestName).ToList();
        Assert.That(names, Does.Contain("Timeline.InsertSql").And.Contain("Outbox.ClaimSql").And.Contain("Outbox.RenewSql"));
    }

    /// <summary>Every <c>EXEC … sp_getapplock</c> with the statement that follows it in the same list.</summary>
    private sealed class LockCalls : TSqlFragmentVisitor
    {
        public List<(ExecuteStatement Call, TSqlStatement? Next)> Found { get; } = [];

        public override void Visit(TSqlScript node)
        {
            foreach (var batch in node.Batches)
            {
                Scan(batch.Statements);
            }
        }

        private void Scan(IList<TSqlStatement> statements)
        {
            for (var i = 0; i < statements.Count; i++)
            {
                switch (statements[i])
                {
                    case ExecuteStatement exec when IsApplock(exec):
                        Found.Add((exec, i + 1 < statements.Count ? statements[i + 1] : null));
                        break;
                    case BeginEndBlockStatement block:
                        Scan(block.StatementList.Statements);
                        break;
                    case TryCatchStatement tryCatch:
                        Scan(tryCatch.TryStatements.Statements);
                        Scan(tryCatch.CatchStatements.Statements);
                        break;
                }
            }
        }

        private static bool IsApplock(ExecuteStatement exec) =>
            exec.ExecuteSpecification.ExecutableEntity is ExecutableProcedureReference { ProcedureReference.ProcedureReference.Name.BaseIdentifier.Value: var name }
            && string.Equals(name, "sp_getapplock", StringComparison.OrdinalIgnoreCase);
    }
}
