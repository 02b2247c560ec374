using System.Globalization;

namespace Whistle.Bench;

/// <summary>
/// Whistle.Bench: the whole pipeline against the floors of its parts, in one run (issue 6).
/// <c>dotnet run --project Whistle.Bench -c Release -- [--quick] [--attach http://127.0.0.1:5080[,…] [--db file]] [--out folder] [--name stem] [--label text] [--notes file]</c>
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--idle-helper", var helperApi, var helperCount, var helperAccounts])
        {
            return await IdleHelpers.RunAsync(new Uri(helperApi), int.Parse(helperCount, CultureInfo.InvariantCulture), helperAccounts.Split(','));
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

        var filesLimit = Machine.RaiseOpenFiles(200_000);
        var loadBefore = Machine.LoadAverage();
        Console.WriteLine($"Whistle.Bench {(quick ? "--quick " : string.Empty)}: load average {string.Join(' ', loadBefore)}, open files {filesLimit}");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var ct = cancel.Token;

        Cluster? cluster = null;
        try
        {
            cluster = new Cluster(root, rabbitHost, rabbitPort) { KeepData = args.Contains("--keep-data") };
            await cluster.CreateVirtualHostAsync();
            Console.WriteLine($"virtual host {cluster.VirtualHost}, data folder {cluster.DataFolder}");
            List<Uri> apis;
            string? databaseFile;
            if (attach is null)
            {
                await cluster.StartApiAsync(ct);
                cluster.StartDispatcher();
                apis = [.. cluster.ApiUrls];
                databaseFile = cluster.DatabaseFile;
                Console.WriteLine($"started {cluster.Apis[0].Name} (pid {cluster.Apis[0].Pid}) at {apis[0]}, {cluster.Dispatchers[0].Name} (pid {cluster.Dispatchers[0].Pid})");
            }
            else
            {
                apis = [.. attach.Split(',').Select(u => new Uri(u))];
                databaseFile = Arg("--db");
            }

            Console.WriteLine("floors …");
            var floors = await Floors.MeasureAsync(rabbitHost, rabbitPort, cluster.VirtualHost, settings.FloorSamples, ct);

            await using var clients = new Clients(apis);
            await clients.ConnectListenersAsync(0, ct);
            var bench = new Bench(settings, clients, attach is null ? cluster : null, databaseFile, Console.Out);
            await bench.WarmUpAsync(ct);
            var light = await bench.LightAsync(ct);
            Console.WriteLine(Bench.Describe(light));
            var sweep = await bench.SweepAsync(ct);
            var saturation = sweep.Where(p => p.Sustained).Select(p => p.OfferedRate).DefaultIfEmpty(0).Max();
            var connections = settings.ConnectionCounts.Length > 0 ? await bench.ConnectionsAsync(ct) : [];
            var scaleOut = settings.ScaleOut ? await bench.ScaleOutAsync(Math.Max(saturation, 20), ct) : [];

            var during = bench.LoadSamples.Select(l => l[0]).Where(double.IsFinite).DefaultIfEmpty(double.NaN).ToList();
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
                Report.RatiosOf(floors, light),
                sweep,
                saturation,
                connections,
                scaleOut);
            Console.WriteLine();
            Console.WriteLine(Report.Table(report));
            var notes = notesFile is not null && File.Exists(notesFile) ? await File.ReadAllTextAsync(notesFile, ct) : null;
            Report.Write(report, bench, output, stem, notes);
            Console.WriteLine($"written: {Path.Combine(output, stem)}.md / .json / -latency.svg / -rate.svg");
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
        }
    }
}
