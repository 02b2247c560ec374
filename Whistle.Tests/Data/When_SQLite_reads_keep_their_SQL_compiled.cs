using System.Data.Common;
using Dapper;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: on SQLite a read takes an idle read connection of this process that keeps its SQL compiled (a pooled
/// connection compiled every read anew and ran the connection's pragmas at every open), and the outbox relay's bookkeeping
/// runs on the writer's connection in the writer's turn. A kept connection must answer as a fresh one would: what was
/// committed since its last read, one read at a time, nothing a failed read left behind, a bounded number kept.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class When_SQLite_reads_keep_their_SQL_compiled : StorageFixture
{
    private const string Insert = "INSERT INTO inbox (message_id, consumer, processed_at) VALUES (@Key, @Consumer, @Now);";

    private const string Count = "SELECT COUNT(*) FROM inbox WHERE consumer = @Consumer";

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Whistle:DataFolder"] = NewDataFolder(),
        ["Whistle:Demo:Enabled"] = "true",
    };

    private Task InsertAsync(string key, string consumer) =>
        Database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(Insert, new { Key = key, Consumer = consumer, Now = DateTimeOffset.UtcNow }, unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);

    private Task<(DbConnection Connection, long Count)> CountAsync(string consumer) =>
        Database.ReadAsync(async c => (c, await c.ExecuteScalarAsync<long>(Count, new { Consumer = consumer })), CancellationToken.None);

    [Test]
    public async Task Should_compile_a_read_once_and_answer_what_was_committed_since_each_time()
    {
        var consumer = $"reads-{Guid.NewGuid():N}";
        var (first, none) = await CountAsync(consumer);
        var compiled = first as SqliteCompiledConnection;
        Assert.That(compiled, Is.Not.Null, "SQLite's reads run on a connection that keeps their SQL compiled");
        var before = compiled!.Compilations;

        var counts = new List<long> { none };
        var connections = new HashSet<DbConnection> { first };
        for (var i = 0; i < 10; i++)
        {
            await InsertAsync($"{consumer}-{i}", consumer);
            var (connection, count) = await CountAsync(consumer);
            counts.Add(count);
            connections.Add(connection);
        }

        Assert.Multiple(() =>
        {
            Assert.That(counts, Is.EqualTo(Enumerable.Range(0, 11).Select(i => (long)i)), "each read sees every write committed before it, not the snapshot of its last run");
            Assert.That(connections, Is.EquivalentTo(new[] { first }), "one read at a time: the same idle connection each time");
            Assert.That(compiled.Compilations - before, Is.Zero, "the count, run eleven times, was compiled at its first run only");
        });
    }

    [Test]
    public async Task Should_answer_what_was_committed_since_after_a_read_that_stopped_before_its_last_row()
    {
        var consumer = $"partial-{Guid.NewGuid():N}";
        for (var i = 0; i < 3; i++) await InsertAsync($"{consumer}-{i}", consumer);

        // The first of three rows only (Dapper reads one and closes the reader; ExecuteScalar reads one row): the
        // statements stop before their last row.
        var (first, key) = await Database.ReadAsync(
            async c => (c, await c.QueryFirstAsync<string>("SELECT message_id FROM inbox WHERE consumer = @Consumer ORDER BY message_id", new { Consumer = consumer })),
            CancellationToken.None);
        var (again, scalar) = await Database.ReadAsync(
            async c => (c, await c.ExecuteScalarAsync<string>("SELECT message_id FROM inbox WHERE consumer = @Consumer ORDER BY message_id DESC", new { Consumer = consumer })),
            CancellationToken.None);

        await InsertAsync($"{consumer}-3", consumer);
        var (next, count) = await CountAsync(consumer);
        Assert.Multiple(() =>
        {
            Assert.That(key, Is.EqualTo($"{consumer}-0"));
            Assert.That(scalar, Is.EqualTo($"{consumer}-2"));
            Assert.That(new[] { again, next }, Is.All.SameAs(first), "one read at a time: the same kept connection");
            Assert.That(count, Is.EqualTo(4), "a read after those sees the commit made since: they left no read transaction open on the kept connection");
        });
    }

    [Test]
    public async Task Should_give_reads_at_once_a_connection_each_and_keep_a_bounded_number()
    {
        var consumer = $"concurrent-{Guid.NewGuid():N}";
        await InsertAsync($"{consumer}-0", consumer);
        var reads = WhistleDatabase.MaxIdleReaders + 4;
        var arrived = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var results = await Task.WhenAll(Enumerable.Range(0, reads).Select(i => Database.ReadAsync(
            async c =>
            {
                var count = await c.ExecuteScalarAsync<long>(Count, new { Consumer = i % 2 == 0 ? consumer : "nobody" });
                // Every read holds its connection until all of them have one.
                if (Interlocked.Increment(ref arrived) == reads) all.SetResult();
                await all.Task.WaitAsync(TimeSpan.FromSeconds(30));
                return (Connection: c, Count: count, Expected: i % 2 == 0 ? 1L : 0L);
            },
            CancellationToken.None)));

        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(reads), "no connection is shared by two reads at once");
            Assert.That(results.Select(r => r.Count), Is.EqualTo(results.Select(r => r.Expected)), "each read answers with its own values");
            Assert.That(Database.IdleReaders, Is.EqualTo(WhistleDatabase.MaxIdleReaders), "the connections beyond the bound are closed");
            Assert.That(results.Count(r => r.Connection.State == System.Data.ConnectionState.Open), Is.EqualTo(WhistleDatabase.MaxIdleReaders));
        });
    }

    [Test]
    public async Task Should_close_a_connection_whose_read_failed()
    {
        var consumer = $"failed-{Guid.NewGuid():N}";
        await InsertAsync($"{consumer}-0", consumer);
        DbConnection? failed = null;
        var thrown = Assert.CatchAsync<InvalidOperationException>(() => Database.ReadAsync<int>(
            async c =>
            {
                failed = c;
                // Left open by the failure: a read transaction and a reader in the middle of its rows.
                var transaction = await c.BeginTransactionAsync();
                var reader = await c.ExecuteReaderAsync("SELECT message_id FROM inbox WHERE consumer = @Consumer", new { Consumer = consumer }, transaction);
                await reader.ReadAsync();
                throw new InvalidOperationException("the read failed");
            },
            CancellationToken.None));

        await InsertAsync($"{consumer}-1", consumer);
        var (next, count) = await CountAsync(consumer);
        Assert.Multiple(() =>
        {
            Assert.That(thrown!.Message, Is.EqualTo("the read failed"));
            Assert.That(failed!.State, Is.EqualTo(System.Data.ConnectionState.Closed), "the failed read's connection is closed");
            Assert.That(next, Is.Not.SameAs(failed), "the next read takes another");
            Assert.That(count, Is.EqualTo(2), "and sees what was committed (the failed read's transaction holds nothing back)");
        });
    }

    [Test]
    public async Task Should_run_the_relays_bookkeeping_on_the_writers_connection()
    {
        var writer = await Database.WriteAsync(unit => Task.FromResult(unit.Connection), CancellationToken.None);
        var bookkeeping = await Database.WriteStatementsAsync(c => Task.FromResult(c), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(writer, Is.TypeOf<SqliteCompiledConnection>());
            Assert.That(bookkeeping, Is.SameAs(writer), "the claims and sent marks keep their SQL compiled with the writes'");
        });
    }
}
