using Dapper;
using Npgsql;
using Whistle.Contracts;
using Whistle.Core.Messaging;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 15: on PostgreSQL a transaction that writes outbox rows wakes the relays of other processes (<c>NOTIFY</c>)
/// only when its own process has no relay that can publish them. While it has one, that relay (woken in-process after
/// the commit) publishes them, and every other process's relay no longer reads the outbox after every commit.
/// Notifications reach a listener in commit order, so a marker sent after the write proves that the write sent none.
/// </summary>
[NonParallelizable]
public sealed class When_a_commit_wakes_the_relays_of_other_processes
{
    private const string Marker = "marker";
    private PostgresDatabase _database = null!;
    private NpgsqlDataSource _dataSource = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _database = await PostgresServer.Require().CreateDatabaseAsync();
        DatabaseMigrator.Migrate(DatabaseProvider.PostgreSql, _database.ConnectionString);
        _dataSource = (NpgsqlDataSource)PostgreSqlDialect.Instance.CreateDataSource(_database.ConnectionString);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Should_not_wake_them_while_this_process_has_a_relay_that_can_publish()
    {
        var database = new WhistleDatabase(_dataSource, PostgreSqlDialect.Instance, new OutboxSignal());
        database.RelayHere(() => true);
        Assert.That(await NotificationsAfterAWriteAsync(database), Is.EqualTo(new[] { Marker }));
    }

    [Test]
    public async Task Should_wake_them_when_this_process_runs_no_relay()
    {
        var database = new WhistleDatabase(_dataSource, PostgreSqlDialect.Instance, new OutboxSignal());
        Assert.That(await NotificationsAfterAWriteAsync(database), Is.EqualTo(new[] { string.Empty, Marker }));
    }

    [Test]
    public async Task Should_wake_them_when_this_process_s_relay_cannot_publish()
    {
        var database = new WhistleDatabase(_dataSource, PostgreSqlDialect.Instance, new OutboxSignal());
        database.RelayHere(() => false);
        Assert.That(await NotificationsAfterAWriteAsync(database), Is.EqualTo(new[] { string.Empty, Marker }));
    }

    [Test]
    public async Task Should_wake_them_again_once_the_relay_has_stopped()
    {
        var database = new WhistleDatabase(_dataSource, PostgreSqlDialect.Instance, new OutboxSignal());
        database.RelayHere(() => true);
        database.RelayHere(null);
        Assert.That(await NotificationsAfterAWriteAsync(database), Is.EqualTo(new[] { string.Empty, Marker }));
    }

    /// <summary>The payloads a listener on the relays' channel receives for a write of one outbox row, then the marker.</summary>
    private async Task<List<string>> NotificationsAfterAWriteAsync(WhistleDatabase database)
    {
        await using var listener = await _dataSource.OpenConnectionAsync();
        var received = new List<string>();
        listener.Notification += (_, e) => received.Add(e.Payload);
        await listener.ExecuteAsync($"LISTEN {Outbox.WakeChannel};");

        await database.WriteAsync(
            async unit =>
            {
                await Outbox.AddAsync(unit, new CountyChanged(1), DateTimeOffset.UtcNow);
                unit.Complete();
                return true;
            },
            CancellationToken.None);
        await using (var other = await _dataSource.OpenConnectionAsync())
        {
            await other.ExecuteAsync($"SELECT pg_notify('{Outbox.WakeChannel}', '{Marker}');");
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!received.Contains(Marker))
        {
            await listener.WaitAsync(timeout.Token);
        }

        return received;
    }
}
