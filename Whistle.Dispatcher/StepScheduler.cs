using Microsoft.Extensions.Options;

namespace Whistle.Dispatcher;

/// <summary>
/// The one scheduling loop of the chains' clocks (<see cref="DeadlineScheduler"/>, <see cref="HeadsScheduler"/>, <see cref="FollowUpScheduler"/>): run
/// what is due, then sleep until the earliest step due — at most <c>Whistle:Deadlines:PollInterval</c>, on the injected
/// <see cref="TimeProvider"/> — and again; a failed round is logged and tried again after the sleep. Each fires its due
/// steps in batches of <c>Whistle:Deadlines:BatchSize</c> (<see cref="FireInBatchesAsync{T}"/>) until a batch comes back short.
/// </summary>
public abstract partial class StepScheduler(TimeProvider time, IOptions<DeadlineOptions> options, ILogger logger) : BackgroundService
{
    protected TimeProvider Time => time;

    protected DeadlineOptions Options => options.Value;

    /// <summary>The scheduler's name in its log lines.</summary>
    protected abstract string Name { get; }

    /// <summary>One round: everything due now.</summary>
    protected abstract Task RunRoundAsync(CancellationToken cancellationToken);

    /// <summary>The earliest moments something falls due next (none: sleep the poll interval).</summary>
    protected abstract Task<IReadOnlyList<DateTimeOffset?>> NextDueAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = options.Value.PollInterval;
            try
            {
                await RunRoundAsync(stoppingToken);
                foreach (var next in await NextDueAsync(stoppingToken))
                {
                    if (next is not { } at) continue;
                    var until = at - time.GetUtcNow();
                    delay = until < TimeSpan.Zero ? TimeSpan.Zero : until < delay ? until : delay;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex, Name);
            }

            try
            {
                await Task.Delay(delay + TimeSpan.FromMilliseconds(10), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Fires the steps due now, a batch at a time (<paramref name="due"/>: now, the batch size), until a batch is short; answers how many fired.</summary>
    protected async Task<int> FireInBatchesAsync<T>(Func<DateTimeOffset, int, Task<IReadOnlyList<T>>> due, Func<T, Task<bool>> fire)
    {
        var fired = 0;
        while (true)
        {
            var take = options.Value.BatchSize;
            var batch = await due(time.GetUtcNow(), take);
            foreach (var step in batch)
            {
                if (await fire(step)) fired++;
            }

            if (batch.Count < take) return fired;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Scheduler} scheduler failed; it tries again shortly.")]
    private static partial void LogFailed(ILogger logger, Exception exception, string scheduler);
}
