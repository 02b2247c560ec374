using Microsoft.Playwright;

namespace Whistle.Bench;

/// <summary>Click "send" in the township's page → the new row in the branch's open inbox page.</summary>
public sealed record BrowserResult(
    int Runs,
    int Seen,
    double BackgroundRate,
    LatencySummary ClickToRow,
    LatencySummary ClickToFrame,
    LatencySummary ClickToDetail,
    PhaseResult? Background,
    string? Error);

/// <summary>
/// Browser to browser (issue 15): headless Chromium (Playwright, the Debian /usr/bin/chromium, the browser tests'
/// arguments) with two pages live at once, each a context of its own: the township <c>township.chengguan</c> on the
/// raise form, the branch <c>branch.urban-management.chengguan</c> on its inbox. Each run fills the form (matter
/// street-vending, a title with the run's mark), and the township page takes <c>performance.timeOrigin +
/// performance.now()</c> in a capturing click listener on "send"; a MutationObserver in the branch page takes the same
/// clock when a row carrying that mark enters the DOM, and again in the next animation frame (the frame that paints it).
/// Both pages live in one browser process on one machine, so both readings are on one wall clock (the difference of the
/// pages' time origins is their navigation times on that clock, not a skew). Meanwhile the bench's own clients raise
/// whistles at the background rate from all six townships (so the branch's page also receives its share).
/// </summary>
public static class BrowserToBrowser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private const string Observer = """
        () => {
          window.__b2b = {};
          const mark = (node) => {
            if (!(node instanceof Element)) return;
            const rows = node.matches('[data-testid=assignment-row]') ? [node] : node.querySelectorAll('[data-testid=assignment-row]');
            for (const row of rows) {
              const m = /b2b-(\d+)-/.exec(row.textContent || '');
              if (!m || window.__b2b[m[1]]) continue;
              const seen = { dom: performance.timeOrigin + performance.now() };
              window.__b2b[m[1]] = seen;
              requestAnimationFrame(() => { seen.frame = performance.timeOrigin + performance.now(); });
            }
          };
          new MutationObserver((records) => {
            for (const r of records) for (const n of r.addedNodes) mark(n);
          }).observe(document.body, { childList: true, subtree: true });
        }
        """;

    private const string ClickClock = """
        () => {
          window.__clickAt = null;
          document.querySelector('[data-testid=whistle-submit]').addEventListener('click', () => {
            window.__clickAt = performance.timeOrigin + performance.now();
          }, { capture: true, once: true });
        }
        """;

    public static async Task<BrowserResult> RunAsync(Bench bench, Uri api, int runs, double backgroundRate, Action<string> log, CancellationToken ct)
    {
        if (!File.Exists(ChromiumPath))
        {
            return new BrowserResult(runs, 0, backgroundRate, LatencySummary.Empty, LatencySummary.Empty, LatencySummary.Empty, null, $"Chromium is not installed at {ChromiumPath} (apt-get install chromium; ./test.sh installs it).");
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });

        async Task<IPage> SignIn(string userName)
        {
            var context = await browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = api.ToString().TrimEnd('/'),
                ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
                Locale = "zh-CN",
                TimezoneId = "Asia/Shanghai",
            });
            context.SetDefaultTimeout(30_000);
            var page = await context.NewPageAsync();
            await page.GotoAsync("/");
            await page.GetByTestId("demo-user-" + userName).ClickAsync();
            await page.Locator("[data-testid=connection-state][data-state=connected]").WaitForAsync();
            return page;
        }

        var township = await SignIn("township.chengguan");
        var branch = await SignIn("branch.urban-management.chengguan");
        await branch.WaitForURLAsync(url => url.Contains("/inbox", StringComparison.Ordinal));
        await branch.EvaluateAsync(Observer);
        // The branch page's main-thread time (Chromium's Performance domain): where a run's latency goes when the page
        // itself is the bound (script, style, layout), reported per run beside the inbox's row count.
        var cdp = await branch.Context.NewCDPSessionAsync(branch);
        await cdp.SendAsync("Performance.enable");
        async Task<Dictionary<string, double>> Metrics()
        {
            var answer = await cdp.SendAsync("Performance.getMetrics");
            var values = new Dictionary<string, double>();
            if (answer is { } json)
            {
                foreach (var m in json.GetProperty("metrics").EnumerateArray()) values[m.GetProperty("name").GetString()!] = m.GetProperty("value").GetDouble();
            }

            return values;
        }

        var last = await Metrics();

        var clickToRow = new List<double>();
        var clickToFrame = new List<double>();
        var clickToDetail = new List<double>();
        using var stop = new CancellationTokenSource();
        log($"browser to browser: {runs} runs while {backgroundRate} whistles/s run in the background");
        var background = bench.RunPhaseAsync("browser-background", backgroundRate, 3600, reportLead: false, ct, stop.Token);
        string? error = null;
        try
        {
            await Task.Delay(2000, ct);
            var tag = Guid.NewGuid().ToString("N")[..6];
            for (var k = 0; k < runs; k++)
            {
                await township.GotoAsync("/township/raise");
                await township.Locator("[data-testid=connection-state][data-state=connected]").WaitForAsync();
                await township.GetByTestId("whistle-matter").ClickAsync();
                await township.GetByTestId("matter-option-street-vending").ClickAsync();
                await township.GetByTestId("whistle-title").FillAsync($"占道经营 b2b-{k}-{tag}");
                await township.GetByTestId("whistle-description").FillAsync("browser to browser (benchmark)");
                await township.GetByTestId("whistle-address").FillAsync("城关街道 人民路 1 号");
                await township.EvaluateAsync(ClickClock);
                await township.GetByTestId("whistle-submit").ClickAsync();
                await township.WaitForURLAsync("**/whistles/*");
                var detailAt = await township.EvaluateAsync<double>("() => performance.timeOrigin + performance.now()");
                await branch.WaitForFunctionAsync($"() => window.__b2b['{k}'] && window.__b2b['{k}'].frame", null, new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 20 });
                var clickAt = await township.EvaluateAsync<double>("() => window.__clickAt");
                var dom = await branch.EvaluateAsync<double>($"() => window.__b2b['{k}'].dom");
                var frame = await branch.EvaluateAsync<double>($"() => window.__b2b['{k}'].frame");
                clickToRow.Add(dom - clickAt);
                clickToFrame.Add(frame - clickAt);
                clickToDetail.Add(detailAt - clickAt);
                var rows = await branch.EvaluateAsync<int>("() => document.querySelectorAll('[data-testid=assignment-row]').length");
                var metrics = await Metrics();
                double Spent(string name) => 1000 * (metrics.GetValueOrDefault(name) - last.GetValueOrDefault(name));
                log($"  run {k + 1}: click → row {dom - clickAt:F0} ms (painted {frame - clickAt:F0} ms), {rows} rows in the branch's inbox; its main thread since the last run: script {Spent("ScriptDuration"):F0} ms, style {Spent("RecalcStyleDuration"):F0}, layout {Spent("LayoutDuration"):F0}, all tasks {Spent("TaskDuration"):F0}");
                last = metrics;
                await Task.Delay(Random.Shared.Next(200, 600), ct);
            }
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            error = e.Message.Split('\n')[0];
            log($"  browser to browser failed: {error}");
        }
        finally
        {
            await stop.CancelAsync();
        }

        var backgroundResult = await background;
        return new BrowserResult(runs, clickToRow.Count, backgroundRate, LatencySummary.Of(clickToRow, 0), LatencySummary.Of(clickToFrame, 0), LatencySummary.Of(clickToDetail, 0), backgroundResult, error);
    }
}
