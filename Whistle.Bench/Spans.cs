using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Whistle.Bench;

/// <summary>One span as the processes exported it (OTLP), times in Unix nanoseconds (the machine's one wall clock).</summary>
public sealed record SpanRecord(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, long StartNs, long EndNs, string Service, IReadOnlyDictionary<string, string> Attributes)
{
    public double DurationMs => (EndNs - StartNs) / 1e6;
}

/// <summary>
/// An OTLP/HTTP receiver inside the bench (<c>POST /v1/traces</c>, protobuf), for the stage breakdown: the processes
/// export with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> pointing here (<c>http/protobuf</c>); metrics and logs sent along are
/// accepted and dropped. The protobuf is read by hand (the few fields of opentelemetry/proto/trace/v1 that are needed).
/// </summary>
public sealed class SpanCollector : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SpanCollector(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public ConcurrentDictionary<string, ConcurrentBag<SpanRecord>> ByTrace { get; } = new();

    public long Received;

    public static async Task<SpanCollector> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        SpanCollector? collector = null;
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            foreach (var span in Otlp.ReadTraces(buffer.ToArray()))
            {
                Interlocked.Increment(ref collector!.Received);
                collector.ByTrace.GetOrAdd(span.TraceId, _ => []).Add(span);
            }

            return Results.Bytes([], "application/x-protobuf");
        });
        app.MapPost("/v1/metrics", () => Results.Bytes([], "application/x-protobuf"));
        app.MapPost("/v1/logs", () => Results.Bytes([], "application/x-protobuf"));
        await app.StartAsync(ct);
        collector = new SpanCollector(app, app.Urls.First());
        return collector;
    }

    /// <summary>The environment that makes a Whistle process export its spans here, quickly.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Url,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "500",
        ["OTEL_BSP_MAX_QUEUE_SIZE"] = "65536",
        ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "2048",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "600000",
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The protobuf wire format, as much of OTLP's ExportTraceServiceRequest as the stage breakdown reads.</summary>
public static class Otlp
{
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public readonly bool More => _pos < _data.Length;

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = _data[_pos++];
                value |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return value;
            }
        }

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = (int)Varint();
            var slice = _data.Slice(_pos, length);
            _pos += length;
            return slice;
        }

        public ulong Fixed64()
        {
            var v = BitConverter.ToUInt64(_data.Slice(_pos, 8));
            _pos += 8;
            return v;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _pos += 8; break;
                case 2: Bytes(); break;
                case 5: _pos += 4; break;
                default: throw new InvalidDataException($"Unsupported protobuf wire type {wire}.");
            }
        }
    }

    public static List<SpanRecord> ReadTraces(byte[] body)
    {
        var spans = new List<SpanRecord>();
        var request = new Reader(body);
        while (request.More)
        {
            var (field, wire) = request.Tag();
            if (field == 1 && wire == 2) ReadResourceSpans(request.Bytes(), spans);
            else request.Skip(wire);
        }

        return spans;
    }

    private static void ReadResourceSpans(ReadOnlySpan<byte> data, List<SpanRecord> spans)
    {
        var service = string.Empty;
        var scopes = new List<byte[]>();
        var r = new Reader(data);
        while (r.More)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2)
            {
                var attributes = ReadAttributes(r.Bytes(), 1);
                if (attributes.TryGetValue("service.name", out var name)) service = name;
                if (attributes.TryGetValue("service.instance.id", out var instance)) service += "@" + instance;
            }
            else if (field == 2 && wire == 2)
            {
                scopes.Add(r.Bytes().ToArray());
            }
            else
            {
                r.Skip(wire);
            }
        }

        foreach (var scope in scopes)
        {
            var s = new Reader(scope);
            while (s.More)
            {
                var (field, wire) = s.Tag();
                if (field == 2 && wire == 2) spans.Add(ReadSpan(s.Bytes(), service));
                else s.Skip(wire);
            }
        }
    }

    private static SpanRecord ReadSpan(ReadOnlySpan<byte> data, string service)
    {
        string traceId = string.Empty, spanId = string.Empty, parent = string.Empty, name = string.Empty;
        var kind = 0;
        long start = 0, end = 0;
        var attributes = new Dictionary<string, string>();
        var r = new Reader(data);
        while (r.More)
        {
            var (field, wire) = r.Tag();
            switch (field)
            {
                case 1 when wire == 2: traceId = Convert.ToHexStringLower(r.Bytes()); break;
                case 2 when wire == 2: spanId = Convert.ToHexStringLower(r.Bytes()); break;
                case 4 when wire == 2: parent = Convert.ToHexStringLower(r.Bytes()); break;
                case 5 when wire == 2: name = Encoding.UTF8.GetString(r.Bytes()); break;
                case 6 when wire == 0: kind = (int)r.Varint(); break;
                case 7 when wire == 1: start = (long)r.Fixed64(); break;
                case 8 when wire == 1: end = (long)r.Fixed64(); break;
                case 9 when wire == 2:
                    foreach (var (k, v) in ReadKeyValue(r.Bytes())) attributes[k] = v;
                    break;
                default: r.Skip(wire); break;
            }
        }

        return new SpanRecord(traceId, spanId, parent, name, kind, start, end, service, attributes);
    }

    /// <summary>The KeyValue messages at <paramref name="field"/> of a message (Resource.attributes is field 1).</summary>
    private static Dictionary<string, string> ReadAttributes(ReadOnlySpan<byte> data, int field)
    {
        var result = new Dictionary<string, string>();
        var r = new Reader(data);
        while (r.More)
        {
            var (f, wire) = r.Tag();
            if (f == field && wire == 2)
            {
                foreach (var (k, v) in ReadKeyValue(r.Bytes())) result[k] = v;
            }
            else
            {
                r.Skip(wire);
            }
        }

        return result;
    }

    private static IEnumerable<(string, string)> ReadKeyValue(ReadOnlySpan<byte> data)
    {
        string key = string.Empty, value = string.Empty;
        var r = new Reader(data);
        while (r.More)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2) key = Encoding.UTF8.GetString(r.Bytes());
            else if (field == 2 && wire == 2) value = ReadAnyValue(r.Bytes());
            else r.Skip(wire);
        }

        return [(key, value)];
    }

    private static string ReadAnyValue(ReadOnlySpan<byte> data)
    {
        var r = new Reader(data);
        while (r.More)
        {
            var (field, wire) = r.Tag();
            switch (field)
            {
                case 1 when wire == 2: return Encoding.UTF8.GetString(r.Bytes());
                case 2 when wire == 0: return r.Varint() != 0 ? "true" : "false";
                case 3 when wire == 0: return ((long)r.Varint()).ToString(System.Globalization.CultureInfo.InvariantCulture);
                case 4 when wire == 1: return BitConverter.Int64BitsToDouble((long)r.Fixed64()).ToString(System.Globalization.CultureInfo.InvariantCulture);
                default: r.Skip(wire); break;
            }
        }

        return string.Empty;
    }
}

/// <summary>One stage of raise → dispatched push, over the sampled whistles of a phase.</summary>
public sealed record StageRow(string Stage, string What, LatencySummary Latency);

/// <summary>The stage breakdown of one phase.</summary>
public sealed record StageBreakdown(string Phase, double OfferedRate, int Whistles, int Complete, LatencySummary EndToEnd, List<StageRow> Stages, List<StageRow> Spans, List<string> SpanNames, string? Note)
{
    /// <summary>Which process's relay published the lead branch's AssignmentDispatched event (the outbox is one stream: any relay may).</summary>
    public string RelayedBy { get; init; } = string.Empty;

    /// <summary>SQLite: how many writes each commit held (the <c>db commit</c> spans of the sampled traces); null elsewhere.</summary>
    public CommitSizes? WritesPerCommit { get; init; }
}

/// <summary>How many writes the SQLite commits of a phase held (<c>whistle.batch.writes</c> of its <c>db commit</c> spans).</summary>
public sealed record CommitSizes(int Commits, double Mean, int P50, int P90, int Max, double ShareAlone)
{
    /// <summary>The <c>db commit</c> spans the processes exported that began in [<paramref name="fromNs"/>, <paramref name="toNs"/>] (Unix ns); null when none.</summary>
    public static CommitSizes? Of(SpanCollector collector, long fromNs, long toNs)
    {
        var sizes = collector.ByTrace.Values.SelectMany(spans => spans)
            .Where(s => s.Name == "db commit" && s.StartNs >= fromNs && s.StartNs <= toNs)
            .Select(s => s.Attributes.TryGetValue("whistle.batch.writes", out var writes) && int.TryParse(writes, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1)
            .Where(n => n >= 0)
            .Order()
            .ToList();
        return sizes.Count == 0
            ? null
            : new CommitSizes(sizes.Count, sizes.Average(), sizes[sizes.Count / 2], sizes[Math.Min(sizes.Count - 1, (int)(sizes.Count * 0.9))], sizes[^1], sizes.Count(n => n <= 1) / (double)sizes.Count);
    }

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Commits} sampled commits: {Mean:F1} writes a commit on average, p50 {P50}, p90 {P90}, max {Max}; {ShareAlone:P0} with one write or none");
}

/// <summary>
/// Splits raise → the lead branch's AssignmentDispatched push into stages from the spans of each sampled whistle: the
/// chain of spans from the Api's push span up its parents to the raise request (one trace per whistle: the relay
/// continues the trace of whatever wrote the outbox row), plus the bench's own send and receive times, put on the same
/// wall clock (Stopwatch ↔ UTC taken together once per phase).
/// </summary>
public static class StageAnalysis
{
    private static readonly (string Stage, string What)[] Names =
    [
        ("1 client → Api", "bench sends the POST → the Api's request span starts (loopback, Kestrel, until routing)"),
        ("2 raise request", "the Api's request span: token, validation, one transaction (whistle, idempotency, audit, timeline, outbox rows), commit"),
        ("3 Api outbox wait", "request answered → the Api's relay starts publishing WhistleRaised (relay wake-up, claim, rows ahead of it in the stream)"),
        ("4 broker → dispatcher", "relay starts the publish → the dispatcher's first span of the message (MassTransit publish, broker, delivery)"),
        ("5 dispatcher consume → dispatch", "MassTransit's consume pipeline up to the dispatch span"),
        ("6 dispatch transaction", "the dispatch span: inbox, whistle, assignments, timeline and outbox rows, commit"),
        ("7 outbox wait for the push", "dispatch done → a relay starts publishing this push (the one ordered stream: the dispatcher's relay or an Api's, whichever claims; wake-up, claim, the publishes ahead of it, each confirmed)"),
        ("8 broker → Api", "the relay starts the publish → the Api's receive span of the push message (publish, broker, delivery, the one-at-a-time push queue)"),
        ("9 Api consume → push", "MassTransit's consume pipeline up to the push span"),
        ("10 push", "the push span: SignalR group send"),
        ("11 SignalR → client", "push span ends → the bench's hub client has the event"),
    ];

    public static StageBreakdown Analyse(string phase, double rate, Measurement m, SpanCollector collector, (long Stopwatch, long UnixNs) clockPair, bool embedded = false)
    {
        double ToUnixMs(long stopwatch) => (clockPair.UnixNs / 1e6) + Clock.Ms(clockPair.Stopwatch, stopwatch);
        var stageSamples = Names.Select(_ => new List<double>()).ToArray();
        var spanDurations = new Dictionary<string, List<double>>();
        var names = new HashSet<string>();
        var endToEnd = new List<double>();
        var complete = 0;
        var relayedByCount = new Dictionary<string, int>();
        var agency = Clients.Summoned[0];
        foreach (var (whistleId, traceId) in m.Traces)
        {
            if (!collector.ByTrace.TryGetValue(traceId, out var bag)) continue;
            var spans = bag.ToList();
            foreach (var s in spans)
            {
                names.Add($"{ServiceName(s.Service)}: {s.Name} ({KindName(s.Kind)})");
                var key = $"{ServiceName(s.Service)}: {Generalise(s.Name)}";
                if (!spanDurations.TryGetValue(key, out var list)) spanDurations[key] = list = [];
                list.Add(s.DurationMs);
            }

            var (raisedAt, api) = m.Raised[whistleId];
            if (!m.Dispatched.TryGetValue((whistleId, agency, api), out var receivedAt) || !m.DispatchedSequence.TryGetValue((whistleId, agency, api), out var sequence)) continue;
            var bySpan = spans.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
            var push = spans.Where(s => s.Name == "push AssignmentDispatched" && s.Attributes.TryGetValue("whistle.sequence", out var seq) && seq == sequence.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .OrderBy(s => s.StartNs).FirstOrDefault();
            if (push is null) continue;

            // The chain from the push span up to the root.
            var chain = new List<SpanRecord>();
            for (var s = push; s is not null; s = bySpan.GetValueOrDefault(s.ParentSpanId)) chain.Insert(0, s);
            var request = chain.FirstOrDefault(s => s.Kind == 2 && ServiceName(s.Service) == "whistle-api");
            var relays = chain.Where(s => s.Name.StartsWith("outbox relay ", StringComparison.Ordinal)).ToList();
            var dispatch = chain.FirstOrDefault(s => s.Name == "dispatch");
            if (request is null || relays.Count < 2 || dispatch is null) continue;
            // The first consumer span (MassTransit's receive) after each relay's publish: the message is in the consuming process.
            // Embedded: the dispatcher runs in the Api's process, so its spans carry the Api's service name.
            var dispatcherFirst = chain.FirstOrDefault(s => s.Kind == 5 && s.StartNs >= relays[0].StartNs && (embedded || ServiceName(s.Service) == "whistle-dispatcher"));
            var apiAgain = chain.FirstOrDefault(s => s.Kind == 5 && s.StartNs >= relays[^1].StartNs && (embedded || ServiceName(s.Service) == "whistle-api"));
            if (dispatcherFirst is null || apiAgain is null) continue;
            var relayedBy = ServiceName(relays[^1].Service);
            relayedByCount[relayedBy] = relayedByCount.GetValueOrDefault(relayedBy) + 1;
            double Ms(long ns) => ns / 1e6;
            double[] points =
            [
                ToUnixMs(raisedAt),
                Ms(request.StartNs),
                Ms(request.EndNs),
                Ms(relays[0].StartNs),
                Ms(dispatcherFirst.StartNs),
                Ms(dispatch.StartNs),
                Ms(dispatch.EndNs),
                Ms(relays[^1].StartNs),
                Ms(apiAgain.StartNs),
                Ms(push.StartNs),
                Ms(push.EndNs),
                ToUnixMs(receivedAt),
            ];
            for (var i = 0; i < Names.Length; i++) stageSamples[i].Add(points[i + 1] - points[i]);
            endToEnd.Add(Clock.Ms(raisedAt, receivedAt));
            complete++;
        }

        var stages = Names.Select((n, i) => new StageRow(n.Stage, n.What, LatencySummary.Of(stageSamples[i], 0))).ToList();
        var spanRows = spanDurations.OrderByDescending(d => d.Value.Count == 0 ? 0 : d.Value.Average() * d.Value.Count / Math.Max(1, m.Traces.Count))
            .Select(d => new StageRow(d.Key, "span duration", LatencySummary.Of(d.Value, 0))).ToList();
        var relayed = string.Join(", ", relayedByCount.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value}"));
        return new StageBreakdown(phase, rate, m.Traces.Count, complete, LatencySummary.Of(endToEnd, 0), stages, spanRows, [.. names.Order()], complete == 0 ? "no sampled whistle had a complete chain of spans" : null)
        {
            RelayedBy = relayed,
        };
    }

    public static (long Stopwatch, long UnixNs) ClockPair()
    {
        // Both clocks read back to back; the smallest gap of a few tries.
        var best = (Stopwatch: 0L, UnixNs: 0L, Gap: long.MaxValue);
        for (var i = 0; i < 5; i++)
        {
            var before = Stopwatch.GetTimestamp();
            var unix = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
            var after = Stopwatch.GetTimestamp();
            if (after - before < best.Gap) best = ((before + after) / 2, unix, after - before);
        }

        return (best.Stopwatch, best.UnixNs);
    }

    private static string ServiceName(string service) => service.Split('@')[0];

    private static string KindName(int kind) => kind switch { 1 => "internal", 2 => "server", 3 => "client", 4 => "producer", 5 => "consumer", _ => "unspecified" };

    /// <summary>Span names with ids taken out (a URL path with a GUID), so that spans of the same work group together.</summary>
    private static string Generalise(string name) =>
        System.Text.RegularExpressions.Regex.Replace(name, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{id}");
}
