using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Whistle.Bench;

public sealed record Ratios(double DispatchFloorP50, double DispatchFloorP99, double ReportFloorP50, double ReportFloorP99, double DispatchP50, double DispatchP99, double ReportP50, double ReportP99);

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
    List<PhaseResult> ScaleOut);

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

    public static Ratios? RatiosOf(FloorResults floors, PhaseResult? light)
    {
        if (light is null) return null;
        var d50 = floors.DispatchPath(s => s.P50);
        var d99 = floors.DispatchPath(s => s.P99);
        var r50 = floors.ReportPath(s => s.P50);
        var r99 = floors.ReportPath(s => s.P99);
        return new Ratios(d50, d99, r50, r99, light.Dispatch.P50 / d50, light.Dispatch.P99 / d99, light.Report.P50 / r50, light.Report.P99 / r99);
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
            s.AppendLine(CultureInfo.InvariantCulture, $"dispatch path floor sum (HTTP + 2 commits + 2 broker hops + push): p50 {F(ratio.DispatchFloorP50, "F2")} ms, p99 {F(ratio.DispatchFloorP99, "F2")} ms → ratio p50 {F(ratio.DispatchP50, "F2")}× (target ≤ 1.5), p99 {F(ratio.DispatchP99, "F2")}× (target ≤ 2.5)");
            s.AppendLine(CultureInfo.InvariantCulture, $"report path floor sum (HTTP + commit + broker hop + push):          p50 {F(ratio.ReportFloorP50, "F2")} ms, p99 {F(ratio.ReportFloorP99, "F2")} ms → ratio p50 {F(ratio.ReportP50, "F2")}× (target ≤ 1.5), p99 {F(ratio.ReportP99, "F2")}× (target ≤ 2.5)");
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

        return s.ToString();
    }

    public static void Write(BenchReport r, Bench bench, string folder, string stem, string? notes)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, stem + ".json"), JsonSerializer.Serialize(r, Json) + "\n");

        var latencySvg = stem + "-latency.svg";
        var rateSvg = stem + "-rate.svg";
        var series = new List<Svg.Series>();
        var markers = new List<Svg.Marker>();
        if (bench.Raw.TryGetValue("light", out var light))
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
            if (bench.Raw.TryGetValue(c.Probe.Name, out var raw)) series.Add(new Svg.Series($"dispatch, {c.Connected} conns", connectionPalette[r.Connections.IndexOf(c) % connectionPalette.Length], Svg.Cdf(raw.Dispatch), Dashed: true));
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

        File.WriteAllText(Path.Combine(folder, rateSvg), Svg.LinePlot("Raise → dispatched push against the offered rate", "offered rate, whistles/s", "latency, ms (log scale)", rateSeries, logX: false, logY: true));

        File.WriteAllText(Path.Combine(folder, stem + ".md"), Markdown(r, stem, latencySvg, rateSvg, notes));
    }

    private static string Markdown(BenchReport r, string stem, string latencySvg, string rateSvg, string? notes)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"# Whistle benchmark, {r.Date}{(r.Settings.Quick ? " (quick)" : string.Empty)}");
        s.AppendLine();
        s.AppendLine("Written by `dotnet run --project Whistle.Bench -c Release" + (r.Settings.Quick ? " -- --quick" : string.Empty) + "` (see docs/ARCHITECTURE.md, Whistle.Bench). " +
            "Every figure below comes from one run on one machine: the whole pipeline and the floors of its parts side by side, so the ratios mean something even where the machine was busy.");
        s.AppendLine();
        s.AppendLine("## Machine and settings");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {r.Machine.Cores} cores, {r.Machine.CpuModel}, {r.Machine.RamGiB} GiB RAM, {r.Machine.Os} (kernel {r.Machine.Kernel}), {r.Machine.Dotnet}; open-file limit {r.OpenFilesLimit}.");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1 min) before the run {F(r.LoadBefore[0], "F2")}; during the run mean {F(r.LoadDuringMean, "F2")}, max {F(r.LoadDuringMax, "F2")}. The load generator, RabbitMQ 3.10, every Api and Dispatcher process and (on this shared machine) other engineers' builds share the cores.");
        s.AppendLine("- System: RabbitMQ on 127.0.0.1:5672 (a virtual host of the run's own, deleted afterwards), Whistle.Api and Whistle.Dispatcher as separate processes from their Release build, one SQLite file (WAL) shared by all, `Whistle:Auth:RaisesPerMinute` at its maximum, 10,000 per account (6 accounts: up to 1,000 whistles/s), logging at Warning, workstation GC.");
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
            s.AppendLine("| path | floors on it | floor sum p50 / p99, ms | pipeline p50 / p99, ms | ratio p50 (target ≤ 1.5) | ratio p99 (target ≤ 2.5) |");
            s.AppendLine("|---|---|---:|---:|---:|---:|");
            s.AppendLine(CultureInfo.InvariantCulture, $"| raise → dispatched push | HTTP + commit (Api) + broker hop (WhistleRaised → dispatcher) + commit (dispatcher) + broker hop (WhistleEventRecorded → Api) + push | {F(ratio.DispatchFloorP50, "F2")} / {F(ratio.DispatchFloorP99, "F2")} | {F(r.Light!.Dispatch.P50, "F2")} / {F(r.Light.Dispatch.P99, "F2")} | {F(ratio.DispatchP50, "F2")}× | {F(ratio.DispatchP99, "F2")}× |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| report → township push | HTTP + commit (Api) + broker hop (WhistleEventRecorded → Api) + push | {F(ratio.ReportFloorP50, "F2")} / {F(ratio.ReportFloorP99, "F2")} | {F(r.Light.Report.P50, "F2")} / {F(r.Light.Report.P99, "F2")} | {F(ratio.ReportP50, "F2")}× | {F(ratio.ReportP99, "F2")}× |");
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

        if (!string.IsNullOrWhiteSpace(notes))
        {
            s.AppendLine(notes.TrimEnd());
            s.AppendLine();
        }

        s.AppendLine(CultureInfo.InvariantCulture, $"Raw figures: [{stem}.json]({stem}.json).");
        return s.ToString();
    }

    private static string Cpu(PhaseResult p) => string.Join(", ", p.CpuSeconds.Select(c => $"{c.Key} {F(c.Value)}"));
}
