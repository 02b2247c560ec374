using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Whistle.Bench;

/// <summary>
/// Idle hub connections held by helper processes of the bench: the open-file limit is per process (here
/// 20,000, not raisable without CAP_SYS_RESOURCE), so one process cannot hold 20,000 client sockets beside
/// everything else. Each helper holds up to <see cref="MaxPerHelper"/> and says how many it connected.
/// </summary>
public sealed class IdleHelpers : IAsyncDisposable
{
    public const int MaxPerHelper = 9_500;
    private readonly List<Process> _helpers = [];

    public int Connected { get; private set; }

    public int Failed { get; private set; }

    public async Task AddAsync(Uri api, int count, IReadOnlyList<string> accounts, CancellationToken ct)
    {
        while (count > 0)
        {
            var take = Math.Min(count, MaxPerHelper);
            count -= take;
            var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Whistle.Bench.dll"));
            info.ArgumentList.Add("--idle-helper");
            info.ArgumentList.Add(api.ToString());
            info.ArgumentList.Add(take.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add(string.Join(',', accounts));
            var helper = Process.Start(info)!;
            _helpers.Add(helper);
            _ = helper.StandardError.ReadToEndAsync(ct);
            while (true)
            {
                var line = await helper.StandardOutput.ReadLineAsync(ct) ?? throw new InvalidOperationException("An idle-connection helper exited early.");
                if (!line.StartsWith("connected ", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ');
                Connected += int.Parse(parts[1], CultureInfo.InvariantCulture);
                Failed += int.Parse(parts[3], CultureInfo.InvariantCulture);
                break;
            }
        }
    }

    public int[] Pids => [.. _helpers.Select(h => h.Id)];

    public async ValueTask DisposeAsync()
    {
        foreach (var helper in _helpers)
        {
            try
            {
                helper.Kill(entireProcessTree: true);
                await helper.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }

            helper.Dispose();
        }

        _helpers.Clear();
        Connected = 0;
        Failed = 0;
    }

    /// <summary>The helper's side: sign in, connect, report, hold until the parent ends it.</summary>
    public static async Task<int> RunAsync(Uri api, int count, string[] accounts)
    {
        Machine.RaiseOpenFiles(200_000);
        using var http = new HttpClient { BaseAddress = api };
        var tokens = new Dictionary<string, string>();
        foreach (var account in accounts)
        {
            using var response = await http.PostAsJsonAsync(new Uri("/api/auth/token", UriKind.Relative), new { userName = account, password = "demo" });
            response.EnsureSuccessStatusCode();
            tokens[account] = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        }

        var connections = new List<HubConnection>(count);
        var failed = 0;
        var gate = new SemaphoreSlim(48);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var token = tokens[accounts[i % accounts.Length]];
                var connection = new HubConnectionBuilder()
                    .WithUrl(new Uri(api, "/hubs/whistles"), o =>
                    {
                        o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                        o.SkipNegotiation = true;
                        o.Transports = HttpTransportType.WebSockets;
                    })
                    .Build();
                connection.ServerTimeout = TimeSpan.FromMinutes(2);
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        await connection.StartAsync();
                        lock (connections) connections.Add(connection);
                        return;
                    }
                    catch (Exception) when (attempt < 2)
                    {
                        await Task.Delay(500);
                    }
                }
            }
            catch (Exception)
            {
                Interlocked.Increment(ref failed);
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(tasks);
        Console.WriteLine($"connected {connections.Count} failed {failed}");
        await Console.In.ReadLineAsync();
        return 0;
    }
}
