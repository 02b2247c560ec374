using System.Globalization;

namespace Whistle.Bench;

/// <summary>
/// Whistle.Bench: the whole pipeline against the floors of its parts, in one run (issue 6).
/// <c>dotnet run --project Whistle.Bench -c Release -- [--quick] [--database sqlite|postgresql] [--only distributed,browser,connections,scale-out,embedded,parallel,stages,embedded-stages]
/// [--profile [--profile-rate 300] [--tools folder]] [--stages-rate 250] [--statement-log file] [--delay-ms 5] [--rates 100,250,…] [--embedded-rates 300,500,…] [--parallel-rates 20,40,…] [--parallel-first one|two] [--parallel-warm-steps 3] [--attach http://127.0.0.1:5080[,…] [--db file]] [--out folder] [--name stem] [--label text] [--notes file]</c>
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--idle-helper", var helperApi, var helperCount, var helperAccounts])
        {
            return await IdleHelpers.RunAsync(new Uri(helperApi), int.Parse(helperCount, CultureInfo.InvariantCulture), helperAccounts.Split(','));
        }

        if (args is ["--speedscope", var speedscopeFile])
        {
            // A trace taken by hand (dotnet-trace collect … then convert --format Speedscope): where the busy threads were.
            var busy = Speedscope.Analyse(speedscopeFile);
            Console.WriteLine($"thread time {busy.TotalMs / 1000:F1} s, waiting {busy.WaitingMs / 1000:F1} s, busy {busy.BusyMs / 1000:F2} s");
            foreach (var (title, list) in new[] { ("by assembly, inclusive", busy.ByAssemblyInclusive), ("by assembly, exclusive", busy.ByAssemblyExclusive), ("leaf frames", busy.TopLeaves) })
            {
                Console.WriteLine(title + ":");
                foreach (var item in list) Console.WriteLine($"  {100 * item.Ms / busy.BusyMs,5:F1}%  {(title == "leaf frames" ? Speedscope.Short(item.Name) : item.Name)}");
            }

            return 0;
        }

        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var quick = args.Contains("--quick");
        var attach = Arg("--attach");
        var root = Cluster.FindRepositoryRoot();
        var rabbit = (Arg("--rabbit") ?? "127.0.0.1:5672").Split(':');
        var rabbitHost = rabbit[0];
        var rabbitPort = rabbit.Length > 1 ? int.Parse(rabbit[1], CultureInfo.InvariantCulture) : 5672;
        var date = DateTime.Now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var output = Arg("--out") ?? Path.Combine(root, "docs", "benchmarks");
        var stem = Arg("--name") ?? (quick ? $"{date}-quick" : date);
        var notesFile = Arg("--notes");
        var maxConnections = int.Parse(Arg("--max-connections") ?? "20000", CultureInfo.InvariantCulture);
        double[] Doubles(string? s) => s?.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray() ?? [];

        var settings = quick
            ? new BenchSettings(true, attach is not null, 10, 8, Doubles(Arg("--rates")) is { Length: > 0 } qr ? qr : [25, 100], 6, [10, 200], 4, attach is null && !args.Contains("--no-scale-out"), 5, 200, Arg("--label") ?? string.Empty)
            : new BenchSettings(false, attach is not null, 10, 40, Doubles(Arg("--rates")) is { Length: > 0 } fr ? fr : [10, 25, 50, 100, 150, 200, 250, 300, 400, 500, 700, 1000], 15,
                new[] { 10, 1000, 5000, 10000, 19500 }.Where(c => c <= maxConnections).ToArray(), 10, attach is null && !args.Contains("--no-scale-out"), 10, 1000, Arg("--label") ?? string.Empty);
        if (args.Contains("--no-connections")) settings = settings with { ConnectionCounts = [] };

        var database = (Arg("--database") ?? "sqlite").ToLowerInvariant();
        if (database is not ("sqlite" or "postgresql"))
        {
            Console.Error.WriteLine($"--database {database}: sqlite or postgresql.");
            return 2;
        }

        // Which scenarios run: all by default; --only names some (distributed, browser, profile, connections, scale-out, embedded, parallel, stages, embedded-stages).
        var only = Arg("--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        bool Runs(string scenario) => (only is null || only.Contains(scenario)) && (attach is null || scenario is "distributed" or "browser");
        var profile = args.Contains("--profile");
        if (quick) settings = settings with { ScaleOut = settings.ScaleOut && only is not null && only.Contains("scale-out") };
        if (!Runs("connections")) settings = settings with { ConnectionCounts = [] };
        if (!Runs("scale-out")) settings = settings with { ScaleOut = false };

        var filesLimit = Machine.RaiseOpenFiles(200_000);
        var loadBefore = Machine.LoadAverage();
        Console.WriteLine($"Whistle.Bench {(quick ? "--quick " : string.Empty)}(database {database}): load average {string.Join(' ', loadBefore)}, open files {filesLimit}");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var ct = cancel.Token;
        var loadSamples = new List<double[]>();
        var notes = new List<string>();
        BenchPostgres? postgres = null;
        Cluster? cluster = null;
        try
        {
            if (database == "postgresql")
            {
                postgres = await BenchPostgres.StartAsync(ct, Arg("--statement-log"));
                Console.WriteLine($"PostgreSQL: {postgres}");
            }

            // 1. The distributed way (RabbitMQ, Api and Dispatcher processes, SQLite or PostgreSQL): floors, light load,
            //    browser to browser, the rate sweep, the profile, connections, scale-out.
            cluster = new Cluster(root, rabbitHost, rabbitPort, new ClusterOptions { Postgres = postgres }) { KeepData = args.Contains("--keep-data") };
            await cluster.CreateVirtualHostAsync();
            await cluster.CreateDatabaseAsync(ct);
            Console.WriteLine($"virtual host {cluster.VirtualHost}, data folder {cluster.DataFolder}{(cluster.PostgresConnectionString is null ? string.Empty : ", PostgreSQL database " + cluster.PostgresConnectionString)}");
            Console.WriteLine("floors …");
            var floors = await Floors.MeasureAsync(rabbitHost, rabbitPort, cluster.VirtualHost, settings.FloorSamples, postgres, ct);
            // The same floors, one at the light load's spacing: what each part costs when it starts from idle, as at light load.
            var pace = TimeSpan.FromSeconds(1 / settings.LightRate);
            Console.WriteLine($"floors, one every {pace.TotalMilliseconds:F0} ms …");
            floors = floors with { Paced = await Floors.MeasureAsync(rabbitHost, rabbitPort, cluster.VirtualHost, settings.Quick ? 30 : 100, postgres, ct, pace), PaceMs = pace.TotalMilliseconds };

            PhaseResult? light = null;
            List<PhaseResult> sweep = [];
            List<ConnectionPoint> connections = [];
            List<PhaseResult> scaleOut = [];
            BrowserResult? browser = null;
            List<ProcessProfile> profiles = [];
            PhaseResult? profiled = null;
            string? distributedError = null;
            var saturation = 0.0;
            List<Uri> apis;
            var distributedStarted = true;
            if (attach is null)
            {
                try
                {
                    await cluster.StartApiAsync(ct);
                }
                catch (ProcessExitedException e) when (postgres is not null)
                {
                    distributedError = $"Whistle.Api did not start on PostgreSQL (`Whistle:Database:Provider=PostgreSql`): {Cluster.FirstError(e.Output)}";
                    Console.Error.WriteLine(distributedError);
                    distributedStarted = false;
                }

                if (distributedStarted)
                {
                    cluster.StartDispatcher();
                    Console.WriteLine($"started {cluster.Apis[0].Name} (pid {cluster.Apis[0].Pid}) at {cluster.ApiUrls[0]}, {cluster.Dispatchers[0].Name} (pid {cluster.Dispatchers[0].Pid})");
                }

                apis = [.. cluster.ApiUrls];
            }
            else
            {
                apis = [.. attach.Split(',').Select(u => new Uri(u))];
            }

            if (distributedStarted && (Runs("distributed") || Runs("browser") || profile || settings.ConnectionCounts.Length > 0 || settings.ScaleOut))
            {
                await using var clients = new Clients(apis);
                await clients.ConnectListenersAsync(0, ct);
                var attachedDb = Arg("--db");
                Func<Task<long>> backlog = attach is null ? cluster.OutboxBacklogAsync : () => OutboxProbe.BacklogAsync(null, attachedDb);
                var bench = new Bench(settings, clients, attach is null ? cluster : null, backlog, Console.Out);
                await bench.WarmUpAsync(ct);
                light = await bench.LightAsync(ct);
                Console.WriteLine(Bench.Describe(light));
                if (Runs("browser"))
                {
                    browser = await BrowserToBrowser.RunAsync(bench, apis[0], int.Parse(Arg("--browser-runs") ?? (quick ? "5" : "30"), CultureInfo.InvariantCulture), 20, t => Console.WriteLine(t), ct);
                    await Task.Delay(2000, ct);
                }

                if (Runs("distributed")) sweep = await bench.SweepAsync(ct);
                saturation = sweep.Where(p => p.Sustained).Select(p => p.OfferedRate).DefaultIfEmpty(0).Max();
                if (profile && attach is null)
                {
                    var profiler = new Profiler(Arg("--tools") ?? Profiler.DefaultToolsFolder, Path.Combine(Path.GetTempPath(), "whistle-bench-profile-" + DateTime.Now.ToString("HHmmss", CultureInfo.InvariantCulture)));
                    if (!profiler.Available)
                    {
                        notes.Add($"--profile: dotnet-counters and dotnet-trace are not in {Arg("--tools") ?? Profiler.DefaultToolsFolder} (dotnet tool install dotnet-counters --tool-path …; the same for dotnet-trace).");
                    }
                    else
                    {
                        var rate = Arg("--profile-rate") is { } profileRate ? double.Parse(profileRate, CultureInfo.InvariantCulture) : Math.Max(20, saturation);
                        var seconds = quick ? 8 : 15;
                        Console.WriteLine($"profile: dotnet-counters + dotnet-trace on every process at {rate}/s for {seconds} s");
                        var finish = profiler.Start("profile", cluster.Apis.Concat(cluster.Dispatchers).ToList(), TimeSpan.FromSeconds(seconds + 1));
                        await Task.Delay(1500, ct);
                        profiled = await bench.RunPhaseAsync("profile", rate, seconds, reportLead: false, ct);
                        profiles = await finish();
                        Console.WriteLine(Bench.Describe(profiled));
                    }
                }

                connections = settings.ConnectionCounts.Length > 0 ? await bench.ConnectionsAsync(ct) : [];
                scaleOut = settings.ScaleOut ? await bench.ScaleOutAsync(Math.Max(saturation, 20), ct) : [];
                loadSamples.AddRange(bench.LoadSamples);
                await DumpRawAsync(bench);
            }

            await cluster.DisposeAsync();
            cluster = null;

            // 2. The embedded way: one Api process, SQLite, the in-memory bus, the dispatcher in-process.
            EmbeddedResult? embedded = null;
            if (Runs("embedded"))
            {
                embedded = await EmbeddedAsync(root, rabbitHost, rabbitPort, settings, floors, loadSamples, Doubles(Arg("--embedded-rates")), ct);
            }

            // 3. Parallel progress: 5 ms on the broker link, 1 Api + 1 dispatcher against 2 + 2.
            ParallelResult? parallel = null;
            if (Runs("parallel") && distributedError is null)
            {
                parallel = await ParallelAsync(root, rabbitHost, rabbitPort, settings, postgres, double.Parse(Arg("--delay-ms") ?? "5", CultureInfo.InvariantCulture), loadSamples, Doubles(Arg("--parallel-rates")), Arg("--parallel-first") == "two", Arg("--parallel-warm-steps") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : null, ct);
            }

            // 4. Where the time goes: the spans of sampled whistles, per stage.
            // The high load's rate: --stages-rate, or 0.8 × the saturation measured in this run.
            List<StageBreakdown> stages = [];
            double? stagesRate = Arg("--stages-rate") is { } rateArg ? double.Parse(rateArg, CultureInfo.InvariantCulture) : null;
            if (Runs("stages") && distributedError is null)
            {
                stages = await StagesAsync(root, rabbitHost, rabbitPort, settings, postgres, stagesRate ?? StagesHighRate(saturation), loadSamples, ct);
            }

            // The same on the embedded way (one process: SQLite, the in-memory bus, the dispatcher in-process).
            if (Runs("embedded-stages"))
            {
                stages.AddRange(await StagesAsync(root, rabbitHost, rabbitPort, settings, null, stagesRate ?? StagesHighRate(embedded?.Saturation ?? 0), loadSamples, ct, embedded: true));
            }

            var during = loadSamples.Select(l => l[0]).Where(double.IsFinite).DefaultIfEmpty(double.NaN).ToList();
            var report = new BenchReport(
                DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture),
                Machine.Describe(),
                settings,
                loadBefore,
                during.Average(),
                during.Max(),
                filesLimit,
                floors,
                light,
                light is null ? null : Report.RatiosOf(floors, light, postgres is not null && distributedError is null),
                sweep,
                saturation,
                connections,
                scaleOut)
            {
                Database = database,
                PostgresVersion = postgres?.Version,
                DistributedError = distributedError,
                Embedded = embedded,
                Browser = browser,
                Parallel = parallel,
                Stages = stages,
                Profiled = profiled,
                Profiles = profiles,
                Notes = notes,
            };
            Console.WriteLine();
            Console.WriteLine(Report.Table(report));
            var notesText = notesFile is not null && File.Exists(notesFile) ? await File.ReadAllTextAsync(notesFile, ct) : null;
            Report.Write(report, output, stem, notesText);
            Console.WriteLine($"written: {Path.Combine(output, stem)}.md / .json / -latency.svg / -rate.svg");
            if (distributedError is not null)
            {
                Console.Error.WriteLine($"--database postgresql: the distributed scenarios could not run. {distributedError}");
                return 3;
            }

            return 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"Whistle.Bench failed: {e}");
            if (cluster is not null)
            {
                foreach (var p in cluster.Apis.Concat(cluster.Dispatchers))
                {
                    Console.Error.WriteLine($"--- {p.Name} output (tail) ---");
                    var text = p.Output;
                    Console.Error.WriteLine(text.Length > 4000 ? text[^4000..] : text);
                }
            }

            return 1;
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
            if (postgres is not null) await postgres.DisposeAsync();
        }
    }

    /// <summary>Raw samples of every phase so far, for the plots (kept beside the report's phases).</summary>
    public static Dictionary<string, (double[] Dispatch, double[] Report)> Raw { get; } = [];

    private static Task DumpRawAsync(Bench bench)
    {
        foreach (var (k, v) in bench.Raw) Raw[k] = v;
        return Task.CompletedTask;
    }

    private static async Task<EmbeddedResult> EmbeddedAsync(string root, string rabbitHost, int rabbitPort, BenchSettings settings, FloorResults floors, List<double[]> loadSamples, double[] rates, CancellationToken ct)
    {
        await using var cluster = new Cluster(root, rabbitHost, rabbitPort, new ClusterOptions { Embedded = true });
        await cluster.StartApiAsync(ct);
        Console.WriteLine($"embedded: started {cluster.Apis[0].Name} (pid {cluster.Apis[0].Pid}) at {cluster.ApiUrls[0]}: SQLite, in-memory bus, dispatcher in-process");
        await using var clients = new Clients(cluster.ApiUrls);
        await clients.ConnectListenersAsync(0, ct);
        var bench = new Bench(settings, clients, cluster, cluster.OutboxBacklogAsync, Console.Out);
        await bench.WarmUpAsync(ct);
        var light = await bench.RunPhaseAsync("embedded-light", settings.LightRate, settings.Quick ? settings.LightSeconds : 20, reportLead: true, ct);
        Console.WriteLine(Bench.Describe(light));
        var sweep = await bench.SweepAsync("embedded-sweep", rates.Length > 0 ? rates : settings.Quick ? [50, 150] : settings.SweepRates, settings.SweepSeconds, ct);
        loadSamples.AddRange(bench.LoadSamples);
        await DumpRawAsync(bench);
        var saturation = sweep.Where(p => p.Sustained).Select(p => p.OfferedRate).DefaultIfEmpty(0).Max();
        return new EmbeddedResult(light, floors.EmbeddedDispatchPath(s => s.P50), floors.EmbeddedDispatchPath(s => s.P99), sweep, saturation)
        {
            PacedFloorSumP50 = floors.Paced?.EmbeddedDispatchPath(s => s.P50),
            PacedFloorSumP99 = floors.Paced?.EmbeddedDispatchPath(s => s.P99),
        };
    }

    /// <summary>Rates for the sweeps behind the latency proxy: small steps where one ordered stream saturates.</summary>
    private static readonly double[] ParallelRates = [5, 7.5, 10, 12.5, 15, 20, 25, 30, 40, 50, 60, 80, 100, 125, 150, 200, 250, 300];

    private static async Task<ParallelResult> ParallelAsync(string root, string rabbitHost, int rabbitPort, BenchSettings settings, BenchPostgres? postgres, double delayMs, List<double[]> loadSamples, double[] customRates, bool twoFirst, int? warmSteps, CancellationToken ct)
    {
        await using var proxy = new LatencyProxy(rabbitHost, rabbitPort, TimeSpan.FromMilliseconds(delayMs));
        var seconds = settings.Quick ? 5 : 10;
        var rates = customRates.Length > 0 ? customRates : settings.Quick ? new double[] { 10, 20, 40 } : ParallelRates;
        var warmRate = Math.Max(10, Math.Min(100, rates[^1] / 2));
        var warm = warmSteps ?? (settings.Quick ? 1 : 3);
        (LatencySummary Hop, LatencySummary Confirm)? floors = null;

        // Each arm is a cluster of its own, started fresh: a new database and virtual host, every process from the
        // start and warmed up alike before its sweep. (Until 2026-12-03 the second pair was started beside the first
        // after the first's sweep, and its first steps measured its start-up: the new Api used a whole core.)
        async Task<List<PhaseResult>> ArmAsync(int pairs)
        {
            await using var cluster = new Cluster(root, "127.0.0.1", rabbitPort, new ClusterOptions { BrokerPort = proxy.Port, Postgres = postgres });
            await cluster.CreateVirtualHostAsync();
            await cluster.CreateDatabaseAsync(ct);
            if (floors is null)
            {
                floors = await Floors.BrokerAsync("127.0.0.1", proxy.Port, cluster.VirtualHost, settings.Quick ? 100 : 300, ct);
                Console.WriteLine($"parallel: {delayMs} ms each way on the broker link (proxy :{proxy.Port}); publish → confirm through it p50 {floors.Value.Confirm.P50:F2} ms");
            }

            for (var i = 0; i < pairs; i++)
            {
                await cluster.StartApiAsync(ct);
                cluster.StartDispatcher();
            }

            Console.WriteLine($"parallel: {pairs} Api(s) + {pairs} dispatcher(s) started on a fresh cluster");
            await using var clients = new Clients(cluster.ApiUrls);
            for (var i = 0; i < pairs; i++) await clients.ConnectListenersAsync(i, ct);
            var bench = new Bench(settings, clients, cluster, cluster.OutboxBacklogAsync, Console.Out);
            await bench.WarmUpAsync(ct);
            // JIT, pools and the push queue of every process warmed at a rate either arm carries, not recorded: three
            // steps by default (one in a quick run), for a fresh process tiers up its code for some 40 s, longer when
            // four share two cores (docs/benchmarks/2026-12-03-parallel.md).
            for (var i = 0; i < warm; i++)
            {
                await bench.RunPhaseAsync($"warm-up-{pairs}", warmRate, seconds, reportLead: false, ct);
            }

            await Task.Delay(2000, ct);
            var sweep = await bench.SweepAsync(pairs == 1 ? "parallel-1api-1disp" : "parallel-2api-2disp", rates, seconds, ct);
            loadSamples.AddRange(bench.LoadSamples);
            await DumpRawAsync(bench);
            return sweep;
        }

        List<PhaseResult> one, two;
        if (twoFirst)
        {
            two = await ArmAsync(2);
            one = await ArmAsync(1);
        }
        else
        {
            one = await ArmAsync(1);
            two = await ArmAsync(2);
        }

        double Saturation(List<PhaseResult> r) => r.Where(p => p.Sustained).Select(p => p.OfferedRate).DefaultIfEmpty(0).Max();
        var s1 = Saturation(one);
        var s2 = Saturation(two);
        return new ParallelResult(delayMs, floors!.Value.Hop, floors.Value.Confirm, proxy.Added.Summarize(0), one, two, s1, s2, s1 > 0 ? s2 / s1 : double.NaN)
        {
            TwoFirst = twoFirst,
            WarmRate = warmRate,
            WarmSteps = warm,
        };
    }

    /// <summary>The high load the stage breakdown runs at unless --stages-rate names one: 0.8 × the saturation measured
    /// (at least 100/s's), rounded to tens.</summary>
    private static double StagesHighRate(double saturation) => Math.Max(20, Math.Round(Math.Max(saturation, 100) * 0.8 / 10) * 10);

    private static async Task<List<StageBreakdown>> StagesAsync(string root, string rabbitHost, int rabbitPort, BenchSettings settings, BenchPostgres? postgres, double highRate, List<double[]> loadSamples, CancellationToken ct, bool embedded = false)
    {
        await using var collector = await SpanCollector.StartAsync(ct);
        await using var cluster = new Cluster(root, rabbitHost, rabbitPort, new ClusterOptions { Postgres = postgres, Embedded = embedded, ExtraEnvironment = collector.Environment });
        if (!embedded)
        {
            await cluster.CreateVirtualHostAsync();
            await cluster.CreateDatabaseAsync(ct);
        }

        await cluster.StartApiAsync(ct);
        if (!embedded) cluster.StartDispatcher();
        Console.WriteLine($"stages{(embedded ? " (embedded)" : string.Empty)}: the processes export spans to {collector.Url} (OTLP/HTTP); the bench samples the traces it starts");
        await using var clients = new Clients(cluster.ApiUrls) { TraceSampleEvery = 1 };
        await clients.ConnectListenersAsync(0, ct);
        var bench = new Bench(settings, clients, cluster, cluster.OutboxBacklogAsync, Console.Out);
        await bench.WarmUpAsync(ct);
        var results = new List<StageBreakdown>();
        async Task Phase(string name, double rate, double seconds, int every)
        {
            clients.TraceSampleEvery = every;
            var clockPair = StageAnalysis.ClockPair();
            var fromNs = UnixNs();
            var phase = await bench.RunPhaseAsync(name, rate, seconds, reportLead: false, ct);
            var toNs = UnixNs();
            await Task.Delay(2500, ct);   // the exporters' last batches
            var breakdown = StageAnalysis.Analyse(name, rate, bench.LastMeasurement!, collector, clockPair, embedded) with
            {
                Note = Bench.Describe(phase).Trim(),
                WritesPerCommit = CommitSizes.Of(collector, fromNs, toNs),
            };
            results.Add(breakdown);
            Console.WriteLine($"  {name}: {breakdown.Complete} of {breakdown.Whistles} sampled whistles with a complete chain; {collector.Received} spans received so far");
            if (breakdown.WritesPerCommit is { } sizes) Console.WriteLine($"  {name}: {sizes}");
            static long UnixNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        }

        var prefix = embedded ? "embedded-" : string.Empty;
        await Phase(prefix + "stages-light", settings.LightRate, settings.Quick ? 6 : 20, 1);
        await Phase(prefix + "stages-high", highRate, settings.Quick ? 6 : 15, settings.Quick ? 5 : 10);
        loadSamples.AddRange(bench.LoadSamples);
        return results;
    }
}

public sealed record EmbeddedResult(PhaseResult Light, double FloorSumP50, double FloorSumP99, List<PhaseResult> Sweep, double Saturation)
{
    /// <summary>The floor sum of the floors measured at the light load's spacing (<see cref="FloorResults.Paced"/>).</summary>
    public double? PacedFloorSumP50 { get; init; }

    public double? PacedFloorSumP99 { get; init; }
}

public sealed record ParallelResult(double DelayMs, LatencySummary ProxiedHop, LatencySummary ProxiedConfirm, LatencySummary AddedDelay, List<PhaseResult> One, List<PhaseResult> Two, double SaturationOne, double SaturationTwo, double Ratio)
{
    /// <summary>The 2 + 2 arm ran first (<c>--parallel-first two</c>); alternate the order between runs.</summary>
    public bool TwoFirst { get; init; }

    /// <summary>The rate each arm's processes warmed up at, not recorded, before its sweep.</summary>
    public double WarmRate { get; init; }

    /// <summary>How many steps of <see cref="WarmRate"/> each arm warmed up for.</summary>
    public int WarmSteps { get; init; }
}
