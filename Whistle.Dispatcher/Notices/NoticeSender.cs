using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using Whistle.Contracts;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Notices;
using Whistle.Core.Storage;

namespace Whistle.Dispatcher.Notices;

/// <summary><c>Whistle:Notices</c>.</summary>
public sealed class NoticeOptions
{
    public const string Section = "Whistle:Notices";

    /// <summary>
    /// The longest the sender sleeps between looks for due deliveries (it is also woken when a transaction of this
    /// process queues one, and on PostgreSQL when another process's does).
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// During a rolling upgrade from a release whose writers left a duty's notices to the dispatcher (before the notice change of 2026-12-01:
    /// every push message was delivered to its queue <c>whistle-notices</c> as well): true keeps that queue bound to the
    /// push messages, so a duty an older Api or Dispatcher records still gets its notice. False (the default): the
    /// dispatcher removes those bindings at start — each transaction queues its own notices — and still consumes what the
    /// queue holds. See deploy/README.md, "Upgrades".
    /// </summary>
    public bool ConsumePushMessages { get; set; }

    public int BatchSize { get; set; } = 50;

    /// <summary>The longest one request to a chat platform or webhook may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts before a delivery is given up as <c>failed</c>.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failed attempt; doubled after each further one, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The wait after attempt <paramref name="attempt"/> (1-based) failed.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(RetryBaseDelay.Ticks * factor, RetryMaxDelay.Ticks));
        return delay;
    }
}

/// <summary>
/// Sends due notice deliveries: claims each with a conditional update (of several dispatchers one sends it), posts it
/// with a timeout, logs the attempt, and marks it sent, or schedules the next attempt with exponential back-off, or
/// gives it up as failed after <see cref="NoticeOptions.MaxAttempts"/>. At-least-once: a crash between the request and
/// the update sends again once the claim expires.
/// </summary>
public sealed partial class NoticeSender(
    NoticeStore notices,
    CountyCatalogHolder county,
    IHttpClientFactory clients,
    NoticeSecrets secrets,
    NoticeAddressPolicy policy,
    NoticeSignal signal,
    TimeProvider time,
    IOptions<NoticeOptions> options,
    IOptions<Whistle.Core.Options.WhistleOptions> whistle,
    ILogger<NoticeSender> logger) : BackgroundService
{
    public const string HttpClientName = "whistle-notices";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SendDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex);
            }

            try
            {
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Sends every delivery due now; returns how many were attempted.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var attempted = 0;
        while (true)
        {
            var take = options.Value.BatchSize;
            var due = await notices.DueDeliveriesAsync(time.GetUtcNow(), take, cancellationToken);
            var sent = await Task.WhenAll(due.Select(d => TrySendAsync(d, cancellationToken)));
            attempted += sent.Count(s => s);
            if (due.Count < take || !sent.Any(s => s))
            {
                return attempted;
            }
        }
    }

    private async Task<bool> TrySendAsync(DueDelivery due, CancellationToken cancellationToken)
    {
        var o = options.Value;
        // The claim: while it lasts no other sender picks the delivery; it outlasts the request's timeout.
        if (await notices.ClaimDeliveryAsync(due, time.GetUtcNow() + o.Timeout + TimeSpan.FromSeconds(30), cancellationToken) is not var (delivery, stored))
        {
            return false;
        }

        var attempt = delivery.Attempts + 1;
        var started = Stopwatch.GetTimestamp();
        int? statusCode = null;
        string? error;
        if (stored is null)
        {
            error = "The channel was removed.";
        }
        else
        {
            (statusCode, error) = await SendAsync(stored, delivery, o.Timeout, cancellationToken);
        }

        var now = time.GetUtcNow();
        var ok = error is null;
        // A test notice is tried once: the administrator is waiting for its answer, not for a retry an hour later.
        var giveUp = !ok && (attempt >= o.MaxAttempts || stored is null || delivery.EventType == NoticeVocabulary.TestEvent);
        await notices.RecordAttemptAsync(
            delivery,
            attempt,
            now,
            statusCode,
            error,
            (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            ok ? NoticeVocabulary.Sent : giveUp ? NoticeVocabulary.Failed : NoticeVocabulary.Pending,
            ok || giveUp ? null : now + o.Backoff(attempt));
        if (ok)
        {
            LogSent(logger, delivery.EventType, delivery.Sequence, delivery.ChannelId, attempt);
        }
        else
        {
            LogAttemptFailed(logger, delivery.EventType, delivery.Sequence, delivery.ChannelId, attempt, giveUp, error);
        }

        return true;
    }

    /// <summary>
    /// One request: the channel decrypted, its address checked again (a row may predate the rules), posted without
    /// following redirects, and a few KiB of the answer read. Returns the status code and the error, if any — both
    /// bounded and free of the channel's URL (the delivery log and the logs never hold a credential).
    /// </summary>
    private async Task<(int? StatusCode, string? Error)> SendAsync(NoticeChannelRow stored, NoticeDeliveryRow delivery, TimeSpan timeoutAfter, CancellationToken cancellationToken)
    {
        NoticeChannelRow channel;
        try
        {
            channel = secrets.Reveal(stored);
        }
        catch (CryptographicException)
        {
            return (null, $"The channel's address {NoticeSecrets.Undecryptable}; save the channel again.");
        }

        if (NoticeUrls.Refusal(channel.Kind, channel.Url, policy) is { } refusal)
        {
            return (null, $"Refused: {refusal}");
        }

        try
        {
            var @event = JsonSerializer.Deserialize<WhistleEvent>(delivery.EventJson, MessageTypes.Json)!;
            var request = NoticeFormatter.Build(channel, @event, delivery.EventJson, county.Catalog, time.GetUtcNow(), whistle.Value.PublicBaseUrl);
            using var message = new HttpRequestMessage(HttpMethod.Post, request.Url) { Content = new StringContent(request.Body, Encoding.UTF8, "application/json") };
            foreach (var (name, value) in request.Headers) message.Headers.TryAddWithoutValidation(name, value);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(timeoutAfter);
            // The request's span would carry the URL (a Feishu hook token is in its path): not traced.
            using var untraced = SuppressInstrumentationScope.Begin();
            using var response = await clients.CreateClient(HttpClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                return (status, $"HTTP {status}: a redirect, not followed (give the channel its final address).");
            }

            var answer = await NoticeHttp.ReadAnswerAsync(response.Content, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return (status, $"HTTP {status}: {NoticeHttp.Excerpt(answer)}");
            }

            var platformError = NoticeFormatter.PlatformError(channel.Kind, answer);
            return (status, platformError is null ? null : NoticeHttp.Excerpt(platformError));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"No answer within {timeoutAfter}.");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return (null, NoticeHttp.Excerpt(ex.Message, 300));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent the notice of {Type} (sequence {Sequence}) to channel {ChannelId}, attempt {Attempt}.")]
    private static partial void LogSent(ILogger logger, string type, long sequence, string channelId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The notice of {Type} (sequence {Sequence}) to channel {ChannelId} failed, attempt {Attempt} (given up: {GivenUp}): {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string type, long sequence, string channelId, int attempt, bool givenUp, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The notice sender failed; it tries again shortly.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
