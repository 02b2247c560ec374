using System.ComponentModel.DataAnnotations;
using Whistle.Core.Messaging;

namespace Whistle.Core.Options;

/// <summary><c>Whistle</c>: where this process keeps its files, and whether the demo county's accounts exist.</summary>
public sealed class WhistleOptions
{
    public const string Section = "Whistle";

    /// <summary>Folder for the SQLite file and the generated signing key; relative to the content root.</summary>
    [Required]
    public string DataFolder { get; set; } = "data";

    public DemoOptions Demo { get; set; } = new();

    /// <summary>A production deployment: demo mode is refused.</summary>
    public bool Production { get; set; }

    public CountyOptions County { get; set; } = new();

    /// <summary>
    /// The address people open Whistle at (e.g. <c>https://whistle.example.gov.cn</c>): chat-group notices link to the
    /// whistle's page under it, Open311 answers give <c>media_url</c> under it. Unset: notices carry no link, and
    /// <c>media_url</c> is built from the request's own address.
    /// </summary>
    public string? PublicBaseUrl { get; set; }
}

public sealed class DemoOptions
{
    /// <summary>
    /// Seeds one account per organisation (password <c>demo</c>) and serves <c>GET /api/demo/users</c>.
    /// Unset means: on in the embedded way (an embedded database, SQLite, and the in-memory bus), off otherwise.
    /// Turning it off deletes the demo accounts.
    /// </summary>
    public bool? Enabled { get; set; }

    public bool IsEnabled(DatabaseOptions database, BusOptions bus, bool production = false) =>
        Enabled ?? (!production && Storage.SqlDialect.For(database.Provider).IsEmbedded && bus.Transport == BusTransport.InMemory);
}

public sealed class CountyOptions
{
    /// <summary>The county file: organisation and whistle list. Relative paths resolve from the app's folder.</summary>
    [Required]
    public string File { get; set; } = Path.Combine("county", "demo-county.json");
}

public enum DatabaseProvider
{
    Sqlite,
    SqlServer,
    PostgreSql,
}

/// <summary><c>Whistle:Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Whistle:Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Required for SQL Server and PostgreSQL. For SQLite, defaults to <c>whistle.db</c> in the data folder.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Run the DbUp migrations and the county import at start-up.</summary>
    public bool Migrate { get; set; } = true;
}

public enum BusTransport
{
    InMemory,
    RabbitMq,
}

/// <summary><c>Whistle:Bus</c>.</summary>
public sealed class BusOptions
{
    public const string Section = "Whistle:Bus";

    public BusTransport Transport { get; set; } = BusTransport.InMemory;

    public RabbitMqOptions RabbitMq { get; set; } = new();
}

public sealed class RabbitMqOptions
{
    [Required]
    public string Host { get; set; } = "localhost";

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    [Required]
    public string VirtualHost { get; set; } = "/";

    [Required]
    public string UserName { get; set; } = "guest";

    [Required]
    public string Password { get; set; } = "guest";

    /// <summary>
    /// Declare the dispatcher's durable queue (<c>whistle-raised</c>) as a quorum queue, replicated across a
    /// RabbitMQ cluster. Decide before the queue first exists: RabbitMQ does not change a queue's type.
    /// (Each Api instance's push queue is temporary and stays a classic queue.)
    /// </summary>
    public bool QuorumQueues { get; set; }

    /// <summary>
    /// A RabbitMQ.Client connection to this broker, for what the bus does not do itself (the start-up check, the
    /// notice queue's clean-up, the operators' tools), named <paramref name="clientName"/> in the broker's list.
    /// </summary>
    public RabbitMQ.Client.ConnectionFactory ConnectionFactory(string clientName, TimeSpan? connectTimeout = null)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory
        {
            HostName = Host,
            Port = Port,
            VirtualHost = VirtualHost,
            UserName = UserName,
            Password = Password,
            ClientProvidedName = clientName,
        };
        if (connectTimeout is { } timeout)
        {
            factory.RequestedConnectionTimeout = timeout;
        }

        return factory;
    }
}

/// <summary><c>Whistle:Outbox</c>.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Whistle:Outbox";

    /// <summary>Fallback poll when no in-process wake-up arrives (another instance wrote the row, or a publish failed).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// How many relays this process runs, each claiming and publishing its own batches of other streams (null: 2 on
    /// SQLite, where a relay mostly waits for the one writer and the log's flush, so that one's wait overlaps the
    /// other's work; 1 on a server database, where every instance runs one).
    /// </summary>
    [Range(1, OutboxSignal.MaxLanes)]
    public int? Relays { get; set; }

    /// <summary>
    /// How many streams the outbox is partitioned into (by a hash of the whistle's id): relays claim streams
    /// independently and keep order within a stream, so per whistle. 1 is the old single ordered stream.
    /// </summary>
    [Range(1, 65536)]
    public int Streams { get; set; } = 64;

    /// <summary>How long a relay owns the rows it claimed before another instance may take them over.</summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long one publish may wait for the broker before the relay lets go of its claim, backs off and retries.
    /// Shorter than <see cref="ClaimTimeout"/>: a relay renews its claim before a publish could outlive it.
    /// </summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many times a row that cannot be read (an unknown message type, say, written by a newer version during a
    /// rolling upgrade) is claimed before it is set aside, so that the rest of the stream goes on.
    /// </summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Sent rows are deleted after this long.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Publish rows in MassTransit's envelope instead of as their stored JSON (<see cref="Messaging.OutboxWire"/>): only
    /// while instances of a release before 2026-12-03 (which read envelopes only) still run beside this one — a rolling
    /// upgrade, or before rolling back to such a release (deploy/README.md, "Upgrades").
    /// </summary>
    public bool PublishEnvelope { get; set; }
}

/// <summary><c>Whistle:Audit</c>: the audit trail's chain and how long it is kept.</summary>
public sealed class AuditOptions
{
    public const string Section = "Whistle:Audit";

    /// <summary>The least retention 等保 2.0 (GB/T 22239-2019, 8.1.4.3 and the Cybersecurity Law art. 21) allows: six months.</summary>
    public static readonly TimeSpan MinimumRetention = TimeSpan.FromDays(180);

    /// <summary>How long audit rows are kept; older rows are pruned, the chain keeps a checkpoint. At least 180 days.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>How often the sealer chains the rows committed since it last looked.</summary>
    public TimeSpan SealInterval { get; set; } = TimeSpan.FromSeconds(5);
}
