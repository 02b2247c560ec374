using Npgsql;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// The PostgreSQL the test command starts, as the tests use it: a fresh database per test or fixture, and a server
/// that can be killed (SIGKILL) and started again with every committed row still there.
/// </summary>
[NonParallelizable]
public sealed class When_a_test_uses_the_PostgresServer
{
    [Test]
    public async Task Should_give_each_caller_a_fresh_empty_database_and_drop_it_afterwards()
    {
        var server = PostgresServer.Require();
        var first = await server.CreateDatabaseAsync();
        var second = await server.CreateDatabaseAsync();
        var names = new[] { first.Name, second.Name };
        await using (var connection = new NpgsqlConnection(first.ConnectionString))
        {
            await connection.OpenAsync();
            Assert.Multiple(async () =>
            {
                Assert.That(first.Name, Is.Not.EqualTo(second.Name));
                Assert.That(names, Has.All.Length.LessThanOrEqualTo(63).And.All.StartWith("whistle_test_should_give_each_caller"), "PostgreSQL's identifier limit; named after the test");
                Assert.That(await Scalar<string>(connection, "SELECT current_database()"), Is.EqualTo(first.Name));
                Assert.That(await Scalar<long>(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"), Is.Zero, "empty");
                Assert.That(await Scalar<string>(connection, "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"), Is.EqualTo("UTF8"));
                Assert.That(await Scalar<string>(connection, "SHOW fsync"), Is.EqualTo("on"), "real durability: the fault tests kill it");
                Assert.That(await Scalar<string>(connection, "SHOW listen_addresses"), Is.EqualTo("127.0.0.1"), "loopback only");
                Assert.That(await Scalar<int>(connection, "SELECT current_setting('max_connections')::int"), Is.GreaterThanOrEqualTo(300), "two Api and two Dispatcher processes and the tests");
            });
            await Execute(connection, "CREATE TABLE only_here (id int PRIMARY KEY)");
        }

        await using (var other = new NpgsqlConnection(second.ConnectionString))
        {
            await other.OpenAsync();
            Assert.That(await Scalar<long>(other, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'only_here'"), Is.Zero, "each database is its own");
        }

        // Dropped on disposal, even with a connection still open (and pooled ones idle).
        var open = new NpgsqlConnection(first.ConnectionString);
        await open.OpenAsync();
        await first.DisposeAsync();
        await second.DisposeAsync();
        await open.DisposeAsync();
        await using var maintenance = new NpgsqlConnection(server.ConnectionString);
        await maintenance.OpenAsync();
        await using var left = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = ANY(@names)", maintenance);
        left.Parameters.AddWithValue("names", names);
        Assert.That(await left.ExecuteScalarAsync(), Is.Zero);
    }

    [Test]
    public async Task Should_refuse_connections_while_killed_and_keep_every_committed_row_after_a_restart()
    {
        var server = PostgresServer.RequireControl();
        await using var database = await server.CreateDatabaseAsync();
        var unpooled = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
        await using (var setup = new NpgsqlConnection(unpooled))
        {
            await setup.OpenAsync();
            await Execute(setup, "CREATE TABLE facts (id int PRIMARY KEY, note text NOT NULL)");
            await using var tx = await setup.BeginTransactionAsync();
            await Execute(setup, "INSERT INTO facts SELECT i, '已提交 ' || i FROM generate_series(1, 1000) AS i");
            await tx.CommitAsync();
        }

        // A connection that works, in the middle of a transaction it will never commit.
        var open = new NpgsqlConnection(unpooled);
        await open.OpenAsync();
        var inFlight = await open.BeginTransactionAsync();
        await Execute(open, "INSERT INTO facts VALUES (1001, 'never committed')");
        Assert.That(await Scalar<long>(open, "SELECT count(*) FROM facts"), Is.EqualTo(1001));
        var postmaster = server.PostmasterPid;

        await server.KillAndRestartAsync(whileDown: async () =>
        {
            Assert.That(File.Exists($"/proc/{postmaster}/cmdline") && File.ReadAllText($"/proc/{postmaster}/cmdline").Length > 0, Is.False, "the postmaster is gone");
            Assert.That(async () => await Scalar<long>(open, "SELECT count(*) FROM facts"), Throws.InstanceOf<NpgsqlException>(), "the open connection is broken");
            Assert.That(async () =>
            {
                await using var fresh = new NpgsqlConnection(unpooled);
                await fresh.OpenAsync();
            }, Throws.InstanceOf<NpgsqlException>(), "a new connection is refused");
        });
        await inFlight.DisposeAsync();
        await open.DisposeAsync();

        Assert.That(server.PostmasterPid, Is.Not.EqualTo(postmaster), "a new postmaster");
        await using var after = new NpgsqlConnection(unpooled);
        await after.OpenAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await Scalar<long>(after, "SELECT count(*) FROM facts"), Is.EqualTo(1000), "every committed row, and not the uncommitted one");
            Assert.That(await Scalar<string>(after, "SELECT note FROM facts WHERE id = 1000"), Is.EqualTo("已提交 1000"));
        });
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
