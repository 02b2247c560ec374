using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Contracts;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Core.Telemetry;

namespace Whistle.Core.Messaging;

/// <summary>
/// Publishes committed outbox rows to the bus, oldest first within each stream, with the row's message id (consumers
/// de-duplicate on it). Woken in-process after each commit; polls as a fallback. Several instances share the table as
/// <c>Whistle:Outbox:Streams</c> ordered streams (by a hash of the whistle's id): a relay claims the oldest rows of the
/// streams no other relay holds for a while (renewing the claim while it publishes), so a row is published by one relay
/// at a time and a whistle's rows in order; a relay that cannot publish lets go at once.
/// </summary>
public sealed partial class OutboxRelay(
    WhistleDatabase database,
    OutboxSignal signal,
    IBus bus,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    WhistleMetrics metrics,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    // One id per relay this process runs (Whistle:Outbox:Relays); the first is the relay's own name.
    private readonly string[] _relayIds = [.. Enumerable.Range(0, OutboxSignal.MaxLanes).Select(_ => NewRelayId(Environment.MachineName, Environment.ProcessId))];

    /// <summary>
    /// <c>host:pid:guid</c>, the host's name cut to 20 characters so that the id fits <c>outbox.locked_by</c> (64) on any
    /// host (Linux allows 64; a Kubernetes pod's name is up to 63): a longer id would fail every claim on a server database.
    /// </summary>
    public static string NewRelayId(string hostName, int processId) =>
        $"{(hostName.Length > 20 ? hostName[..20] : hostName)}:{processId}:{Guid.NewGuid():N}";

    /// <summary>Why a row was set aside, cut to what <c>outbox.last_error</c> holds (2000).</summary>
    public static string SetAsideReason(string reason) => reason.Length > 2000 ? reason[..2000] : reason;
    private readonly Lock _stateLock = new();
    private OutboxRelayState _state = new(null, null, null);
    private DateTimeOffset _lastCleanup = DateTimeOffset.MinValue;

    /// <summary>Names this relay in claims (<c>outbox.locked_by</c>) and logs.</summary>
    public string RelayId => _relayIds[0];

    /// <summary>When a publish last succeeded and failed (for the readiness check).</summary>
    public OutboxRelayState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>How many relays this process runs: <see cref="OutboxOptions.Relays"/>, by default 2 on SQLite and 1 elsewhere.</summary>
    public int Relays => options.Value.Relays ?? (database.Dialect.IsEmbedded ? 2 : 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // While this relay can publish, commits here wake no other process's relay (WhistleDatabase.WakeOtherProcesses).
        if (Relays > 0)
        {
            database.RelayHere(() => State.CanPublish);
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, Relays).Select(lane => RunAsync(lane, stoppingToken)));
        }
        finally
        {
            database.RelayHere(null);
        }
    }

    /// <summary>
    /// One relay's loop: claim and publish batches while there are rows, then wait for a wake-up. Each relay has an id
    /// of its own, so two of one process claim different streams as the relays of two processes do.
    /// </summary>
    private async Task RunAsync(int lane, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var failures = 0;
        var claimable = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                (var handled, claimable) = await RelayBatchAsync(lane, settings, claimable, stoppingToken);
                failures = 0;
                if (handled > 0 && claimable)
                {
                    // Drain: rows committed meanwhile, here or in another process whose relay found this relay's claim
                    // live and went back to waiting, are claimed at once rather than left to the next commit or the
                    // poll interval (the batch's finish read whether any is left).
                    continue;
                }

                if (lane == 0)
                {
                    await CleanupAsync(settings, stoppingToken);
                }

                await signal.WaitAsync(lane, settings.PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The claim is already released (RelayBatchAsync): other relays go on while this one waits.
                claimable = false;
                failures++;
                if (ex is not OutboxRowUnreadableException)
                {
                    LogRelayFailed(logger, ex, failures); // an unreadable row was logged where it was met
                }

                var backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, 200 * Math.Pow(2, Math.Min(failures, 8))));
                await Task.Delay(backoff, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// Claims and publishes one batch; returns how many rows it published or set aside. A relay whose last
    /// publish failed first proves that it can publish again (a probe message), so that it never takes the
    /// stream from the relays that can.
    /// </summary>
    /// <remarks>
    /// The batch is published as one chain per whistle, the chains concurrently: within a chain each publish waits
    /// for the broker's confirm of the one before it (so a whistle's messages reach every queue in order, whatever
    /// order the bus puts concurrent publishes on the channel), while the confirms of different whistles are awaited
    /// together instead of one after another. Then what was confirmed is marked sent in one statement.
    /// </remarks>
    public async Task<int> RelayBatchAsync(OutboxOptions settings, CancellationToken cancellationToken) =>
        (await RelayBatchAsync(0, settings, knownClaimable: false, cancellationToken)).Handled;

    /// <returns>How many rows it published or set aside, and whether its finish found rows left to claim.</returns>
    private async Task<(int Handled, bool Claimable)> RelayBatchAsync(int lane, OutboxOptions settings, bool knownClaimable, CancellationToken cancellationToken)
    {
        var relayId = _relayIds[lane];
        if (!State.CanPublish)
        {
            await ProbeAsync(relayId, settings, cancellationToken);
        }

        var claimedAt = time.GetUtcNow();
        var rows = await Outbox.ClaimAsync(database, relayId, claimedAt, claimedAt + settings.ClaimTimeout, settings.BatchSize, settings.Streams, knownClaimable, cancellationToken);
        if (rows.Count == 0)
        {
            return (0, false);
        }

        // What was claimed is published only once on disk: SQLite's writers commit before their group's flush.
        await database.DurableAsync();

        // Publish still comes before mark-sent; a crash in between publishes the unmarked rows again
        // (at-least-once, and every consumer is idempotent).
        var batch = new Batch(relayId, claimedAt, rows.Count);
        var setAside = 0;
        OutboxRowUnreadableException? unreadable = null;
        var stopped = new HashSet<long>();
        var chains = new Dictionary<string, List<Item>>(StringComparer.Ordinal);
        var claimable = false;
        try
        {
            foreach (var row in rows)
            {
                // A row no relay can read stops its stream (the rows after it wait for it, in order), not the others.
                var stream = row.StreamKey % settings.Streams;
                if (stopped.Contains(stream))
                {
                    continue;
                }

                if (!TryRead(row, out var message, out var type, out var messageId, out var error))
                {
                    if (row.Attempts < settings.MaxAttempts)
                    {
                        LogRowUnreadable(logger, error, row.Id, row.MessageType, row.Attempts, settings.MaxAttempts);
                        unreadable ??= new OutboxRowUnreadableException(row.Id, row.MessageType, error);
                        stopped.Add(stream);
                        continue;
                    }

                    await SetAsideAsync(relayId, row, error);
                    batch.Held--;
                    setAside++;
                    continue;
                }

                var whistleId = Outbox.WhistleIdOf(message);
                var key = whistleId ?? string.Empty;
                if (!chains.TryGetValue(key, out var chain))
                {
                    chains[key] = chain = [];
                }

                chain.Add(new Item(row, message, type, messageId, whistleId));
            }

            await Task.WhenAll(chains.Values.Select(chain => PublishChainAsync(chain, batch, settings, cancellationToken)));
        }
        finally
        {
            // Also after a failed publish: what the broker confirmed is not published twice for want of a mark, and
            // what this relay still holds goes back to the stream at once rather than when its claim expires.
            claimable = await Outbox.FinishAsync(database, relayId, batch.PublishedIds(), time.GetUtcNow());
        }

        if (unreadable is not null)
        {
            throw unreadable;
        }

        return (batch.PublishedIds().Count + setAside, claimable);
    }

    private sealed record Item(Outbox.OutboxRow Row, object Message, Type Type, Guid MessageId, string? WhistleId);

    /// <summary>One claimed batch: its claim's renewals, the rows confirmed, and whether it was stopped.</summary>
    private sealed class Batch(string relayId, DateTimeOffset claimedAt, int held)
    {
        public string RelayId => relayId;

        private readonly List<long> _published = [];

        public SemaphoreSlim Renewal { get; } = new(1, 1);

        public DateTimeOffset RenewedAt { get; set; } = claimedAt;

        public int Held { get; set; } = held;

        /// <summary>A publish failed or the claim was lost: no chain starts another publish.</summary>
        public volatile bool Stopped;

        public void Published(long id)
        {
            lock (_published)
            {
                _published.Add(id);
            }
        }

        public List<long> PublishedIds()
        {
            lock (_published)
            {
                return [.. _published];
            }
        }
    }

    private async Task PublishChainAsync(List<Item> chain, Batch batch, OutboxOptions settings, CancellationToken cancellationToken)
    {
        foreach (var item in chain)
        {
            if (batch.Stopped || !await RenewIfDueAsync(batch, settings, cancellationToken))
            {
                return;
            }

            var row = item.Row;
            using var scope = string.IsNullOrEmpty(item.WhistleId) ? null : logger.BeginScope(WhistleTelemetry.Scope(item.WhistleId));
            // The publish continues the trace of whatever wrote the row (a request, a consumer), not the relay's loop.
            ActivityContext.TryParse(row.TraceParent, null, isRemote: true, out var parent);
            using var activity = WhistleTelemetry.Source.StartActivity($"outbox relay {row.MessageType}", ActivityKind.Producer, parent);
            activity?.SetTag("messaging.message.id", row.MessageId);
            activity?.SetTag(WhistleTelemetry.WhistleIdTag, item.WhistleId);
            try
            {
                // A broker that is down or hangs must not hold the relay (and the stream) forever: give up, let go, back off.
                await PublishAsync(item.Message, item.Type, item.MessageId, settings.PublishEnvelope ? null : row.Body, settings, cancellationToken);
            }
            catch
            {
                batch.Stopped = true;
                throw;
            }

            batch.Published(row.Id);
        }
    }

    /// <summary>
    /// The claim must outlive every publish: renew it once half of it has passed, or when what is left of it is no
    /// longer than one publish may take. A renewal that finds rows gone means the claim had expired and another relay
    /// took them: the batch stops there, that relay carries those streams now.
    /// </summary>
    private async Task<bool> RenewIfDueAsync(Batch batch, OutboxOptions settings, CancellationToken cancellationToken)
    {
        await batch.Renewal.WaitAsync(cancellationToken);
        try
        {
            if (batch.Stopped)
            {
                return false;
            }

            var now = time.GetUtcNow();
            if (now - batch.RenewedAt >= settings.ClaimTimeout / 2 || batch.RenewedAt + settings.ClaimTimeout - now <= settings.PublishTimeout)
            {
                var renewed = await Outbox.RenewAsync(database, batch.RelayId, now + settings.ClaimTimeout, cancellationToken);
                if (renewed < batch.Held)
                {
                    LogClaimLost(logger, batch.RelayId, batch.Held - (int)renewed, batch.Held);
                    batch.Stopped = true;
                    return false;
                }

                batch.RenewedAt = now;
            }

            return true;
        }
        finally
        {
            batch.Renewal.Release();
        }
    }

    /// <summary>
    /// Publishes <paramref name="message"/> under its type; with <paramref name="body"/> (the row's stored JSON) that body is
    /// the message on the wire (<see cref="OutboxWire"/>), else MassTransit's envelope.
    /// </summary>
    private async Task PublishAsync(object message, Type type, Guid messageId, string? body, OutboxOptions settings, CancellationToken cancellationToken)
    {
        using var publishTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        publishTimeout.CancelAfter(settings.PublishTimeout);
        try
        {
            // The token is not enough: over a link that hangs (no reset, no error) MassTransit's publish waits for
            // the broker's confirm without heeding it. Stop waiting after the timeout whatever the publish does; if
            // it completes later, the row is published again by whoever claims it next (consumers de-duplicate).
            var publish = bus.Publish(message, type, context =>
            {
                context.MessageId = messageId;
                if (body is not null)
                {
                    context.Serializer = OutboxWire.Body(body, time.GetUtcNow());
                }
            }, publishTimeout.Token);
            _ = publish.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await publish.WaitAsync(settings.PublishTimeout, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            RecordFailure(ex);
            throw;
        }

        RecordSuccess();
    }

    /// <summary>A message nobody consumes, published with confirms: the broker link works again.</summary>
    private async Task ProbeAsync(string relayId, OutboxOptions settings, CancellationToken cancellationToken)
    {
        await PublishAsync(new OutboxRelayProbe(relayId, time.GetUtcNow()), typeof(OutboxRelayProbe), NewId.NextGuid(), null, settings, cancellationToken);
        LogRecovered(logger, relayId);
    }

    private void RecordFailure(Exception exception)
    {
        lock (_stateLock)
        {
            _state = _state with { LastFailure = time.GetUtcNow(), LastError = exception };
        }
    }

    private void RecordSuccess()
    {
        lock (_stateLock)
        {
            _state = _state with { LastSuccess = time.GetUtcNow() };
        }
    }

    private static bool TryRead(Outbox.OutboxRow row, [NotNullWhen(true)] out object? message, [NotNullWhen(true)] out Type? type, out Guid messageId, [NotNullWhen(false)] out Exception? error)
    {
        message = null;
        type = null;
        messageId = Guid.Empty;
        error = null;
        try
        {
            type = MessageTypes.Resolve(row.MessageType);
            message = JsonSerializer.Deserialize(row.Body, type, MessageTypes.Json)
                ?? throw new InvalidOperationException($"Outbox row {row.Id} has an empty body.");
            messageId = Guid.Parse(row.MessageId);
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or NotSupportedException or FormatException or ArgumentException)
        {
            error = ex;
            return false;
        }
    }

    /// <summary>Takes a row this relay cannot read out of the stream, so that the rows after it go on.</summary>
    private async Task SetAsideAsync(string relayId, Outbox.OutboxRow row, Exception error)
    {
        var reason = $"{error.GetType().Name}: {error.Message}";
        await Outbox.SetAsideAsync(database, relayId, row.Id, time.GetUtcNow(), SetAsideReason(reason));
        metrics.OutboxSetAside(row.MessageType);
        LogSetAside(logger, error, row.Id, row.MessageType, row.MessageId, row.Attempts);
    }

    private async Task CleanupAsync(OutboxOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now - _lastCleanup < TimeSpan.FromMinutes(5))
        {
            return;
        }

        _lastCleanup = now;
        await Outbox.CleanupAsync(database, now - settings.Retention, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay failed ({Failures} in a row); its claim is released, retrying with back-off.")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay {RelayId} lost its claim on {Lost} of {Held} rows (it had expired and another relay took them); it stops this batch.")]
    private static partial void LogClaimLost(ILogger logger, string relayId, int lost, int held);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox row {RowId} ({MessageType}) cannot be read (attempt {Attempts} of {MaxAttempts}); the stream waits for it, then sets it aside.")]
    private static partial void LogRowUnreadable(ILogger logger, Exception exception, long rowId, string messageType, long attempts, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox row {RowId} ({MessageType}, message {MessageId}) could not be read after {Attempts} attempts and is set aside: it will not be published until an operator acts (docs/RELIABILITY.md); the rest of the stream goes on.")]
    private static partial void LogSetAside(ILogger logger, Exception exception, long rowId, string messageType, string messageId, long attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox relay {RelayId} can publish again.")]
    private static partial void LogRecovered(ILogger logger, string relayId);
}

/// <summary>What a relay last knew of its broker link.</summary>
public sealed record OutboxRelayState(DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure, Exception? LastError)
{
    /// <summary>No publish failed, or one succeeded since the last failure.</summary>
    public bool CanPublish => LastFailure is not { } failed || (LastSuccess is { } succeeded && succeeded >= failed);
}

/// <summary>Published by a relay whose last publish failed, before it claims again; no one consumes it.</summary>
public sealed record OutboxRelayProbe(string RelayId, DateTimeOffset At);

/// <summary>A claimed row could not be read; the relay released its claim and backs off before the next attempt.</summary>
public sealed class OutboxRowUnreadableException(long rowId, string messageType, Exception inner)
    : Exception($"Outbox row {rowId} ({messageType}) cannot be read: {inner.Message}", inner);
