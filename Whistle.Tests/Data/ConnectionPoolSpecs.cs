using System.Data.Common;
using Dapper;
using Npgsql;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: PostgreSQL connections go back to the pool without Npgsql's reset (seven statements sent with the next
/// command, ~9 times per whistle). That is safe only because nothing Whistle does leaves session state behind: these
/// specs use one connection of a one-connection pool over and over, as the product's data source hands it out.
/// </summary>
public sealed class When_a_pooled_connection_is_used_again
{
    private PostgresDatabase _database = null!;
    private DbDataSource _pool = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await PostgresServer.Require().CreateDatabaseAsync();
        _pool = PostgreSqlDialect.Instance.CreateDataSource(_database.ConnectionString + ";Maximum Pool Size=1");
        await using var c = await _pool.OpenConnectionAsync();
        await c.ExecuteAsync("CREATE TABLE pool_probe (id integer PRIMARY KEY);");
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _pool.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _database.DisposeAsync();
    }

    [Test]
    public void Should_not_send_a_reset_when_a_connection_returns_unless_the_connection_string_asks_for_one()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new NpgsqlConnectionStringBuilder(_pool.ConnectionString).NoResetOnClose, Is.True);
            Assert.That(new NpgsqlConnectionStringBuilder(_pool.ConnectionString).MaxAutoPrepare, Is.EqualTo(64));
            using var configured = PostgreSqlDialect.Instance.CreateDataSource(_database.ConnectionString + ";No Reset On Close=false");
            Assert.That(new NpgsqlConnectionStringBuilder(configured.ConnectionString).NoResetOnClose, Is.False);
        });
    }

    [Test]
    public async Task Should_roll_back_a_transaction_its_last_user_left_open()
    {
        var backend = 0;
        await using (var c = await _pool.OpenConnectionAsync())
        {
            backend = await c.ExecuteScalarAsync<int>("SELECT pg_backend_pid();");
            // A batch that begins its own transaction and ends before its COMMIT, as UnderLockInOwnTransaction would on an error.
            await c.ExecuteAsync("BEGIN; INSERT INTO pool_probe (id) VALUES (1);");
        }

        await using var again = await _pool.OpenConnectionAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await again.ExecuteScalarAsync<int>("SELECT pg_backend_pid();"), Is.EqualTo(backend), "the same session");
            Assert.That(await again.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pool_probe WHERE id = 1;"), Is.Zero, "rolled back");
            Assert.That(await again.ExecuteScalarAsync<string>("SELECT current_setting('transaction_isolation');"), Is.EqualTo("read committed"));
        });
    }

    [Test]
    public async Task Should_go_on_after_a_transaction_its_last_user_left_failed()
    {
        await using (var c = await _pool.OpenConnectionAsync())
        {
            Assert.ThrowsAsync<PostgresException>(() => c.ExecuteAsync("BEGIN; INSERT INTO pool_probe (id) VALUES (2); SELECT 1 / 0;"));
        }

        await using var again = await _pool.OpenConnectionAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await again.ExecuteScalarAsync<int>("SELECT 1;"), Is.EqualTo(1), "not 25P02 in failed transaction");
            Assert.That(await again.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pool_probe WHERE id = 2;"), Is.Zero);
        });
    }

    [Test]
    public async Task Should_leave_no_lock_timeout_and_no_advisory_lock_to_the_next_user()
    {
        var dialect = PostgreSqlDialect.Instance;
        await using (var c = await _pool.OpenConnectionAsync())
        {
            await using var t = await c.BeginTransactionAsync();
            await c.ExecuteAsync(dialect.UnderLock("whistle-timeline", TimeSpan.FromSeconds(30), "INSERT INTO pool_probe (id) VALUES (3);", shared: true), transaction: t);
            await c.ExecuteAsync(dialect.UnderLock("whistle-outbox-claim", TimeSpan.FromSeconds(10), "SELECT 1;"), transaction: t);
            await t.CommitAsync();
        }

        await using (var c = await _pool.OpenConnectionAsync())
        {
            await c.ExecuteAsync(dialect.WithoutFlush(dialect.UnderLockInOwnTransaction("whistle-outbox-claim", TimeSpan.FromSeconds(10), "INSERT INTO pool_probe (id) VALUES (4);")));
        }

        await using var again = await _pool.OpenConnectionAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await again.ExecuteScalarAsync<string>("SHOW lock_timeout;"), Is.EqualTo("0"));
            Assert.That(await again.ExecuteScalarAsync<string>("SHOW synchronous_commit;"), Is.EqualTo("on"));
            Assert.That(
                await again.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();"),
                Is.Zero);
            Assert.That(await again.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pool_probe WHERE id IN (3, 4);"), Is.EqualTo(2));
        });
    }
}
