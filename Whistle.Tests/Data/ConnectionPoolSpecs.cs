using System.Data.Common;
using Dapper;
using Npgsql;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: PostgreSQL connections go back to the pool without Npgsql's reset (seven statements sent with the next
/// command, ~9 times per whistle). That is safe only because nothing Whistle does leaves session state behind: these
/// specs use one connection of a one-connection pool over and over, as the product's data source hands it out.
/// And a process keeps at most a few connections (<see cref="PostgreSqlDialect.DefaultMaxPoolSize"/>, not Npgsql's 100):
/// work beyond them waits for one instead of bringing up another backend on the server's few cores.
/// </summary>
public sealed class When_a_pooled_connection_is_used_again
{
    private PostgresDatabase _database = null!;
    private DbDataSource _pool = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await PostgresServer.Require().CreateDatabaseAsync();
        // The schema as the product has it (the advisory lock is a procedure of migration 0030).
        DatabaseMigrator.Migrate(DatabaseProvider.PostgreSql, _database.ConnectionString);
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
    public void Should_keep_at_most_its_default_number_of_connections_unless_the_connection_string_says_otherwise()
    {
        using var byDefault = PostgreSqlDialect.Instance.CreateDataSource(_database.ConnectionString);
        using var configured = PostgreSqlDialect.Instance.CreateDataSource(_database.ConnectionString + ";Maximum Pool Size=7");
        using var spelledOtherwise = PostgreSqlDialect.Instance.CreateDataSource(_database.ConnectionString + ";MaxPoolSize=9");
        Assert.Multiple(() =>
        {
            Assert.That(new NpgsqlConnectionStringBuilder(byDefault.ConnectionString).MaxPoolSize, Is.EqualTo(PostgreSqlDialect.DefaultMaxPoolSize));
            Assert.That(new NpgsqlConnectionStringBuilder().MaxPoolSize, Is.GreaterThan(PostgreSqlDialect.DefaultMaxPoolSize), "fewer than Npgsql's own default");
            Assert.That(new NpgsqlConnectionStringBuilder(configured.ConnectionString).MaxPoolSize, Is.EqualTo(7));
            Assert.That(new NpgsqlConnectionStringBuilder(spelledOtherwise.ConnectionString).MaxPoolSize, Is.EqualTo(9));
        });
    }

    [Test]
    public async Task Should_queue_work_beyond_its_connections_instead_of_opening_more_backends()
    {
        // Twice as much work at once as the pool keeps connections, each holding its connection for 100 ms: all of it
        // is done, on no more backends than the pool's size (with Npgsql's default of 100, on one backend each).
        await using var source = PostgreSqlDialect.Instance.CreateDataSource(_database.ConnectionString);
        var work = Enumerable.Range(0, 2 * PostgreSqlDialect.DefaultMaxPoolSize).Select(async _ =>
        {
            await using var c = await source.OpenConnectionAsync();
            return await c.ExecuteScalarAsync<int>("SELECT pg_backend_pid() FROM pg_sleep(0.1);");
        });
        var backends = await Task.WhenAll(work);
        Assert.Multiple(() =>
        {
            Assert.That(backends, Has.Length.EqualTo(2 * PostgreSqlDialect.DefaultMaxPoolSize), "all of it done");
            Assert.That(backends.Distinct().Count(), Is.LessThanOrEqualTo(PostgreSqlDialect.DefaultMaxPoolSize));
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

    [Test]
    public async Task Should_wait_for_an_advisory_lock_no_longer_than_its_wait_and_leave_the_transactions_own_timeout()
    {
        var dialect = PostgreSqlDialect.Instance;
        await using var others = dialect.CreateDataSource(_database.ConnectionString);
        await using var holder = await others.OpenConnectionAsync();
        await using var held = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync(dialect.UnderLock("whistle-outbox-claim", TimeSpan.FromSeconds(10), "SELECT 1;"), transaction: held);

        await using var c = await _pool.OpenConnectionAsync();
        PostgresException? refused;
        await using (var t = await c.BeginTransactionAsync())
        {
            // The session's own lock_timeout is 0 (wait for ever): only the lock's wait can end this one. Were it
            // ignored, the command's own cancellation (20 s) would end it with another error.
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            refused = Assert.ThrowsAsync<PostgresException>(() => c.ExecuteAsync(new CommandDefinition(
                dialect.UnderLock("whistle-outbox-claim", TimeSpan.FromMilliseconds(300), "SELECT 1;"), transaction: t, cancellationToken: bound.Token)));
            await t.RollbackAsync();
        }

        await held.RollbackAsync();
        string? after;
        await using (var t = await c.BeginTransactionAsync())
        {
            await c.ExecuteAsync("SET LOCAL lock_timeout = '7s';", transaction: t);
            await c.ExecuteAsync(dialect.UnderLock("whistle-outbox-claim", TimeSpan.FromMilliseconds(300), "SELECT 1;"), transaction: t);
            after = await c.ExecuteScalarAsync<string>("SHOW lock_timeout;", transaction: t);
            await t.CommitAsync();
        }

        Assert.Multiple(() =>
        {
            Assert.That(refused?.SqlState, Is.EqualTo(PostgresErrorCodes.LockNotAvailable), "55P03: the lock's own wait ran out");
            Assert.That(dialect.IsTransient(refused!), Is.True, "retried as transient: the transaction runs again and waits anew");
            Assert.That(after, Is.EqualTo("7s"), "a granted lock leaves the transaction's lock_timeout as it was");
        });
    }
}
