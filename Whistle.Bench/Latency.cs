using System.Diagnostics;

namespace Whistle.Bench;

/// <summary>Monotonic time in one process: every timestamp of a run comes from here.</summary>
public static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    public static double SinceMs(long from) => Ms(from, Now);
}

/// <summary>Samples in milliseconds, safe to add to from any thread.</summary>
public sealed class Recorder
{
    private readonly List<double> _samples = [];
    private readonly Lock _lock = new();

    public void Add(double milliseconds)
    {
        lock (_lock) _samples.Add(milliseconds);
    }

    public int Count
    {
        get
        {
            lock (_lock) return _samples.Count;
        }
    }

    public double[] Snapshot()
    {
        lock (_lock) return [.. _samples];
    }

    public LatencySummary Summarize(double seconds) => LatencySummary.Of(Snapshot(), seconds);
}

/// <summary>p50/p90/p99/max in milliseconds, and the throughput over the measured seconds.</summary>
public sealed record LatencySummary(int Count, double P50, double P90, double P99, double Max, double Mean, double PerSecond)
{
    public static readonly LatencySummary Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0);

    public static LatencySummary Of(IReadOnlyList<double> samples, double seconds)
    {
        if (samples.Count == 0) return Empty;
        var sorted = samples.Order().ToArray();
        return new LatencySummary(
            sorted.Length,
            Percentile(sorted, 50),
            Percentile(sorted, 90),
            Percentile(sorted, 99),
            sorted[^1],
            sorted.Average(),
            seconds > 0 ? sorted.Length / seconds : 0);
    }

    /// <summary>Nearest rank.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
