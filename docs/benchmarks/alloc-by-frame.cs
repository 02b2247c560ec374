#:package Microsoft.Diagnostics.Tracing.TraceEvent@4.0.0
#:property ManagePackageVersionsCentrally=false
// Where a .NET process's allocations come from: the GC's allocation ticks (one about every 100 KB allocated, with the
// type and the stack) of a trace taken with `dotnet-trace collect -p PID --profile gc-verbose`, summed by type, by the
// first assembly on the stack that is not the runtime's, by the first Whistle frame and by the top frames.
//
// usage: dotnet run docs/benchmarks/alloc-by-frame.cs -- TRACE.nettrace [frames [TEXT ...]]
// (each TEXT: the share of the stacks with a frame that contains it)
// (a .NET 10 file-based program; TraceEvent is MIT-licensed and used here only, not by Whistle.)
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

var file = args[0];
var depth = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 4;
using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(file));
var byType = new Dictionary<string, double>();
var byFrames = new Dictionary<string, double>();
var byOurs = new Dictionary<string, double>();
var byAssembly = new Dictionary<string, double>();
var containing = args.Skip(2).ToDictionary(t => t, _ => 0.0);
double total = 0;
foreach (var e in log.Events)
{
    if (e is not GCAllocationTickTraceData tick) continue;
    var amount = (double)tick.AllocationAmount64;
    total += amount;
    Add(byType, tick.TypeName ?? "?", amount);
    var frames = new List<string>();
    for (var s = e.CallStack(); s != null; s = s.Caller)
    {
        if (!string.IsNullOrEmpty(s.CodeAddress.FullMethodName)) frames.Add(s.CodeAddress.ModuleName + "!" + s.CodeAddress.FullMethodName);
    }

    foreach (var text in containing.Keys.Where(t => frames.Any(f => f.Contains(t, StringComparison.Ordinal))).ToList()) containing[text] += amount;
    Add(byFrames, string.Join(" <- ", frames.Take(depth).Select(f => Cut(f, 110))), amount);
    Add(byOurs, Cut(frames.FirstOrDefault(f => f.StartsWith("Whistle", StringComparison.Ordinal)) ?? "(none of Whistle's)", 160), amount);
    Add(byAssembly, frames.Select(f => f[..f.IndexOf('!')]).FirstOrDefault(a => a.Length > 0 && !a.StartsWith("System", StringComparison.Ordinal)) ?? "(the runtime's only)", amount);
}

Console.WriteLine($"{file}: allocation ticks for {total / 1e6:F1} MB");
Top("by type", byType, 25);
Top("by the first assembly on the stack that is not the runtime's", byAssembly, 15);
Top("by the first Whistle frame on the stack", byOurs, 25);
Top($"by the top {depth} frames", byFrames, 25);
if (containing.Count > 0) Top("stacks with a frame containing", containing, containing.Count);

static void Add(Dictionary<string, double> d, string key, double amount) => d[key] = d.GetValueOrDefault(key) + amount;
static string Cut(string s, int n) => s.Length > n ? s[..n] : s;
void Top(string title, Dictionary<string, double> d, int n)
{
    Console.WriteLine($"\n== {title}");
    foreach (var (k, v) in d.OrderByDescending(x => x.Value).Take(n)) Console.WriteLine($"{v / total * 100,6:F1}%  {k}");
}
