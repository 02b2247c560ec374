using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Whistle.Bench;

public sealed record BenchSettings(
    bool Quick,
    bool Attach,
    double LightRate,
    double LightSeconds,
    double[] SweepRates,
    double SweepSeconds,
    int[] ConnectionCounts,
    double ConnectionProbeSeconds,
    bool ScaleOut,
    double ScaleOutSeconds,
    int FloorSamples,
    string Label);

/// <summary>One phase of load at one offered rate.</summary>
public sealed record PhaseResult(
    string Name,
    int Apis,
    int Dispatchers,
    int Connections,
    double OfferedRate,
    double Seconds,
    int Accepted,
    int Failed,
    int Skipped,
    double AcceptedPerSecond,
    double DeliveredPerSecond,
    double PushesPerSecond,
    LatencySummary Dispatch,
    LatencySummary WhistleDispatch,
    LatencySummary Report,
    LatencySummary RaiseHttp,
    LatencySummary ReportHttp,
    int MissingPushes,
    long MaxOutboxBacklog,
    long PendingAtEnd,
    double DrainSeconds,
    bool Sustained,
    double LoadAverage1,
    IReadOnlyDictionary<string, double> CpuSeconds);

public sealed record ConnectionPoint(int Target, int Connected, int Failed, double ApiRssMiB, double KiBPerConnection, PhaseResult Probe);

/// <summary>The scenarios of issue 6 on one cluster, one after another.</summary>
public sealed class Bench(BenchSettings settings, Clients clients, Cluster? cluster, Func<Task<long>> outboxBacklog, TextWriter log)
{
    private const int MaxInFlight = 4000;

    public List<double[]> LoadSamples { get; } = [];

    /// <summary>Raw samples of each phase (dispatch path, report path), for the plots.</summary>
    public Dictionary<string, (double[] Dispatch, double[] Report)> Raw { get; } = [];

    private void Log(string text) => log.WriteLine($"[{DateTime.Now:HH:mm:ss}] {text}");

    public async Task WarmUpAsync(CancellationToken ct)
    {
        Log("warm-up (not recorded)");
        await RunPhaseAsync("warm-up", 20, settings.Quick ? 3 : 8, reportLead: true, ct);
    }

    public async Task<PhaseResult> LightAsync(CancellationToken ct)
    {
        Log($"light load: {settings.LightRate}/s for {settings.LightSeconds} s, every lead branch reports");
        return await RunPhaseAsync("light", settings.LightRate, settings.LightSeconds, reportLead: true, ct);
    }

    public Task<List<PhaseResult>> SweepAsync(CancellationToken ct) => SweepAsync("sweep", settings.SweepRates, settings.SweepSeconds, ct);

    /// <summary>Steps up the offered rate until a step is not sustained.</summary>
    public async Task<List<PhaseResult>> SweepAsync(string name, IReadOnlyList<double> rates, double seconds, CancellationToken ct)
    {
        var results = new List<PhaseResult>();
        foreach (var rate in rates)
        {
            Log($"{name}: {rate}/s for {seconds} s");
            var result = await RunPhaseAsync(name, rate, seconds, reportLead: false, ct);
            results.Add(result);
            Log(Describe(result));
            if (!result.Sustained)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(settings.Quick ? 1 : 3), ct);
        }

        return results;
    }

    public async Task<List<ConnectionPoint>> ConnectionsAsync(CancellationToken ct)
    {
        var points = new List<ConnectionPoint>();
        var accounts = await IdleAccountsAsync(ct);
        var apiPid = cluster?.Apis[0].Pid ?? 0;
        var baseline = apiPid > 0 ? Machine.RssMiB(apiPid) : double.NaN;
        const int listeners = 18;
        await using var helpers = new IdleHelpers();
        foreach (var target in settings.ConnectionCounts)
        {
            var toAdd = Math.Max(0, target - listeners - helpers.Connected);
            Log($"connections: adding {toAdd} idle branch connections (target {target})");
            var started = Clock.Now;
            await helpers.AddAsync(clients.Apis[0], toAdd, accounts, ct);
            Log($"  connected in {Clock.SinceMs(started) / 1000:F1} s, {helpers.Failed} failed so far");
            await Task.Delay(TimeSpan.FromSeconds(settings.Quick ? 2 : 5), ct);
            var connected = helpers.Connected + listeners;
            var rss = apiPid > 0 ? Machine.RssMiB(apiPid) : double.NaN;
            var perConnection = connected > listeners ? (rss - baseline) * 1024 / (connected - listeners) : double.NaN;
            var probe = await RunPhaseAsync($"connections-{target}", settings.LightRate, settings.ConnectionProbeSeconds, reportLead: false, ct);
            var point = new ConnectionPoint(target, connected, helpers.Failed, rss, perConnection, probe with { Connections = connected });
            points.Add(point);
            Log($"  {connected} connected, Api RSS {rss:F0} MiB ({perConnection:F1} KiB each); {Describe(probe)}");
            if (connected < target * 0.9)
            {
                Log("  fewer than 90% connected: the sweep stops here");
                break;
            }
        }

        return points;
    }

    /// <summary>Scale-out: the highest sustained rate with 1 or 2 Api instances and 1 or 2 dispatchers.</summary>
    public async Task<List<PhaseResult>> ScaleOutAsync(double singleSaturation, CancellationToken ct)
    {
        var results = new List<PhaseResult>();
        if (cluster is null) return results;
        var factors = settings.Quick ? new[] { 1.0 } : [0.75, 1.0, 1.25, 1.5, 2.0];
        var rates = factors.Select(f => Math.Max(10, Math.Round(singleSaturation * f))).Distinct().ToArray();

        async Task Run(string name)
        {
            foreach (var rate in rates)
            {
                Log($"scale-out {name}: {rate}/s for {settings.ScaleOutSeconds} s");
                var result = await RunPhaseAsync(name, rate, settings.ScaleOutSeconds, reportLead: false, ct);
                results.Add(result);
                Log(Describe(result));
                if (!result.Sustained) break;
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        }

        if (!settings.Quick)
        {
            await Run("scale-1api-1disp");
        }

        Log("starting a second dispatcher");
        cluster.StartDispatcher();
        await Task.Delay(TimeSpan.FromSeconds(6), ct);
        if (!settings.Quick)
        {
            await Run("scale-1api-2disp");
        }

        Log("starting a second Api instance");
        await cluster.StartApiAsync(ct);
        clients.AddApi(cluster.ApiUrls[^1]);
        await clients.ConnectListenersAsync(clients.Apis.Count - 1, ct);
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        await Run("scale-2api-2disp");

        if (!settings.Quick)
        {
            Log("stopping the second dispatcher");
            await cluster.StopLastDispatcherAsync();
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            await Run("scale-2api-1disp");
        }

        return results;
    }

    private async Task<List<string>> IdleAccountsAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = clients.Apis[0] };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/org", UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await clients.TokenAsync("supervisor", ct));
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        var org = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var accounts = org.GetProperty("branches").EnumerateArray()
            .Select(b => (Agency: b.GetProperty("agencyCode").GetString()!, Id: b.GetProperty("id").GetString()!))
            .Where(b => !Clients.Summoned.Contains(b.Agency))
            .Select(b => "branch." + b.Id)
            .ToList();
        foreach (var account in accounts) await clients.TokenAsync(account, ct);
        return accounts;
    }

    public static string Describe(PhaseResult r) =>
        $"  {r.Name} @ {r.OfferedRate}/s: accepted {r.AcceptedPerSecond:F1}/s, e2e p50 {r.Dispatch.P50:F1} p99 {r.Dispatch.P99:F1} max {r.Dispatch.Max:F1} ms, " +
        $"missing {r.MissingPushes}, failed {r.Failed}, skipped {r.Skipped}, backlog max {r.MaxOutboxBacklog}, pending at end {r.PendingAtEnd}, sustained {r.Sustained}";

    /// <summary>The measurement of the last phase (its raw timestamps: the stage breakdown reads them).</summary>
    public Measurement? LastMeasurement { get; private set; }

    /// <summary>
    /// One phase: open-loop raises at <paramref name="rate"/> for <paramref name="seconds"/> (or until
    /// <paramref name="stopLoad"/>), then the drain. Raw samples go to <see cref="Raw"/> under <paramref name="name"/>.
    /// </summary>
    public async Task<PhaseResult> RunPhaseAsync(string name, double rate, double seconds, bool reportLead, CancellationToken ct, CancellationToken stopLoad = default)
    {
        var m = new Measurement(reportLead);
        LastMeasurement = m;
        clients.Current = m;
        var apis = clients.Apis.Count;
        var pids = cluster is null ? [] : cluster.Apis.Concat(cluster.Dispatchers).ToDictionary(p => p.Name, p => p.Pid);
        var cpuBefore = pids.ToDictionary(p => p.Key, p => Machine.CpuSeconds(p.Value));
        var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        long maxBacklog = 0;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = Task.Run(
            async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    maxBacklog = Math.Max(maxBacklog, await outboxBacklog());
                    LoadSamples.Add(Machine.LoadAverage());
                    await Task.Delay(1000, sampling.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            },
            CancellationToken.None);

        var start = Clock.Now;
        var end = start + (long)(seconds * Stopwatch.Frequency);
        for (long i = 0; ; i++)
        {
            var due = start + (long)(i * Stopwatch.Frequency / rate);
            if (due >= end || stopLoad.IsCancellationRequested) break;
            var wait = Clock.Ms(Clock.Now, due);
            if (wait > 1) await Task.Delay(TimeSpan.FromMilliseconds(wait), ct);
            if (stopLoad.IsCancellationRequested) break;
            if (Volatile.Read(ref m.InFlight) >= MaxInFlight)
            {
                Interlocked.Increment(ref m.Skipped);
                continue;
            }

            _ = clients.RaiseAsync(m, (int)(i % apis), ct);
        }

        var loadSeconds = Clock.SinceMs(start) / 1000;
        seconds = Math.Min(seconds, loadSeconds);
        end = Math.Min(end, Clock.Now);
        var deliveredDuringLoad = m.Dispatched.Count(d => d.Value <= end) / 2.0 / Math.Max(1, apis);
        var pendingAtEnd = Pending(m);

        // Drain: every accepted whistle's pushes, or give up after a while.
        var drainStart = Clock.Now;
        while (Clock.SinceMs(drainStart) < 20_000 && (Volatile.Read(ref m.InFlight) > 0 || Pending(m) > 0 || (reportLead && m.Reports.Count > m.Reported.Count)))
        {
            await Task.Delay(50, ct);
        }

        var drainSeconds = Clock.SinceMs(drainStart) / 1000;
        await Task.Delay(200, ct);
        clients.Current = null;
        await sampling.CancelAsync();
        await sampler;
        maxBacklog = Math.Max(maxBacklog, await outboxBacklog());

        var dispatch = new List<double>();
        var whistle = new List<double>();
        var missing = 0;
        foreach (var (id, (raisedAt, api)) in m.Raised)
        {
            var latest = double.NaN;
            foreach (var agency in Clients.Summoned)
            {
                if (m.Dispatched.TryGetValue((id, agency, api), out var at))
                {
                    var ms = Clock.Ms(raisedAt, at);
                    dispatch.Add(ms);
                    latest = double.IsNaN(latest) ? ms : Math.Max(latest, ms);
                }
                else
                {
                    missing++;
                }
            }

            if (!double.IsNaN(latest)) whistle.Add(latest);
        }

        var report = m.Reports.Where(r => m.Reported.ContainsKey(r.Key)).Select(r => Clock.Ms(r.Value, m.Reported[r.Key])).ToList();
        missing += m.Reports.Count(r => !m.Reported.ContainsKey(r.Key));
        Raw[name] = ([.. dispatch], [.. report]);
        WriteSeries(name, rate, m);
        var dispatchSummary = LatencySummary.Of(dispatch, loadSeconds);
        var accepted = m.Raised.Count;
        var cpu = pids.ToDictionary(p => p.Key, p => Math.Round(Machine.CpuSeconds(p.Value) - cpuBefore[p.Key], 2));
        cpu["bench"] = Math.Round(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - benchCpuBefore, 2);
        var sustained = m.Failed == 0 && m.Skipped == 0 && missing == 0
            && accepted >= 0.95 * rate * seconds
            && dispatchSummary.P99 < 1000
            && pendingAtEnd <= Math.Max(20, rate);
        return new PhaseResult(
            name,
            apis,
            cluster?.Dispatchers.Count ?? 0,
            18 * apis,
            rate,
            Math.Round(loadSeconds, 2),
            accepted,
            m.Failed,
            m.Skipped,
            accepted / loadSeconds,
            deliveredDuringLoad / loadSeconds,
            m.Pushes / loadSeconds,
            dispatchSummary,
            LatencySummary.Of(whistle, loadSeconds),
            LatencySummary.Of(report, loadSeconds),
            m.RaiseHttp.Summarize(loadSeconds),
            m.ReportHttp.Summarize(loadSeconds),
            missing,
            maxBacklog,
            pendingAtEnd,
            Math.Round(drainSeconds, 2),
            sustained,
            Machine.LoadAverage()[0],
            cpu);
    }

    /// <summary>
    /// With <c>WHISTLE_BENCH_SERIES=folder</c>: every whistle of the phase as a line of a CSV (its raise's start as Unix
    /// milliseconds, the raise's HTTP time, the later of its two pushes, ms; −1: none), to line a stall up with what the
    /// processes and the database did at that moment.
    /// </summary>
    private void WriteSeries(string name, double rate, Measurement m)
    {
        var folder = Environment.GetEnvironmentVariable("WHISTLE_BENCH_SERIES");
        if (string.IsNullOrEmpty(folder)) return;
        Directory.CreateDirectory(folder);
        var (wall, tick) = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Clock.Now);
        var lines = new List<string> { "start_unix_ms,raise_http_ms,push_ms" };
        foreach (var (id, (start, api)) in m.Raised.OrderBy(r => r.Value.Start))
        {
            var http = m.Answered.TryGetValue(id, out var done) ? Clock.Ms(start, done) : -1;
            var push = -1.0;
            foreach (var agency in Clients.Summoned)
            {
                if (m.Dispatched.TryGetValue((id, agency, api), out var at)) push = Math.Max(push, Clock.Ms(start, at));
            }

            lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{wall - Clock.Ms(start, tick):F1},{http:F1},{push:F1}"));
        }

        File.WriteAllLines(Path.Combine(folder, $"{name}-{rate:F0}-{++_series}.csv"), lines);
    }

    private int _series;

    private static int Pending(Measurement m)
    {
        var pending = 0;
        foreach (var (id, (_, api)) in m.Raised)
        {
            foreach (var agency in Clients.Summoned)
            {
                if (!m.Dispatched.ContainsKey((id, agency, api))) pending++;
            }
        }

        return pending;
    }
}
