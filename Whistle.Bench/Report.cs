using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Whistle.Bench;

public sealed record Ratios(double DispatchFloorP50, double DispatchFloorP99, double ReportFloorP50, double ReportFloorP99, double DispatchP50, double DispatchP99, double ReportP50, double ReportP99)
{
    /// <summary>The same against the floors measured at the light load's spacing (<see cref="FloorResults.Paced"/>).</summary>
    public Ratios? Paced { get; init; }
}

public sealed record BenchReport(
    string Date,
    Machine.Info Machine,
    BenchSettings Settings,
    double[] LoadBefore,
    double LoadDuringMean,
    double LoadDuringMax,
    ulong OpenFilesLimit,
    FloorResults Floors,
    PhaseResult? Light,
    Ratios? Ratios,
    List<PhaseResult> Sweep,
    double SaturationRate,
    List<ConnectionPoint> Connections,
    List<PhaseResult> ScaleOut)
{
    /// <summary><c>sqlite</c> or <c>postgresql</c>: the database of the distributed scenarios.</summary>
    public string Database { get; init; } = "sqlite";

    public string? PostgresVersion { get; init; }

    /// <summary>Why the distributed scenarios did not run (the Api refused the database provider).</summary>
    public string? DistributedError { get; init; }

    public EmbeddedResult? Embedded { get; init; }

    public BrowserResult? Browser { get; init; }

    public ParallelResult? Parallel { get; init; }

    public List<StageBreakdown> Stages { get; init; } = [];

    public PhaseResult? Profiled { get; init; }

    public List<ProcessProfile> Profiles { get; init; } = [];

    public List<string> Notes { get; init; } = [];
}

/// <summary>The console table, the JSON file, the Markdown report and its SVG plots.</summary>
public static class Report
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static string F(double v, string format = "F1") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    public static Ratios? RatiosOf(FloorResults floors, PhaseResult? light, bool postgres = false)
    {
        if (light is null) return null;
        var d50 = floors.DispatchPath(s => s.P50, postgres);
        var d99 = floors.DispatchPath(s => s.P99, postgres);
        var r50 = floors.ReportPath(s => s.P50, postgres);
        var r99 = floors.ReportPath(s => s.P99, postgres);
        return new Ratios(d50, d99, r50, r99, light.Dispatch.P50 / d50, light.Dispatch.P99 / d99, light.Report.P50 / r50, light.Report.P99 / r99)
        {
            Paced = floors.Paced is { } paced ? RatiosOf(paced, light, postgres) : null,
        };
    }

    public static string Table(BenchReport r)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"Whistle.Bench {r.Date} — {r.Machine.Cores} cores, {r.Machine.CpuModel}, {r.Machine.RamGiB} GiB, {r.Machine.Os}; load average before {string.Join(' ', r.LoadBefore.Select(v => F(v, "F2")))}, during mean {F(r.LoadDuringMean, "F2")} max {F(r.LoadDuringMax, "F2")}");
        s.AppendLine();
        s.AppendLine("latency ms                            count     p50     p90     p99     max      /s");
        void Row(string name, LatencySummary l) =>
            s.AppendLine(CultureInfo.InvariantCulture, $"{name,-36}{l.Count,7}{F(l.P50, "F2"),8}{F(l.P90, "F2"),8}{F(l.P99, "F2"),8}{F(l.Max, "F2"),8}{F(l.PerSecond, "F0"),8}");
        Row("floor: broker publish→consume", r.Floors.BrokerHop);
        Row("floor: broker publish→confirm", r.Floors.BrokerConfirm);
        Row("floor: SignalR push, idle hub", r.Floors.Push);
        Row("floor: empty POST, Kestrel", r.Floors.HttpPost);
        Row("floor: commit whistle+outbox", r.Floors.Commit);
        if (r.Floors.PostgresCommit is { } pgCommit) Row("floor: commit, PostgreSQL", pgCommit);
        if (r.Floors.Paced is { } paced)
        {
            var every = $" (1/{F(r.Floors.PaceMs, "F0")}ms)";
            Row("floor: broker publish→consume" + every, paced.BrokerHop);
            Row("floor: SignalR push" + every, paced.Push);
            Row("floor: empty POST" + every, paced.HttpPost);
            Row("floor: commit" + every, paced.Commit);
            if (paced.PostgresCommit is { } pacedPg) Row("floor: commit, PostgreSQL" + every, pacedPg);
        }

        if (r.Light is { } light)
        {
            Row($"e2e raise→dispatched push @{light.OfferedRate}/s", light.Dispatch);
            Row("e2e report→township push", light.Report);
            Row("raise HTTP round trip", light.RaiseHttp);
            Row("report HTTP round trip", light.ReportHttp);
        }

        if (r.Ratios is { } ratio)
        {
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"dispatch path floor sum (HTTP + 2 commits + 2 broker hops + push): p50 {F(ratio.DispatchFloorP50, "F2")} ms, p99 {F(ratio.DispatchFloorP99, "F2")} ms → ratio p50 {F(ratio.DispatchP50, "F2")}× (issue 15: must ≤ 4, goal ≤ 2), p99 {F(ratio.DispatchP99, "F2")}× (must ≤ 4, goal ≤ 2.5)");
            s.AppendLine(CultureInfo.InvariantCulture, $"report path floor sum (HTTP + commit + broker hop + push):          p50 {F(ratio.ReportFloorP50, "F2")} ms, p99 {F(ratio.ReportFloorP99, "F2")} ms → ratio p50 {F(ratio.ReportP50, "F2")}× (issue 15: must ≤ 3, goal ≤ 2), p99 {F(ratio.ReportP99, "F2")}×");
            if (ratio.Paced is { } p)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"the same against the floors one every {F(r.Floors.PaceMs, "F0")} ms: dispatch path p50 {F(p.DispatchFloorP50, "F2")} ms → {F(p.DispatchP50, "F2")}×, p99 {F(p.DispatchFloorP99, "F2")} ms → {F(p.DispatchP99, "F2")}×; report path p50 {F(p.ReportFloorP50, "F2")} ms → {F(p.ReportP50, "F2")}×, p99 {F(p.ReportFloorP99, "F2")} ms → {F(p.ReportP99, "F2")}×");
            }
        }

        if (r.Sweep.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("rate sweep   offered  accepted/s  delivered/s   p50 ms   p99 ms   max ms  backlog  pending  sustained  load1");
            foreach (var p in r.Sweep)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"{p.Name,-12}{F(p.OfferedRate, "F0"),8}{F(p.AcceptedPerSecond),12}{F(p.DeliveredPerSecond),13}{F(p.Dispatch.P50),9}{F(p.Dispatch.P99),9}{F(p.Dispatch.Max),9}{p.MaxOutboxBacklog,9}{p.PendingAtEnd,9}{(p.Sustained ? "yes" : "NO"),11}{F(p.LoadAverage1, "F2"),7}");
            }

            s.AppendLine(CultureInfo.InvariantCulture, $"saturation (highest sustained rate): {F(r.SaturationRate, "F0")} whistles/s (target ≥ 500, aim 1,000)");
        }

        if (r.Connections.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("connections  connected  failed  Api RSS MiB  KiB/conn   e2e p50   e2e p99");
            foreach (var c in r.Connections)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"{c.Target,11}{c.Connected,11}{c.Failed,8}{F(c.ApiRssMiB, "F0"),13}{F(c.KiBPerConnection),10}{F(c.Probe.Dispatch.P50),10}{F(c.Probe.Dispatch.P99),10}");
            }
        }

        if (r.ScaleOut.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("scale-out           apis disp  offered  accepted/s  pushes/s   p50 ms   p99 ms  sustained");
            foreach (var p in r.ScaleOut)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"{p.Name,-20}{p.Apis,4}{p.Dispatchers,5}{F(p.OfferedRate, "F0"),9}{F(p.AcceptedPerSecond),12}{F(p.PushesPerSecond, "F0"),10}{F(p.Dispatch.P50),9}{F(p.Dispatch.P99),9}{(p.Sustained ? "yes" : "NO"),11}");
            }
        }

        s.Append(Issue15Table(r, markdown: false));
        return s.ToString();
    }

    public static void Write(BenchReport r, string folder, string stem, string? notes)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, stem + ".json"), JsonSerializer.Serialize(r, Json) + "\n");

        var latencySvg = stem + "-latency.svg";
        var rateSvg = stem + "-rate.svg";
        var series = new List<Svg.Series>();
        var markers = new List<Svg.Marker>();
        if (Program.Raw.TryGetValue("light", out var light))
        {
            series.Add(new Svg.Series("raise → dispatched push", "#d62728", Svg.Cdf(light.Dispatch)));
            series.Add(new Svg.Series("report → township push", "#1f77b4", Svg.Cdf(light.Report)));
        }

        if (r.Ratios is { } ratios)
        {
            markers.Add(new Svg.Marker(ratios.DispatchFloorP50, "dispatch floor sum p50", "#d62728"));
            markers.Add(new Svg.Marker(ratios.ReportFloorP50, "report floor sum p50", "#1f77b4"));
        }

        foreach (var c in r.Connections)
        {
            string[] connectionPalette = ["#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];
            if (Program.Raw.TryGetValue(c.Probe.Name, out var raw)) series.Add(new Svg.Series($"dispatch, {c.Connected} conns", connectionPalette[r.Connections.IndexOf(c) % connectionPalette.Length], Svg.Cdf(raw.Dispatch), Dashed: true));
        }

        File.WriteAllText(Path.Combine(folder, latencySvg), Svg.LinePlot($"End-to-end latency at {F(r.Settings.LightRate, "F0")} whistles/s (distribution)", "latency, ms (log scale)", "share of samples ≤ latency, %", series, logX: true, logY: false, markers, yMax: 100));

        var rateSeries = new List<Svg.Series>
        {
            new("p50, 1 Api + 1 dispatcher", "#1f77b4", r.Sweep.Select(p => (p.OfferedRate, p.Dispatch.P50)).ToList(), Markers: true),
            new("p99, 1 Api + 1 dispatcher", "#d62728", r.Sweep.Select(p => (p.OfferedRate, p.Dispatch.P99)).ToList(), Markers: true),
        };
        string[] palette = ["#ff7f0e", "#9467bd", "#2ca02c", "#8c564b"];
        foreach (var (group, i) in r.ScaleOut.GroupBy(p => p.Name).Where(g => g.Key != "scale-1api-1disp").Select((g, i) => (g, i)))
        {
            rateSeries.Add(new Svg.Series($"p99, {group.First().Apis} Api + {group.First().Dispatchers} disp.", palette[i % palette.Length], group.Select(p => (p.OfferedRate, p.Dispatch.P99)).ToList(), Dashed: true, Markers: true));
        }

        if (r.Embedded is { } embedded)
        {
            rateSeries.Add(new Svg.Series("p50, embedded", "#17becf", embedded.Sweep.Select(p => (p.OfferedRate, p.Dispatch.P50)).ToList(), Markers: true));
            rateSeries.Add(new Svg.Series("p99, embedded", "#e377c2", embedded.Sweep.Select(p => (p.OfferedRate, p.Dispatch.P99)).ToList(), Markers: true));
        }

        File.WriteAllText(Path.Combine(folder, rateSvg), Svg.LinePlot("Raise → dispatched push against the offered rate", "offered rate, whistles/s", "latency, ms (log scale)", rateSeries, logX: false, logY: true));

        var parallelSvg = stem + "-parallel.svg";
        if (r.Parallel is { } parallel)
        {
            var parallelSeries = new List<Svg.Series>
            {
                new("p50, 1 Api + 1 disp.", "#1f77b4", parallel.One.Select(p => (p.OfferedRate, p.Dispatch.P50)).ToList(), Markers: true),
                new("p99, 1 Api + 1 disp.", "#d62728", parallel.One.Select(p => (p.OfferedRate, p.Dispatch.P99)).ToList(), Markers: true),
                new("p50, 2 Apis + 2 disp.", "#2ca02c", parallel.Two.Select(p => (p.OfferedRate, p.Dispatch.P50)).ToList(), Dashed: true, Markers: true),
                new("p99, 2 Apis + 2 disp.", "#ff7f0e", parallel.Two.Select(p => (p.OfferedRate, p.Dispatch.P99)).ToList(), Dashed: true, Markers: true),
            };
            File.WriteAllText(Path.Combine(folder, parallelSvg), Svg.LinePlot($"{F(parallel.DelayMs, "0.#")} ms each way on the broker link: latency against rate", "offered rate, whistles/s", "latency, ms (log scale)", parallelSeries, logX: false, logY: true));
        }

        File.WriteAllText(Path.Combine(folder, stem + ".md"), Markdown(r, stem, latencySvg, rateSvg, r.Parallel is null ? null : parallelSvg, notes));
    }

    private static string Markdown(BenchReport r, string stem, string latencySvg, string rateSvg, string? parallelSvg, string? notes)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"# Whistle benchmark, {r.Date}{(r.Settings.Quick ? " (quick)" : string.Empty)}");
        s.AppendLine();
        s.AppendLine("Written by `dotnet run --project Whistle.Bench -c Release" + (r.Settings.Quick ? " -- --quick" : string.Empty) + "` (see docs/ARCHITECTURE.md, Whistle.Bench). " +
            "Every figure below comes from one run on one machine: the whole pipeline and the floors of its parts side by side, so the ratios mean something even where the machine was busy.");
        s.AppendLine();
        s.Append(Issue15Table(r, markdown: true));
        s.AppendLine();
        s.AppendLine("## Machine and settings");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {r.Machine.Cores} cores, {r.Machine.CpuModel}, {r.Machine.RamGiB} GiB RAM, {r.Machine.Os} (kernel {r.Machine.Kernel}), {r.Machine.Dotnet}; open-file limit {r.OpenFilesLimit}.");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1 min) before the run {F(r.LoadBefore[0], "F2")}; during the run mean {F(r.LoadDuringMean, "F2")}, max {F(r.LoadDuringMax, "F2")}. The load generator, RabbitMQ 3.10, every Api and Dispatcher process and (on this shared machine) other engineers' builds share the cores.");
        if (r.Database == "postgresql")
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"- System (distributed): RabbitMQ on 127.0.0.1:5672 (a virtual host of the run's own, deleted afterwards), Whistle.Api and Whistle.Dispatcher as separate processes from their Release build, PostgreSQL ({r.PostgresVersion}, a throwaway cluster of the bench's own on 127.0.0.1, fsync on) with `Whistle:Database:Provider=PostgreSql`, `Whistle:Auth:RaisesPerMinute` at its maximum, 10,000 per account (6 accounts: up to 1,000 whistles/s), logging at Warning, {Cluster.GarbageCollection}.");
        }
        else
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"- System (distributed): RabbitMQ on 127.0.0.1:5672 (a virtual host of the run's own, deleted afterwards), Whistle.Api and Whistle.Dispatcher as separate processes from their Release build, one SQLite file (WAL) shared by all, `Whistle:Auth:RaisesPerMinute` at its maximum, 10,000 per account (6 accounts: up to 1,000 whistles/s), logging at Warning, {Cluster.GarbageCollection}.");
        }

        s.AppendLine("- Embedded: one Whistle.Api process from the Release build with nothing but the data folder, the signing key and the limits set, as `dotnet run --project Whistle.Api` runs it: SQLite, the in-memory bus, the dispatcher's consumers (and deadlines, notices) in the same process.");
        if (r.DistributedError is { } distributedError) s.AppendLine(CultureInfo.InvariantCulture, $"- **The distributed scenarios did not run:** {distributedError}");
        foreach (var note in r.Notes) s.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Clients: 6 township accounts raising `street-vending` whistles (2 assignments each: urban-management and market-supervision branches of the township) over HTTP, open loop at the offered rate; 12 branch and 6 township clients on the hub (SignalR, WebSockets, negotiation skipped). Light load: {F(r.Settings.LightRate, "F0")}/s for {F(r.Settings.LightSeconds, "F0")} s, each lead branch reports as soon as its push arrives. Sweep steps {F(r.Settings.SweepSeconds, "F0")} s each. Floors: {r.Settings.FloorSamples} samples each, one at a time.");
        if (!string.IsNullOrWhiteSpace(r.Settings.Label)) s.AppendLine(CultureInfo.InvariantCulture, $"- Label: {r.Settings.Label}");
        s.AppendLine();
        s.AppendLine("## Floors and the pipeline at light load");
        s.AppendLine();
        s.AppendLine("| latency, ms | count | p50 | p90 | p99 | max | per s |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        void Row(string name, LatencySummary l) => s.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {l.Count} | {F(l.P50, "F2")} | {F(l.P90, "F2")} | {F(l.P99, "F2")} | {F(l.Max, "F2")} | {F(l.PerSecond, "F0")} |");
        Row("floor: RabbitMQ.Client publish → consume (persistent, confirms)", r.Floors.BrokerHop);
        Row("floor: RabbitMQ.Client publish → confirm", r.Floors.BrokerConfirm);
        Row("floor: SignalR push on an idle hub (WebSockets)", r.Floors.Push);
        Row("floor: empty POST to Kestrel over loopback", r.Floors.HttpPost);
        Row("floor: commit of a whistle row + outbox row (SQLite WAL, Dapper)", r.Floors.Commit);
        if (r.Floors.PostgresCommit is { } pgCommit) Row($"floor: commit of a whistle row + outbox row (PostgreSQL, Npgsql + Dapper; {r.Floors.PostgresSchema})", pgCommit);
        if (r.Floors.Paced is { } paced)
        {
            var every = $", one every {F(r.Floors.PaceMs, "F0")} ms (from idle, as at light load)";
            Row("floor: RabbitMQ.Client publish → consume" + every, paced.BrokerHop);
            Row("floor: SignalR push on an idle hub" + every, paced.Push);
            Row("floor: empty POST to Kestrel" + every, paced.HttpPost);
            Row("floor: commit of a whistle row + outbox row (SQLite)" + every, paced.Commit);
            if (paced.PostgresCommit is { } pacedPg) Row("floor: commit of a whistle row + outbox row (PostgreSQL)" + every, pacedPg);
        }

        if (r.Light is { } light)
        {
            Row("**raise → branch's AssignmentDispatched push**", light.Dispatch);
            Row("raise → both branches pushed (per whistle)", light.WhistleDispatch);
            Row("**report → township's AssignmentReported push**", light.Report);
            Row("raise: HTTP round trip (201)", light.RaiseHttp);
            Row("report: HTTP round trip (200)", light.ReportHttp);
        }

        if (r.Ratios is { } ratio)
        {
            s.AppendLine();
            s.AppendLine("| path | floors on it | floor sum p50 / p99, ms | pipeline p50 / p99, ms | ratio p50 (issue 15: raise → push must ≤ 4, goal ≤ 2; report → push must ≤ 3, goal ≤ 2) | ratio p99 (raise → push must ≤ 4, goal ≤ 2.5) |");
            s.AppendLine("|---|---|---:|---:|---:|---:|");
            s.AppendLine(CultureInfo.InvariantCulture, $"| raise → dispatched push | HTTP + commit (Api) + broker hop (WhistleRaised → dispatcher) + commit (dispatcher) + broker hop (WhistleEventRecorded → Api) + push | {F(ratio.DispatchFloorP50, "F2")} / {F(ratio.DispatchFloorP99, "F2")} | {F(r.Light!.Dispatch.P50, "F2")} / {F(r.Light.Dispatch.P99, "F2")} | {F(ratio.DispatchP50, "F2")}× | {F(ratio.DispatchP99, "F2")}× |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| report → township push | HTTP + commit (Api) + broker hop (WhistleEventRecorded → Api) + push | {F(ratio.ReportFloorP50, "F2")} / {F(ratio.ReportFloorP99, "F2")} | {F(r.Light.Report.P50, "F2")} / {F(r.Light.Report.P99, "F2")} | {F(ratio.ReportP50, "F2")}× | {F(ratio.ReportP99, "F2")}× |");
            if (ratio.Paced is { } p)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"| raise → dispatched push, against the floors one every {F(r.Floors.PaceMs, "F0")} ms | the same | {F(p.DispatchFloorP50, "F2")} / {F(p.DispatchFloorP99, "F2")} | {F(r.Light.Dispatch.P50, "F2")} / {F(r.Light.Dispatch.P99, "F2")} | {F(p.DispatchP50, "F2")}× | {F(p.DispatchP99, "F2")}× |");
                s.AppendLine(CultureInfo.InvariantCulture, $"| report → township push, against the floors one every {F(r.Floors.PaceMs, "F0")} ms | the same | {F(p.ReportFloorP50, "F2")} / {F(p.ReportFloorP99, "F2")} | {F(r.Light.Report.P50, "F2")} / {F(r.Light.Report.P99, "F2")} | {F(p.ReportP50, "F2")}× | {F(p.ReportP99, "F2")}× |");
            }

            s.AppendLine();
            s.AppendLine("The floor sum at p50 adds the floors' p50s, at p99 their p99s (an upper bound for the p99 of a sum of independent parts).");
        }

        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"![latency distribution]({latencySvg})");
        s.AppendLine();
        s.AppendLine("## Rate sweep (1 Api, 1 dispatcher)");
        s.AppendLine();
        s.AppendLine("Sustained means: p99 of raise → dispatched push under 1 s, every accepted whistle pushed, no request failed, at least 95% of the offered rate accepted, and at most a second's worth of whistles still pending when the load stops (nothing queued without bound). The sweep stops at the first step that is not sustained.");
        s.AppendLine();
        s.AppendLine("| offered /s | accepted /s | pushed during load /s | p50 ms | p90 ms | p99 ms | max ms | raise HTTP p99 ms | outbox backlog max | pending at end | drain s | sustained | load 1 min | CPU s (api, disp, bench) |");
        s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|");
        foreach (var p in r.Sweep)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {F(p.OfferedRate, "F0")} | {F(p.AcceptedPerSecond)} | {F(p.DeliveredPerSecond)} | {F(p.Dispatch.P50)} | {F(p.Dispatch.P90)} | {F(p.Dispatch.P99)} | {F(p.Dispatch.Max)} | {F(p.RaiseHttp.P99)} | {p.MaxOutboxBacklog} | {p.PendingAtEnd} | {F(p.DrainSeconds)} | {(p.Sustained ? "yes" : "**no**")} | {F(p.LoadAverage1, "F2")} | {Cpu(p)} |");
        }

        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"**Saturation: {F(r.SaturationRate, "F0")} whistles/s** end to end (each with two assignments; target ≥ 500, aiming for 1,000).");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"![latency against rate]({rateSvg})");
        s.AppendLine();
        if (r.Connections.Count > 0)
        {
            s.AppendLine("## Connections on one Api instance");
            s.AppendLine();
            s.AppendLine("Idle branch clients (branches of agencies that `street-vending` does not summon, so they receive nothing) are added on top of the 18 measuring clients; memory per connection is the growth of the Api process's VmRSS over its RSS with the 18. The latency is raise → dispatched push at the light rate, measured with that many connections open.");
            s.AppendLine();
            s.AppendLine("| target | connected | failed | Api RSS MiB | KiB per connection | p50 ms | p90 ms | p99 ms | max ms | load 1 min |");
            s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var c in r.Connections)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"| {c.Target} | {c.Connected} | {c.Failed} | {F(c.ApiRssMiB, "F0")} | {F(c.KiBPerConnection)} | {F(c.Probe.Dispatch.P50)} | {F(c.Probe.Dispatch.P90)} | {F(c.Probe.Dispatch.P99)} | {F(c.Probe.Dispatch.Max)} | {F(c.Probe.LoadAverage1, "F2")} |");
            }

            s.AppendLine();
        }

        if (r.ScaleOut.Count > 0)
        {
            s.AppendLine("## Scale-out (one broker, one SQLite file)");
            s.AppendLine();
            s.AppendLine("With two Api instances the townships' requests alternate between them, every branch and township has a client on each, and the latency is measured at the instance that took the request. Pushes per second count every push every client received.");
            s.AppendLine();
            s.AppendLine("| topology | Apis | dispatchers | offered /s | accepted /s | pushes /s | p50 ms | p99 ms | max ms | sustained | load 1 min | CPU s |");
            s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|");
            foreach (var p in r.ScaleOut)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"| {p.Name} | {p.Apis} | {p.Dispatchers} | {F(p.OfferedRate, "F0")} | {F(p.AcceptedPerSecond)} | {F(p.PushesPerSecond, "F0")} | {F(p.Dispatch.P50)} | {F(p.Dispatch.P99)} | {F(p.Dispatch.Max)} | {(p.Sustained ? "yes" : "**no**")} | {F(p.LoadAverage1, "F2")} | {Cpu(p)} |");
            }

            s.AppendLine();
        }

        Sections(s, r, parallelSvg);
        if (!string.IsNullOrWhiteSpace(notes))
        {
            s.AppendLine(notes.TrimEnd());
            s.AppendLine();
        }

        s.AppendLine(CultureInfo.InvariantCulture, $"Raw figures: [{stem}.json]({stem}.json).");
        return s.ToString();
    }

    private static string Reached(bool? must, bool? goal) => (must, goal) switch
    {
        (null, _) => "not measured",
        (true, true) => "must: yes, goal: **yes**",
        (true, _) => "must: **yes**, goal: no",
        _ => "must: **no**",
    };

    /// <summary>The issue 15 targets, each beside what this run measured.</summary>
    public static string Issue15Table(BenchReport r, bool markdown)
    {
        var rows = new List<(string Target, string Measured, string MustGoal, string Verdict)>();
        var distributedSat = r.Sweep.Count > 0 ? r.SaturationRate : double.NaN;
        var db = r.Database == "postgresql" ? "PostgreSQL" : "SQLite";
        rows.Add(($"saturation, distributed ({db}, 1 Api + 1 dispatcher), p99 < 1 s", r.Sweep.Count > 0 ? $"{F(distributedSat, "F0")} whistles/s" : r.DistributedError ?? "not run", "500 / 1,000", Reached(r.Sweep.Count > 0 ? distributedSat >= 500 : null, distributedSat >= 1000)));
        var embeddedSat = r.Embedded?.Saturation ?? double.NaN;
        rows.Add(("saturation, embedded (SQLite + in-memory bus)", r.Embedded is null ? "not run" : $"{F(embeddedSat, "F0")} whistles/s", "500 / 1,000", Reached(r.Embedded is null ? null : embeddedSat >= 500, embeddedSat >= 1000)));
        if (r.Ratios is { } ratio && r.Light is { } light)
        {
            rows.Add(("light load: raise → summoned branch's push, p50 / p99 against the floor sum", $"p50 {F(light.Dispatch.P50, "F1")} ms = {F(ratio.DispatchP50, "F1")}×, p99 {F(light.Dispatch.P99, "F1")} ms = {F(ratio.DispatchP99, "F1")}× (floor sums {F(ratio.DispatchFloorP50, "F2")} / {F(ratio.DispatchFloorP99, "F2")} ms)", "4× / 4×; 2× / 2.5×", Reached(ratio.DispatchP50 <= 4 && ratio.DispatchP99 <= 4, ratio.DispatchP50 <= 2 && ratio.DispatchP99 <= 2.5)));
            rows.Add(("report → township push, p50 against the floor sum", $"p50 {F(light.Report.P50, "F1")} ms = {F(ratio.ReportP50, "F1")}× ({F(ratio.ReportFloorP50, "F2")} ms)", "3×; 2×", Reached(ratio.ReportP50 <= 3, ratio.ReportP50 <= 2)));
            if (ratio.Paced is { } paced)
            {
                var every = F(r.Floors.PaceMs, "F0");
                rows.Add(($"the same against the floors measured one every {every} ms (from idle, as at light load)", $"p50 {F(paced.DispatchP50, "F1")}×, p99 {F(paced.DispatchP99, "F1")}× (floor sums {F(paced.DispatchFloorP50, "F2")} / {F(paced.DispatchFloorP99, "F2")} ms)", "4× / 4×; 2× / 2.5×", Reached(paced.DispatchP50 <= 4 && paced.DispatchP99 <= 4, paced.DispatchP50 <= 2 && paced.DispatchP99 <= 2.5)));
                rows.Add(($"report → township push against the floors one every {every} ms", $"p50 {F(paced.ReportP50, "F1")}× ({F(paced.ReportFloorP50, "F2")} ms)", "3×; 2×", Reached(paced.ReportP50 <= 3, paced.ReportP50 <= 2)));
            }
        }

        if (r.Browser is { } b)
        {
            var measured = b.Seen == 0 ? $"not measured: {b.Error}" : $"p50 {F(b.ClickToRow.P50, "F0")} ms, p99 {F(b.ClickToRow.P99, "F0")} ms (in the DOM; painted p50 {F(b.ClickToFrame.P50, "F0")}, p99 {F(b.ClickToFrame.P99, "F0")}), {b.Seen} runs, {F(b.BackgroundRate, "F0")}/s background";
            rows.Add(("browser to browser: township clicks send → row in the branch's inbox page", measured, "p99 500 ms; p50 100, p99 250 ms", Reached(b.Seen == 0 ? null : b.ClickToFrame.P99 <= 500, b.ClickToFrame.P50 <= 100 && b.ClickToFrame.P99 <= 250)));
        }

        if (r.Parallel is { } p)
        {
            rows.Add(($"parallel progress, {F(p.DelayMs, "0.#")} ms each way on the broker link: 2 Apis + 2 dispatchers against 1 + 1", $"{F(p.SaturationTwo, "0.#")} against {F(p.SaturationOne, "0.#")} whistles/s = {F(p.Ratio, "F2")}×", "1.6×; 1.9×", Reached(double.IsFinite(p.Ratio) ? p.Ratio >= 1.6 : null, p.Ratio >= 1.9)));
        }

        var perConnection = r.Connections.Where(c => double.IsFinite(c.KiBPerConnection)).Select(c => c.KiBPerConnection).DefaultIfEmpty(double.NaN).Last();
        if (r.Connections.Count > 0)
        {
            rows.Add(("memory per idle branch connection", $"{F(perConnection, "F1")} KiB ({r.Connections[^1].Connected} connected)", "—; ≤ 20 KiB", double.IsFinite(perConnection) ? (perConnection <= 20 ? "goal: **yes**" : "goal: **no**") : "not measured"));
        }

        var s = new StringBuilder();
        if (markdown)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"## Issue 15 targets (this run: load average {F(r.LoadBefore[0], "F2")} before, {F(r.LoadDuringMean, "F1")} mean / {F(r.LoadDuringMax, "F1")} max during)");
            s.AppendLine();
            s.AppendLine("| target | measured (floors in the same run) | must; goal | reached? |");
            s.AppendLine("|---|---|---|---|");
            foreach (var row in rows) s.AppendLine(CultureInfo.InvariantCulture, $"| {row.Target} | {row.Measured} | {row.MustGoal} | {row.Verdict} |");
        }
        else
        {
            s.AppendLine();
            s.AppendLine("issue 15 targets:");
            foreach (var row in rows) s.AppendLine(CultureInfo.InvariantCulture, $"  {row.Target}: {row.Measured} [{row.MustGoal}] {row.Verdict.Replace("*", string.Empty, StringComparison.Ordinal)}");
            foreach (var st in r.Stages)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"stages, {st.Phase} @ {F(st.OfferedRate, "F0")}/s ({st.Complete} whistles; e2e p50 {F(st.EndToEnd.P50, "F2")} ms):");
                foreach (var row in st.Stages) s.AppendLine(CultureInfo.InvariantCulture, $"  {row.Stage,-34} p50 {F(row.Latency.P50, "F2"),8}  p90 {F(row.Latency.P90, "F2"),8}  p99 {F(row.Latency.P99, "F2"),8}");
                if (st.WritesPerCommit is { } sizes) s.AppendLine(CultureInfo.InvariantCulture, $"  writes a commit: {sizes}");
            }
        }

        return s.ToString();
    }

    private static void PhaseTable(StringBuilder s, IEnumerable<PhaseResult> phases)
    {
        s.AppendLine("| offered /s | accepted /s | pushed during load /s | p50 ms | p90 ms | p99 ms | max ms | raise HTTP p99 ms | outbox backlog max | pending at end | sustained | load 1 min | CPU s |");
        s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|");
        foreach (var p in phases)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {F(p.OfferedRate, "0.#")} | {F(p.AcceptedPerSecond)} | {F(p.DeliveredPerSecond)} | {F(p.Dispatch.P50)} | {F(p.Dispatch.P90)} | {F(p.Dispatch.P99)} | {F(p.Dispatch.Max)} | {F(p.RaiseHttp.P99)} | {p.MaxOutboxBacklog} | {p.PendingAtEnd} | {(p.Sustained ? "yes" : "**no**")} | {F(p.LoadAverage1, "F2")} | {Cpu(p)} |");
        }
    }

    private static void Sections(StringBuilder s, BenchReport r, string? parallelSvg)
    {
        if (r.Browser is { } b)
        {
            s.AppendLine("## Browser to browser");
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"Headless Chromium, two live pages: the township `township.chengguan` clicks \"send\" on the raise form; the branch `branch.urban-management.chengguan` has its inbox open. Both readings are `performance.timeOrigin + performance.now()` in the page (one browser process on one machine: one wall clock); the township's in a capturing click listener on the button, the branch's in a MutationObserver when the row with the run's mark enters the DOM, and in the next animation frame (painted). Meanwhile the bench raised {F(b.BackgroundRate, "F0")} whistles/s from all six townships (accepted {F(b.Background?.AcceptedPerSecond ?? double.NaN)}/s, raise → push p50 {F(b.Background?.Dispatch.P50 ?? double.NaN)} ms, p99 {F(b.Background?.Dispatch.P99 ?? double.NaN)} ms).");
            s.AppendLine();
            s.AppendLine("| click → | runs | p50 ms | p90 ms | p99 ms | max ms |");
            s.AppendLine("|---|---:|---:|---:|---:|---:|");
            s.AppendLine(CultureInfo.InvariantCulture, $"| row in the branch's DOM | {b.ClickToRow.Count} | {F(b.ClickToRow.P50, "F0")} | {F(b.ClickToRow.P90, "F0")} | {F(b.ClickToRow.P99, "F0")} | {F(b.ClickToRow.Max, "F0")} |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| **row painted (next frame)** | {b.ClickToFrame.Count} | {F(b.ClickToFrame.P50, "F0")} | {F(b.ClickToFrame.P90, "F0")} | {F(b.ClickToFrame.P99, "F0")} | {F(b.ClickToFrame.Max, "F0")} |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| township's page shows the new whistle (its own round trip) | {b.ClickToDetail.Count} | {F(b.ClickToDetail.P50, "F0")} | {F(b.ClickToDetail.P90, "F0")} | {F(b.ClickToDetail.P99, "F0")} | {F(b.ClickToDetail.Max, "F0")} |");
            if (b.Error is not null) s.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Stopped early: {b.Error}");
            s.AppendLine();
        }

        if (r.Embedded is { } e)
        {
            s.AppendLine("## The embedded way (one process: SQLite, in-memory bus, dispatcher in-process)");
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"Light load ({F(e.Light.OfferedRate, "F0")}/s): raise → branch's push p50 **{F(e.Light.Dispatch.P50, "F2")} ms**, p99 {F(e.Light.Dispatch.P99, "F2")} ms; report → township push p50 {F(e.Light.Report.P50, "F2")} ms, p99 {F(e.Light.Report.P99, "F2")} ms. Floor sum on the dispatch path (HTTP + 2 commits + push; the in-memory bus has no hop to measure): p50 {F(e.FloorSumP50, "F2")} ms ({F(e.Light.Dispatch.P50 / e.FloorSumP50, "F1")}×), p99 {F(e.FloorSumP99, "F2")} ms ({F(e.Light.Dispatch.P99 / e.FloorSumP99, "F1")}×).");
            if (e.PacedFloorSumP50 is { } p50 && e.PacedFloorSumP99 is { } p99)
            {
                s.AppendLine();
                s.AppendLine(CultureInfo.InvariantCulture, $"Against the same floors measured one every {F(r.Floors.PaceMs, "F0")} ms (each from idle, as at light load): p50 {F(p50, "F2")} ms ({F(e.Light.Dispatch.P50 / p50, "F1")}×), p99 {F(p99, "F2")} ms ({F(e.Light.Dispatch.P99 / p99, "F1")}×).");
            }
            s.AppendLine();
            PhaseTable(s, e.Sweep);
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"**Saturation, embedded: {F(e.Saturation, "F0")} whistles/s** (same criteria as the distributed sweep).");
            s.AppendLine();
        }

        if (r.Parallel is { } p)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"## Parallel progress: {F(p.DelayMs, "0.#")} ms each way on the broker link");
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"A TCP proxy in the bench sits between every Api and Dispatcher process and RabbitMQ (`Whistle.Bench/LatencyProxy.cs`): each chunk read from one side is written to the other {F(p.DelayMs, "0.#")} ms after it was read, in order, in both directions; chunks do not wait for each other (latency, not less bandwidth). Delay each chunk actually got: p50 {F(p.AddedDelay.P50, "F2")} ms, p99 {F(p.AddedDelay.P99, "F2")} ms ({p.AddedDelay.Count} chunks). Through it, the raw publish → confirm floor is p50 {F(p.ProxiedConfirm.P50, "F2")} ms (p99 {F(p.ProxiedConfirm.P99, "F2")}), publish → consume p50 {F(p.ProxiedHop.P50, "F2")} ms. The same sweep (steps of the same length) runs with 1 Api + 1 dispatcher and with 2 Apis + 2 dispatchers (each Api and each dispatcher has its own relay; townships' requests alternate between the Apis), each arm on a cluster of its own started fresh (a new database and virtual host, every process from the start, warmed up at {F(p.WarmRate, "0.#")}/s for {p.WarmSteps} {(p.WarmSteps == 1 ? "step" : "steps")} before its sweep, not recorded), {(p.TwoFirst ? "2 + 2 first" : "1 + 1 first")}.");
            s.AppendLine();
            s.AppendLine("1 Api + 1 dispatcher:");
            s.AppendLine();
            PhaseTable(s, p.One);
            s.AppendLine();
            s.AppendLine("2 Apis + 2 dispatchers:");
            s.AppendLine();
            PhaseTable(s, p.Two);
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"**{F(p.SaturationTwo, "0.#")} against {F(p.SaturationOne, "0.#")} whistles/s: {F(p.Ratio, "F2")}×** (target 1.6×, goal 1.9×).");
            if (parallelSvg is not null) s.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"![parallel progress]({parallelSvg})");
            s.AppendLine();
        }

        foreach (var st in r.Stages)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"## Where the time goes: stages of raise → lead branch's push, {st.Phase} ({F(st.OfferedRate, "F0")} whistles/s)");
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"From the OpenTelemetry spans the Api and the Dispatcher exported (OTLP to a receiver in the bench) for {st.Whistles} sampled whistles ({st.Complete} with a complete chain), on a cluster of its own that exports spans (so its end-to-end figure, p50 {F(st.EndToEnd.P50, "F2")} ms, p99 {F(st.EndToEnd.P99, "F2")} ms, includes the exporters' cost). The chain runs from the Api's push span up its parents to the raise request; times are the machine's one wall clock (the bench's own send and receive are put on it). The push was published by the relay of: {st.RelayedBy}. Phase: {st.Note}");
            s.AppendLine();
            s.AppendLine("| stage | what | p50 ms | p90 ms | p99 ms | mean ms |");
            s.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var row in st.Stages) s.AppendLine(CultureInfo.InvariantCulture, $"| {row.Stage} | {row.What} | {F(row.Latency.P50, "F2")} | {F(row.Latency.P90, "F2")} | {F(row.Latency.P99, "F2")} | {F(row.Latency.Mean, "F2")} |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| **end to end** | the bench's own measure | {F(st.EndToEnd.P50, "F2")} | {F(st.EndToEnd.P90, "F2")} | {F(st.EndToEnd.P99, "F2")} | {F(st.EndToEnd.Mean, "F2")} |");
            s.AppendLine();
            if (st.WritesPerCommit is { } sizes)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"SQLite's writes shared their commits: {sizes} (the `db commit` spans of the sampled traces).");
                s.AppendLine();
            }

            s.AppendLine("<details><summary>Span durations (all spans of the sampled whistles)</summary>");
            s.AppendLine();
            s.AppendLine("| span | count | p50 ms | p99 ms | mean ms |");
            s.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var row in st.Spans) s.AppendLine(CultureInfo.InvariantCulture, $"| {row.Stage} | {row.Latency.Count} | {F(row.Latency.P50, "F2")} | {F(row.Latency.P99, "F2")} | {F(row.Latency.Mean, "F2")} |");
            s.AppendLine();
            s.AppendLine("</details>");
            s.AppendLine();
        }

        if (r.Profiles.Count > 0)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"## Profile at {F(r.Profiled?.OfferedRate ?? double.NaN, "F0")} whistles/s (dotnet-counters, dotnet-trace)");
            s.AppendLine();
            if (r.Profiled is { } pr) s.AppendLine(CultureInfo.InvariantCulture, $"The phase under the tools: {Bench.Describe(pr).Trim()}; CPU s {Cpu(pr)}.");
            s.AppendLine();
            foreach (var prof in r.Profiles)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"### {prof.Process}");
                s.AppendLine();
                if (prof.Error is not null) s.AppendLine(CultureInfo.InvariantCulture, $"Tool trouble: {prof.Error}").AppendLine();
                s.AppendLine("| counter | mean | max |");
                s.AppendLine("|---|---:|---:|");
                foreach (var c in prof.Counters.Where(c => Interesting(c.Name))) s.AppendLine(CultureInfo.InvariantCulture, $"| {c.Name} | {F(c.Mean, "0.###")} | {F(c.Max, "0.###")} |");
                s.AppendLine();
                if (prof.Busy is { } busy && busy.BusyMs > 0)
                {
                    s.AppendLine(CultureInfo.InvariantCulture, $"Thread time sampled: {F(busy.TotalMs / 1000, "F1")} s over all threads, of which waiting {F(100 * busy.WaitingMs / busy.TotalMs, "F0")}% (a wait frame at the leaf); busy {F(busy.BusyMs / 1000, "F2")} s (the process's CPU time in the same phase: see the phase line above).");
                    s.AppendLine();
                    s.AppendLine("| busy: by assembly, inclusive (on the stack) | share of busy | | busy: by assembly, exclusive (the leaf) | share of busy |");
                    s.AppendLine("|---|---:|---|---|---:|");
                    for (var i = 0; i < Math.Max(busy.ByAssemblyInclusive.Count, busy.ByAssemblyExclusive.Count) && i < 15; i++)
                    {
                        var inc = i < busy.ByAssemblyInclusive.Count ? busy.ByAssemblyInclusive[i] : null;
                        var exc = i < busy.ByAssemblyExclusive.Count ? busy.ByAssemblyExclusive[i] : null;
                        s.AppendLine(CultureInfo.InvariantCulture, $"| {inc?.Name} | {(inc is null ? string.Empty : F(100 * inc.Ms / busy.BusyMs, "F1") + "%")} | | {exc?.Name} | {(exc is null ? string.Empty : F(100 * exc.Ms / busy.BusyMs, "F1") + "%")} |");
                    }

                    s.AppendLine();
                    s.AppendLine("| busy: leaf frame | share of busy |");
                    s.AppendLine("|---|---:|");
                    foreach (var leaf in busy.TopLeaves.Take(15)) s.AppendLine(CultureInfo.InvariantCulture, $"| `{Speedscope.Short(leaf.Name).Replace("|", "\\|", StringComparison.Ordinal)}` | {F(100 * leaf.Ms / busy.BusyMs, "F1")}% |");
                    s.AppendLine();
                }

                s.AppendLine("<details><summary>dotnet-trace report … topN (exclusive thread time, waits included)</summary>");
                s.AppendLine();
                s.AppendLine("```");
                s.AppendLine(prof.TopExclusive);
                s.AppendLine("```");
                s.AppendLine();
                s.AppendLine("</details>");
                s.AppendLine();
            }
        }
    }

    private static bool Interesting(string name) =>
        new[] { "cpu", "gc", "heap", "alloc", "thread", "lock", "contention", "queue", "exception", "request", "connection", "working_set", "working set", "whistle" }
            .Any(k => name.Contains(k, StringComparison.OrdinalIgnoreCase));

    private static string Cpu(PhaseResult p) => string.Join(", ", p.CpuSeconds.Select(c => $"{c.Key} {F(c.Value)}"));
}
