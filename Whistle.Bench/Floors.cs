using System.Data;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Whistle.Core.Options;
using Whistle.Core.Storage;

namespace Whistle.Bench;

/// <summary>The floors: what each part on the path costs alone, measured one at a time on an idle path.</summary>
public sealed record FloorResults(LatencySummary BrokerHop, LatencySummary BrokerConfirm, LatencySummary Push, LatencySummary HttpPost, LatencySummary Commit, LatencySummary? PostgresCommit = null, string? PostgresSchema = null)
{
    /// <summary>
    /// The same floors measured one every <see cref="PaceMs"/> (the light load's spacing) instead of back to back: at
    /// light load every part of the path starts from idle — threads parked, the cores asleep, caches cold — and the floors
    /// measured back to back pay none of that.
    /// </summary>
    public FloorResults? Paced { get; init; }

    /// <summary>The pause before each sample of <see cref="Paced"/>, ms.</summary>
    public double PaceMs { get; init; }

    /// <summary>The commit floor of the database the distributed system runs on (PostgreSQL with <c>--database postgresql</c>).</summary>
    public LatencySummary DatabaseCommit(bool postgres) => postgres && PostgresCommit is { } pg ? pg : Commit;

    /// <summary>Raise → AssignmentDispatched: HTTP + Api commit + broker (WhistleRaised) + dispatcher commit + broker (WhistleEventRecorded) + push.</summary>
    public double DispatchPath(Func<LatencySummary, double> at, bool postgres = false) => at(HttpPost) + (2 * at(DatabaseCommit(postgres))) + (2 * at(BrokerHop)) + at(Push);

    /// <summary>Raise → AssignmentDispatched in the embedded way: HTTP + commit + commit + push (the in-memory bus has no hop to measure).</summary>
    public double EmbeddedDispatchPath(Func<LatencySummary, double> at) => at(HttpPost) + (2 * at(Commit)) + at(Push);

    /// <summary>Report → AssignmentReported: HTTP + Api commit + broker (WhistleEventRecorded) + push.</summary>
    public double ReportPath(Func<LatencySummary, double> at, bool postgres = false) => at(HttpPost) + at(DatabaseCommit(postgres)) + at(BrokerHop) + at(Push);
}

/// <summary>A hub with nothing on it: the floor of a server → client push.</summary>
public sealed class FloorHub : Hub
{
    public override async Task OnConnectedAsync()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, "floor");
        await base.OnConnectedAsync();
    }
}

public static class Floors
{
    // A body the size of a whistleEvent push or a WhistleEventRecorded message (about 1 KB of JSON).
    private static readonly object Payload = new
    {
        sequence = 1L,
        type = "AssignmentDispatched",
        whistleId = Guid.NewGuid().ToString(),
        assignmentId = Guid.NewGuid().ToString(),
        occurredAt = DateTimeOffset.UtcNow,
        actor = new { userName = "system", displayName = "青山县 调度", orgId = "qingshan" },
        whistle = new { id = Guid.NewGuid().ToString(), title = "占道经营 bench", status = "dispatched", townshipId = "chengguan", matterCode = "street-vending", urgency = "routine" },
        assignment = new
        {
            id = Guid.NewGuid().ToString(),
            agencyCode = "urban-management",
            branchId = "urban-management.chengguan",
            role = "lead",
            status = "dispatched",
            dispatchedAt = DateTimeOffset.UtcNow,
            reportBy = DateTimeOffset.UtcNow.AddMinutes(30),
            resolveBy = DateTimeOffset.UtcNow.AddHours(4),
        },
        note = "城关街道城管执法中队",
    };

    /// <summary>The floors, one sample after another; with <paramref name="pace"/>, a pause of that long before each sample.</summary>
    public static async Task<FloorResults> MeasureAsync(string rabbitHost, int rabbitPort, string virtualHost, int samples, BenchPostgres? postgres, CancellationToken ct, TimeSpan pace = default)
    {
        var (hop, confirm) = await BrokerAsync(rabbitHost, rabbitPort, virtualHost, samples, ct, pace);
        var (push, post) = await KestrelAsync(samples, ct, pace);
        var commit = await CommitAsync(samples, ct, pace);
        if (postgres is null) return new FloorResults(hop, confirm, push, post, commit);
        var (pgCommit, schema) = await PostgresCommitAsync(postgres, samples, ct, pace);
        return new FloorResults(hop, confirm, push, post, commit, pgCommit, schema);
    }

    /// <summary>Before a paced sample: the pause (none for floors measured back to back).</summary>
    private static Task PauseAsync(TimeSpan pace, CancellationToken ct) => pace > TimeSpan.Zero ? Task.Delay(pace, ct) : Task.CompletedTask;

    /// <summary>Raw RabbitMQ.Client: persistent message, publisher confirms, durable queue; publish → consume, one at a time.</summary>
    public static async Task<(LatencySummary Hop, LatencySummary Confirm)> BrokerAsync(string host, int port, string virtualHost, int samples, CancellationToken ct, TimeSpan pace = default)
    {
        var factory = new ConnectionFactory { HostName = host, Port = port, VirtualHost = virtualHost, UserName = "guest", Password = "guest" };
        await using var publisher = await factory.CreateConnectionAsync(ct);
        await using var consumerConnection = await factory.CreateConnectionAsync(ct);
        await using var channel = await publisher.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        await using var consumeChannel = await consumerConnection.CreateChannelAsync(cancellationToken: ct);
        const string queue = "bench-floor";
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
        await consumeChannel.BasicQosAsync(0, 16, false, ct);
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Payload));
        TaskCompletionSource<long>? waiting = null;
        var consumer = new AsyncEventingBasicConsumer(consumeChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var at = Clock.Now;
            await consumeChannel.BasicAckAsync(delivery.DeliveryTag, false);
            waiting?.TrySetResult(at);
        };
        await consumeChannel.BasicConsumeAsync(queue, autoAck: false, consumer, ct);
        var hop = new Recorder();
        var confirm = new Recorder();
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json" };
        var warmup = samples / 10;
        var started = Clock.Now;
        for (var i = 0; i < samples + warmup; i++)
        {
            waiting = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            await PauseAsync(pace, ct);
            var start = Clock.Now;
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, body, ct);
            var confirmed = Clock.Now;
            var received = await waiting.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            if (i < warmup)
            {
                started = Clock.Now;
                continue;
            }

            hop.Add(Clock.Ms(start, received));
            confirm.Add(Clock.Ms(start, confirmed));
        }

        var seconds = Clock.SinceMs(started) / 1000;
        await channel.QueueDeleteAsync(queue, cancellationToken: ct);
        return (hop.Summarize(seconds), confirm.Summarize(seconds));
    }

    /// <summary>A tiny Kestrel + SignalR host in this process: a push on an idle hub, and an empty POST over loopback.</summary>
    private static async Task<(LatencySummary Push, LatencySummary Post)> KestrelAsync(int samples, CancellationToken ct, TimeSpan pace)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSignalR();
        await using var app = builder.Build();
        app.MapHub<FloorHub>("/floor");
        app.MapPost("/empty", () => Results.NoContent());
        await app.StartAsync(ct);
        var url = app.Urls.First();

        await using var connection = new HubConnectionBuilder()
            .WithUrl(url + "/floor", o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
            })
            .Build();
        TaskCompletionSource<long>? waiting = null;
        connection.On<JsonElement>("e", _ => waiting?.TrySetResult(Clock.Now));
        await connection.StartAsync(ct);
        var hub = app.Services.GetRequiredService<IHubContext<FloorHub>>();
        await Task.Delay(200, ct);
        var push = new Recorder();
        var warmup = samples / 10;
        var started = Clock.Now;
        for (var i = 0; i < samples + warmup; i++)
        {
            waiting = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            await PauseAsync(pace, ct);
            var start = Clock.Now;
            await hub.Clients.Group("floor").SendAsync("e", Payload, ct);
            var received = await waiting.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            if (i < warmup)
            {
                started = Clock.Now;
                continue;
            }

            push.Add(Clock.Ms(start, received));
        }

        var pushSeconds = Clock.SinceMs(started) / 1000;

        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var post = new Recorder();
        started = Clock.Now;
        for (var i = 0; i < samples + warmup; i++)
        {
            await PauseAsync(pace, ct);
            var start = Clock.Now;
            using var response = await http.PostAsync(new Uri("/empty", UriKind.Relative), new ByteArrayContent([]), ct);
            var done = Clock.Now;
            if (i < warmup)
            {
                started = Clock.Now;
                continue;
            }

            post.Add(Clock.Ms(start, done));
        }

        var postSeconds = Clock.SinceMs(started) / 1000;
        await connection.StopAsync(ct);
        await app.StopAsync(ct);
        return (push.Summarize(pushSeconds), post.Summarize(postSeconds));
    }

    /// <summary>One commit of a whistle row plus its outbox row: Dapper on a SQLite file in WAL mode, Whistle's own schema.</summary>
    private static async Task<LatencySummary> CommitAsync(int samples, CancellationToken ct, TimeSpan pace)
    {
        var folder = Path.Combine(Path.GetTempPath(), "whistle-bench-floor-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "floor.db"), Pooling = true, DefaultTimeout = 30 }.ToString();
            DatabaseMigrator.Migrate(DatabaseProvider.Sqlite, connectionString);
            var body = JsonSerializer.Serialize(Payload);
            var commit = new Recorder();
            var warmup = samples / 10;
            var started = Clock.Now;
            for (var i = 0; i < samples + warmup; i++)
            {
                await PauseAsync(pace, ct);
                var start = Clock.Now;
                await using (var connection = new SqliteConnection(connectionString))
                {
                    await connection.OpenAsync(ct);
                    await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.Serializable, ct);
                    var now = DateTimeOffset.UtcNow;
                    var id = Guid.CreateVersion7(now).ToString();
                    await connection.ExecuteAsync(
                        """
                        INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, status, raised_by_user, raised_by_name, raised_at, updated_at, version)
                        VALUES (@Id, 'chengguan', 'street-vending', 'routine', 'bench', '', 'bench', 'raised', 'township.chengguan', 'bench', @Now, @Now, 0);
                        """,
                        new { Id = id, Now = now.ToString("O") },
                        transaction);
                    await connection.ExecuteAsync(
                        "INSERT INTO outbox (message_id, message_type, body, created_at, attempts) VALUES (@MessageId, 'WhistleRaised', @Body, @Now, 0);",
                        new { MessageId = Guid.NewGuid().ToString(), Body = body, Now = now.ToString("O") },
                        transaction);
                    await transaction.CommitAsync(ct);
                }

                var done = Clock.Now;
                if (i < warmup)
                {
                    started = Clock.Now;
                    continue;
                }

                commit.Add(Clock.Ms(start, done));
            }

            return commit.Summarize(Clock.SinceMs(started) / 1000);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private const string InsertWhistleSql = """
        INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, status, raised_by_user, raised_by_name, raised_at, updated_at, version)
        VALUES (@Id, 'chengguan', 'street-vending', 'routine', 'bench', '', 'bench', 'raised', 'township.chengguan', 'bench', @Now, @Now, 0);
        """;

    private const string InsertOutboxSql = "INSERT INTO outbox (message_id, message_type, body, created_at, attempts) VALUES (@MessageId, 'WhistleRaised', @Body, @Now, 0);";

    // Until Whistle.Core has a PostgreSQL provider (and so migrations of its own), the floor runs on these two tables:
    // the columns the floor writes, with the types a PostgreSQL schema would give them.
    private const string StandInSchemaSql = """
        CREATE TABLE whistles (
            id text PRIMARY KEY, township_id text NOT NULL, matter_code text NOT NULL, urgency text NOT NULL, title text NOT NULL,
            description text NOT NULL, address text NOT NULL, status text NOT NULL, raised_by_user text NOT NULL, raised_by_name text NOT NULL,
            raised_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, version integer NOT NULL);
        CREATE TABLE outbox (
            id bigserial PRIMARY KEY, message_id text NOT NULL UNIQUE, message_type text NOT NULL, body text NOT NULL,
            created_at timestamptz NOT NULL, sent_at timestamptz NULL, attempts integer NOT NULL, locked_by text NULL, locked_until timestamptz NULL);
        CREATE INDEX ix_outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
        """;

    /// <summary>
    /// One commit of a whistle row plus its outbox row on the bench's PostgreSQL (Npgsql + Dapper, fsync and
    /// synchronous_commit on, loopback TCP): Whistle's own schema from <c>DatabaseMigrator</c> once Whistle.Core has a
    /// PostgreSQL provider, the stand-in schema above until then.
    /// </summary>
    private static async Task<(LatencySummary, string)> PostgresCommitAsync(BenchPostgres postgres, int samples, CancellationToken ct, TimeSpan pace)
    {
        var name = "whistle_bench_floor_" + Guid.NewGuid().ToString("N")[..8];
        var connectionString = await postgres.CreateDatabaseAsync(name, ct);
        try
        {
            string schema;
            if (Enum.TryParse<DatabaseProvider>("PostgreSql", ignoreCase: true, out var provider))
            {
                DatabaseMigrator.Migrate(provider, connectionString);
                schema = "Whistle's migrations (DatabaseMigrator)";
            }
            else
            {
                await using var setup = new Npgsql.NpgsqlConnection(connectionString);
                await setup.OpenAsync(ct);
                await setup.ExecuteAsync(StandInSchemaSql);
                schema = "the bench's stand-in tables (Whistle.Core has no PostgreSQL provider yet)";
            }

            var body = JsonSerializer.Serialize(Payload);
            var commit = new Recorder();
            var warmup = samples / 10;
            var started = Clock.Now;
            for (var i = 0; i < samples + warmup; i++)
            {
                await PauseAsync(pace, ct);
                var start = Clock.Now;
                await using (var connection = new Npgsql.NpgsqlConnection(connectionString))
                {
                    await connection.OpenAsync(ct);
                    await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                    var now = DateTimeOffset.UtcNow;
                    await connection.ExecuteAsync(InsertWhistleSql, new { Id = Guid.CreateVersion7(now).ToString(), Now = now }, transaction);
                    await connection.ExecuteAsync(InsertOutboxSql, new { MessageId = Guid.NewGuid().ToString(), Body = body, Now = now }, transaction);
                    await transaction.CommitAsync(ct);
                }

                var done = Clock.Now;
                if (i < warmup)
                {
                    started = Clock.Now;
                    continue;
                }

                commit.Add(Clock.Ms(start, done));
            }

            return (commit.Summarize(Clock.SinceMs(started) / 1000), schema);
        }
        finally
        {
            await postgres.DropDatabaseAsync(name);
        }
    }
}
