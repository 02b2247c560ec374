using Dapper;
using Microsoft.Data.Sqlite;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: this process's SQLite write transactions run on one writer connection that keeps the SQL of each command
/// compiled and runs it again with the new parameters (Microsoft.Data.Sqlite compiles anew for every new command — 28% of
/// the writer's time at 500 whistles a second). A compiled command must answer exactly as a new one would: the values
/// of this run only, a text still being read not shared, a bounded cache, and a failed write not leaving its connection
/// to the next.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class When_SQLite_writes_keep_their_SQL_compiled : StorageFixture
{
    private const string Insert = "INSERT INTO inbox (message_id, consumer, processed_at) VALUES (@Key, @Consumer, @Now);";

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Whistle:DataFolder"] = NewDataFolder(),
        ["Whistle:Demo:Enabled"] = "true",
    };

    private Task<T> WriteAsync<T>(Func<UnitOfWork, Task<T>> write) =>
        Database.WriteAsync(
            async unit =>
            {
                var value = await write(unit);
                unit.Complete();
                return value;
            },
            CancellationToken.None);

    private Task<List<string>> KeysAsync(string consumer) =>
        Database.ReadAsync(async c => (await c.QueryAsync<string>("SELECT message_id FROM inbox WHERE consumer = @Consumer ORDER BY message_id", new { Consumer = consumer })).ToList(), CancellationToken.None);

    [Test]
    public async Task Should_run_a_text_again_with_the_values_of_each_run()
    {
        var consumer = $"compiled-{Guid.NewGuid():N}";
        // In one write: no other writer of the process uses the connection meanwhile.
        var (writer, compiled, counted) = await WriteAsync(async unit =>
        {
            var connection = (SqliteCompiledConnection)unit.Connection;
            var before = connection.Compilations;
            for (var i = 0; i < 20; i++)
            {
                await unit.Connection.ExecuteAsync(Insert, new { Key = $"{consumer}-{i:D2}", Consumer = consumer, Now = DateTimeOffset.UtcNow }, unit.Transaction);
            }

            var count = await unit.Connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inbox WHERE consumer = @Consumer", new { Consumer = consumer }, unit.Transaction);
            return (unit.Connection, connection.Compilations - before, count);
        });

        Assert.Multiple(async () =>
        {
            Assert.That(writer, Is.TypeOf<SqliteCompiledConnection>(), "SQLite's writes run on the writer connection");
            Assert.That(compiled, Is.LessThanOrEqualTo(2), "the insert run twenty times is compiled once at most (and the count once)");
            Assert.That(counted, Is.EqualTo(20), "a read in the write sees the writes before it");
            Assert.That(await KeysAsync(consumer), Is.EqualTo(Enumerable.Range(0, 20).Select(i => $"{consumer}-{i:D2}")), "each run wrote its own values");
        });
    }

    [Test]
    public async Task Should_not_carry_a_value_of_one_run_into_the_next()
    {
        var consumer = $"unbound-{Guid.NewGuid():N}";
        await WriteAsync(unit => unit.Connection.ExecuteAsync(Insert, new { Key = $"{consumer}-1", Consumer = consumer, Now = DateTimeOffset.UtcNow }, unit.Transaction));

        // The same text without @Consumer: a compiled statement still bound to the last run's value would insert it.
        var missing = Assert.CatchAsync(() => WriteAsync(unit => unit.Connection.ExecuteAsync(Insert, new { Key = $"{consumer}-2", Now = DateTimeOffset.UtcNow }, unit.Transaction)));
        Assert.Multiple(async () =>
        {
            Assert.That(missing, Is.InstanceOf<InvalidOperationException>().Or.InstanceOf<SqliteException>(), "a parameter not given this run is missing, not remembered");
            Assert.That(await KeysAsync(consumer), Is.EqualTo(new[] { $"{consumer}-1" }));
        });

        // The failed write undid its own statements and closed its connection; the next one opens another and writes.
        await WriteAsync(unit => unit.Connection.ExecuteAsync(Insert, new { Key = $"{consumer}-3", Consumer = consumer, Now = DateTimeOffset.UtcNow }, unit.Transaction));
        Assert.That(await KeysAsync(consumer), Is.EqualTo(new[] { $"{consumer}-1", $"{consumer}-3" }));
    }

    [Test]
    public async Task Should_give_a_text_still_being_read_a_command_of_its_own()
    {
        var consumer = $"reading-{Guid.NewGuid():N}";
        for (var i = 0; i < 3; i++)
        {
            await WriteAsync(unit => unit.Connection.ExecuteAsync(Insert, new { Key = $"{consumer}-{i}", Consumer = consumer, Now = DateTimeOffset.UtcNow }, unit.Transaction));
        }

        const string select = "SELECT message_id FROM inbox WHERE consumer = @Consumer AND message_id >= @From ORDER BY message_id";
        var (outer, inner) = await WriteAsync(async unit =>
        {
            var read = new List<string>();
            var nested = new List<List<string>>();
            // The first read stays open while the same text runs again with other values, row by row.
            await using var reader = await unit.Connection.ExecuteReaderAsync(select, new { Consumer = consumer, From = $"{consumer}-0" }, unit.Transaction);
            while (await reader.ReadAsync())
            {
                read.Add(reader.GetString(0));
                nested.Add((await unit.Connection.QueryAsync<string>(select, new { Consumer = consumer, From = $"{consumer}-2" }, unit.Transaction)).ToList());
            }

            return (read, nested);
        });

        Assert.Multiple(() =>
        {
            Assert.That(outer, Is.EqualTo(new[] { $"{consumer}-0", $"{consumer}-1", $"{consumer}-2" }), "the open read is not disturbed");
            Assert.That(inner, Has.All.EqualTo(new[] { $"{consumer}-2" }), "the run meanwhile answers with its own values");
        });
    }

    [Test]
    public async Task Should_hold_at_most_its_capacity_of_texts()
    {
        var consumer = $"capacity-{Guid.NewGuid():N}";
        for (var i = 0; i < SqliteCompiledConnection.Capacity + 20; i++)
        {
            // A text of its own each time (the number is part of the SQL, not a parameter).
            await WriteAsync(unit => unit.Connection.ExecuteAsync(
                $"INSERT INTO inbox (message_id, consumer, processed_at) VALUES (@Key || '-{i:D3}', @Consumer, @Now);",
                new { Key = consumer, Consumer = consumer, Now = DateTimeOffset.UtcNow }, unit.Transaction));
        }

        var writer = (SqliteCompiledConnection)await WriteAsync(unit => Task.FromResult(unit.Connection));
        Assert.Multiple(async () =>
        {
            Assert.That(writer.Cached, Is.EqualTo(SqliteCompiledConnection.Capacity), "the oldest texts are let go");
            Assert.That((await KeysAsync(consumer)).Count, Is.EqualTo(SqliteCompiledConnection.Capacity + 20));
        });
    }

    [Test]
    public async Task Should_bind_each_parameter_by_the_name_its_SQL_gives_it()
    {
        var consumer = $"named-{Guid.NewGuid():N}";
        // Two statements in one command, each naming some of the parameters; Dapper names them bare ("Key", not "@Key"),
        // a list parameter expands into numbered ones, and a parameter may already carry its prefix.
        const string both = """
            INSERT INTO inbox (message_id, consumer, processed_at) VALUES (@Key, @Consumer, @Now);
            SELECT message_id FROM inbox WHERE consumer = @Consumer AND message_id IN @Keys ORDER BY message_id;
            """;
        var (keys, names) = await WriteAsync(async unit =>
        {
            var read = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                read = (await unit.Connection.QueryAsync<string>(both, new { Key = $"{consumer}-{i}", Consumer = consumer, Now = DateTimeOffset.UtcNow, Keys = new[] { $"{consumer}-0", $"{consumer}-2" } }, unit.Transaction)).ToList();
            }

            await using var command = unit.Connection.CreateCommand();
            command.Transaction = unit.Transaction;
            command.CommandText = "SELECT COUNT(*) FROM inbox WHERE consumer = @Consumer AND message_id <> @Key;";
            foreach (var (name, value) in new[] { ("Consumer", consumer), ("@Key", $"{consumer}-1") })
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value;
                command.Parameters.Add(parameter);
            }

            var others = Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(others, Is.EqualTo(2), "a bare name and a prefixed one bind alike");
            return (read, command.Parameters.Cast<System.Data.Common.DbParameter>().Select(p => p.ParameterName).ToList());
        });

        Assert.Multiple(async () =>
        {
            Assert.That(keys, Is.EqualTo(new[] { $"{consumer}-0", $"{consumer}-2" }), "each statement bound the parameters it names, the expanded list included");
            Assert.That(names, Is.EqualTo(new[] { "@Consumer", "@Key" }), "the command ran with the names as its SQL spells them: one lookup a parameter and statement, not four");
            Assert.That(await KeysAsync(consumer), Has.Count.EqualTo(3));
        });
    }

    [Test]
    public async Task Should_hold_at_most_its_capacity_of_prefixed_names()
    {
        var names = await WriteAsync(unit =>
        {
            var connection = (SqliteCompiledConnection)unit.Connection;
            for (var i = 0; i < SqliteCompiledConnection.PrefixedCapacity + 10; i++)
            {
                Assert.That(connection.Prefixed($"Name{i}"), Is.EqualTo($"@Name{i}"));
            }

            return Task.FromResult(connection.PrefixedNames);
        });

        Assert.That(names, Is.InRange(1, SqliteCompiledConnection.PrefixedCapacity), "names made for many commands are let go, not kept for ever");
    }
}
