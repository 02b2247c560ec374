using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Whistle.Bench;

/// <summary>What dotnet-counters and dotnet-trace saw of one process during one phase.</summary>
public sealed record ProcessProfile(string Process, string Phase, List<CounterSummary> Counters, string TopExclusive, string TopInclusive, string? TraceFile, string? Error)
{
    /// <summary>The trace's samples with waiting frames left out: where the threads that were not waiting were.</summary>
    public BusyProfile? Busy { get; init; }
}

/// <summary>Thread time on stacks whose leaf is not a wait, by leaf frame and by assembly.</summary>
public sealed record BusyProfile(double TotalMs, double WaitingMs, double BusyMs, List<NamedMs> TopLeaves, List<NamedMs> ByAssemblyExclusive, List<NamedMs> ByAssemblyInclusive);

public sealed record NamedMs(string Name, double Ms);

public sealed record CounterSummary(string Name, double Mean, double Max, int Samples);

/// <summary>
/// <c>--profile</c>: dotnet-counters (System.Runtime, ASP.NET Core, Kestrel, SignalR, the Whistle meter, once a second)
/// and dotnet-trace (<c>dotnet-sampled-thread-time</c>: every managed thread's stack about 100 times a second) attached
/// to each Api and Dispatcher process for the length of one phase, then <c>dotnet-trace report … topN</c> over the trace
/// (exclusive and inclusive). The tools are NuGet global tools installed outside the repository:
/// <c>dotnet tool install dotnet-counters --tool-path ~/.whistle-bench-tools</c> (and dotnet-trace); <c>--tools</c>
/// names another folder. Thread time is wall-clock time on a stack, waits included: a thread parked in the thread pool
/// or in epoll counts as much as one computing, so read the top frames with their names.
/// </summary>
public sealed class Profiler(string toolsFolder, string outputFolder)
{
    private static readonly string[] CounterProviders = ["System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft-AspNetCore-Server-Kestrel", "Microsoft.AspNetCore.Http.Connections", "Whistle", "System.Net.Sockets"];

    public string Counters => Path.Combine(toolsFolder, "dotnet-counters");

    public string Trace => Path.Combine(toolsFolder, "dotnet-trace");

    public bool Available => File.Exists(Counters) && File.Exists(Trace);

    public static string DefaultToolsFolder => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".whistle-bench-tools");

    /// <summary>Starts both tools on every process; the returned function ends them and reads what they wrote.</summary>
    public Func<Task<List<ProcessProfile>>> Start(string phase, IEnumerable<ProcessHost> processes, TimeSpan duration)
    {
        Directory.CreateDirectory(outputFolder);
        var running = new List<(ProcessHost Host, Process Counters, Process Trace, string CountersFile, string TraceFile)>();
        var span = duration.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture);
        foreach (var host in processes)
        {
            var stem = Path.Combine(outputFolder, $"{phase}-{host.Name}");
            var countersFile = stem + "-counters.json";
            var traceFile = stem + ".nettrace";
            var counters = Launch(Counters, ["collect", "-p", host.Pid.ToString(CultureInfo.InvariantCulture), "--format", "json", "-o", countersFile, "--refresh-interval", "1", "--duration", span, "--counters", string.Join(',', CounterProviders)]);
            var trace = Launch(Trace, ["collect", "-p", host.Pid.ToString(CultureInfo.InvariantCulture), "--profile", "dotnet-sampled-thread-time", "-o", traceFile, "--duration", span]);
            running.Add((host, counters, trace, countersFile, traceFile));
        }

        return async () =>
        {
            var results = new List<ProcessProfile>();
            foreach (var (host, counters, trace, countersFile, traceFile) in running)
            {
                string? error = null;
                foreach (var p in new[] { counters, trace })
                {
                    using var cancel = new CancellationTokenSource(duration + TimeSpan.FromSeconds(60));
                    try
                    {
                        await p.WaitForExitAsync(cancel.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        p.Kill(entireProcessTree: true);
                        error = $"{Path.GetFileName(p.StartInfo.FileName)} did not end";
                    }
                }

                var summary = ReadCounters(countersFile);
                var exclusive = File.Exists(traceFile) ? await ReportAsync(traceFile, inclusive: false) : "no trace written";
                var inclusive = File.Exists(traceFile) ? await ReportAsync(traceFile, inclusive: true) : string.Empty;
                if (summary.Count == 0) error = (error is null ? string.Empty : error + "; ") + $"no counters read ({await Tail(counters)})";
                if (!File.Exists(traceFile)) error = (error is null ? string.Empty : error + "; ") + $"no trace ({await Tail(trace)})";
                BusyProfile? busy = null;
                if (File.Exists(traceFile))
                {
                    var speedscope = await ConvertAsync(traceFile);
                    busy = speedscope is null ? null : Speedscope.Analyse(speedscope);
                }

                results.Add(new ProcessProfile(host.Name, phase, summary, exclusive, inclusive, File.Exists(traceFile) ? traceFile : null, error) { Busy = busy });
                counters.Dispose();
                trace.Dispose();
            }

            return results;
        };
    }

    private static Process Launch(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        return process;
    }

    private static async Task<string> Tail(Process p)
    {
        var text = await p.StandardError.ReadToEndAsync() + await p.StandardOutput.ReadToEndAsync();
        text = text.Trim();
        return text.Length > 300 ? text[^300..] : text;
    }

    /// <summary><c>dotnet-trace convert --format Speedscope</c>; returns the file it wrote (or null).</summary>
    private async Task<string?> ConvertAsync(string traceFile)
    {
        var stem = Path.Combine(Path.GetDirectoryName(traceFile)!, Path.GetFileNameWithoutExtension(traceFile));
        var info = new ProcessStartInfo(Trace) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "convert", "--format", "Speedscope", traceFile, "-o", stem }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var file = stem + ".speedscope.json";
        return File.Exists(file) ? file : null;
    }

    private async Task<string> ReportAsync(string traceFile, bool inclusive)
    {
        var info = new ProcessStartInfo(Trace) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "report", traceFile, "topN", "-n", "20" }) info.ArgumentList.Add(a);
        if (inclusive) info.ArgumentList.Add("--inclusive");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return ((await output) + (await error)).TrimEnd();
    }

    /// <summary>Mean and max of each counter over the phase (dotnet-counters' JSON: one event per counter per second).</summary>
    private static List<CounterSummary> ReadCounters(string file)
    {
        if (!File.Exists(file)) return [];
        try
        {
            var text = File.ReadAllText(file).TrimEnd();
            // A collection stopped by --duration may leave the array unterminated.
            if (!text.EndsWith('}')) text = text.TrimEnd(',', ' ', '\n', '\r');
            if (!text.EndsWith("]}", StringComparison.Ordinal)) text = text.TrimEnd(',') + "]}";
            using var json = JsonDocument.Parse(text);
            var values = new Dictionary<string, List<double>>();
            foreach (var e in json.RootElement.GetProperty("Events").EnumerateArray())
            {
                var name = e.GetProperty("name").GetString() ?? "?";
                var tags = e.TryGetProperty("tags", out var t) ? t.GetString() : null;
                var key = $"{e.GetProperty("provider").GetString()}: {name}{(string.IsNullOrEmpty(tags) ? string.Empty : $" [{tags}]")}";
                if (!values.TryGetValue(key, out var list)) values[key] = list = [];
                list.Add(e.GetProperty("value").GetDouble());
            }

            return [.. values.Select(v => new CounterSummary(v.Key, Math.Round(v.Value.Average(), 3), Math.Round(v.Value.Max(), 3), v.Value.Count)).OrderBy(c => c.Name, StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return [new CounterSummary($"(unreadable: {e.Message})", double.NaN, double.NaN, 0)];
        }
    }
}

/// <summary>
/// Reads dotnet-trace's Speedscope file (one evented profile per thread: frames opened and closed at sample times) and
/// splits each thread's time by its leaf frame: a leaf that waits (a wait handle, a semaphore, a monitor, a sleep, the
/// socket engine's epoll, the file watcher's read) is waiting; the rest is busy, attributed to the leaf frame and to its
/// assembly (exclusive), and to every assembly on the stack (inclusive). A native leaf (“Missing Symbol”) is named by
/// the managed frame that called it.
/// </summary>
public static class Speedscope
{
    private static readonly string[] Waits =
    [
        "WaitHandle.WaitOne", "LowLevelLifoSemaphore.WaitForSignal", "LowLevelLifoSemaphore.Wait", "Monitor.Wait(", "ManualResetEventSlim.Wait", "Thread.Sleep",
        "Interop+Sys.WaitForSocketEvents", "Interop+Sys.Read(", "SpinWait", "Thread.SleepInternal", "LowLevelMonitor.Wait", "SemaphoreSlim.Wait(", "Task.SpinThenBlockingWait",
        "WaitHandle.WaitMultiple", "Interop+Sys.Poll", "Interop+Sys.LowLevelMonitor_TimedWait", "Interop+Sys.LowLevelMonitor_Wait",
    ];

    public static BusyProfile Analyse(string file)
    {
        using var stream = File.OpenRead(file);
        using var json = JsonDocument.Parse(stream);
        var frames = json.RootElement.GetProperty("shared").GetProperty("frames").EnumerateArray().Select(f => f.GetProperty("name").GetString() ?? "?").ToArray();
        var modules = frames.Select(f => f.Contains('!', StringComparison.Ordinal) ? f[..f.IndexOf('!', StringComparison.Ordinal)] : string.Empty).ToArray();
        var waiting = frames.Select(f => Waits.Any(w => f.Contains(w, StringComparison.Ordinal))).ToArray();
        // Threads that are idle whenever they are in native code: the socket engine's epoll loop, a thread-pool worker
        // parked between work items, the timer thread.
        var idle = frames.Select(f => f.Contains("SocketAsyncEngine.EventLoop", StringComparison.Ordinal) || f.EndsWith("WorkerThread.WorkerThreadStart()", StringComparison.Ordinal)
            || f.Contains("TimerQueue.TimerThread", StringComparison.Ordinal) || f.Contains("GateThread.GateThreadStart", StringComparison.Ordinal)).ToArray();
        var leaves = new Dictionary<string, double>();
        var exclusive = new Dictionary<string, double>();
        var inclusive = new Dictionary<string, double>();
        double total = 0, wait = 0;
        foreach (var profile in json.RootElement.GetProperty("profiles").EnumerateArray())
        {
            var stack = new List<int>();
            var last = 0.0;
            foreach (var e in profile.GetProperty("events").EnumerateArray())
            {
                var at = e.GetProperty("at").GetDouble();
                if (stack.Count > 0 && at > last)
                {
                    var ms = at - last;
                    total += ms;
                    // The sample profiler ends each stack with CPU_TIME (running managed code) or UNMANAGED_CODE_TIME (in native
                    // code: a wait, a system call, or native work such as SQLite's); the frame under it names what it was doing.
                    var pseudo = frames[stack[^1]];
                    var managed = stack.FindLastIndex(f => modules[f].Length > 0);
                    var leaf = managed >= 0 ? stack[managed] : stack[^1];
                    var native = pseudo != "CPU_TIME";
                    if (native && (waiting[leaf] || managed < 0 || stack.Any(f => idle[f])))
                    {
                        wait += ms;
                    }
                    else
                    {
                        var name = native ? $"native code under {Short(frames[leaf])}" : frames[leaf];
                        var module = native ? modules[leaf] + " (native)" : modules[leaf];
                        leaves[name] = leaves.GetValueOrDefault(name) + ms;
                        exclusive[module] = exclusive.GetValueOrDefault(module) + ms;
                        foreach (var m in stack.Select(f => modules[f]).Where(m => m.Length > 0).Distinct())
                        {
                            inclusive[m] = inclusive.GetValueOrDefault(m) + ms;
                        }
                    }
                }

                last = at;
                var frame = e.GetProperty("frame").GetInt32();
                if (e.GetProperty("type").GetString() == "O")
                {
                    stack.Add(frame);
                }
                else
                {
                    var i = stack.LastIndexOf(frame);
                    if (i >= 0) stack.RemoveRange(i, stack.Count - i);
                }
            }
        }

        static List<NamedMs> Top(Dictionary<string, double> d, int n) => [.. d.OrderByDescending(kv => kv.Value).Take(n).Select(kv => new NamedMs(kv.Key, Math.Round(kv.Value, 1)))];
        return new BusyProfile(Math.Round(total, 1), Math.Round(wait, 1), Math.Round(total - wait, 1), Top(leaves, 20), Top(exclusive, 15), Top(inclusive.Where(kv => kv.Key is not ("System.Private.CoreLib" or "")).ToDictionary(), 20));
    }

    /// <summary>A frame's name without its assembly and parameter list.</summary>
    public static string Short(string frame)
    {
        var name = frame.Contains('!', StringComparison.Ordinal) ? frame[(frame.IndexOf('!', StringComparison.Ordinal) + 1)..] : frame;
        var paren = name.IndexOf('(', StringComparison.Ordinal);
        return paren > 0 ? name[..paren] : name;
    }
}
