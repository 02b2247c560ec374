using System.Globalization;
using System.Runtime.InteropServices;

namespace Whistle.Bench;

/// <summary>What the run ran on, read from /proc, and the few system calls the bench needs.</summary>
public static partial class Machine
{
    public sealed record Info(int Cores, string CpuModel, double RamGiB, string Os, string Kernel, string Dotnet);

    public static Info Describe()
    {
        var cpu = ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memKb = ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) is { } m
            ? double.Parse(m.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)
            : 0;
        var os = ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? RuntimeInformation.OSDescription;
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : string.Empty;
        return new Info(Environment.ProcessorCount, cpu, Math.Round(memKb / 1024 / 1024, 1), os, kernel, RuntimeInformation.FrameworkDescription);
    }

    /// <summary>The 1-, 5- and 15-minute load averages.</summary>
    public static double[] LoadAverage() =>
        File.Exists("/proc/loadavg")
            ? File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : [double.NaN, double.NaN, double.NaN];

    /// <summary>Resident memory of a process in MiB (VmRSS).</summary>
    public static double RssMiB(int pid)
    {
        var line = ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>CPU time (user + system) of a process in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    private const int RlimitNoFile = 7;

    [LibraryImport("libc", SetLastError = true, EntryPoint = "setrlimit")]
    private static partial int SetRLimit(int resource, ref RLimit limit);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, ref RLimit limit);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    /// <summary>Raises the open-file limit of this process (and so of the processes it starts); returns the limit in force.</summary>
    public static ulong RaiseOpenFiles(ulong wanted)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        var limit = new RLimit();
        GetRLimit(RlimitNoFile, ref limit);
        if (limit.Current >= wanted) return limit.Current;
        var raised = new RLimit { Current = wanted, Maximum = Math.Max(wanted, limit.Maximum) };
        if (SetRLimit(RlimitNoFile, ref raised) != 0)
        {
            // Not root: as far as the hard limit allows.
            raised = new RLimit { Current = limit.Maximum, Maximum = limit.Maximum };
            SetRLimit(RlimitNoFile, ref raised);
        }

        GetRLimit(RlimitNoFile, ref limit);
        return limit.Current;
    }

    /// <summary>SIGTERM: the host shuts down in order (the relay releases its claim, the bus stops).</summary>
    public static void Terminate(int pid) => Kill(pid, 15);
}
