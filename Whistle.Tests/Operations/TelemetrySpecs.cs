using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Whistle.Core.Telemetry;
using Whistle.Tests.Support;

namespace Whistle.Tests.Operations;

/// <summary>The Prometheus scrape endpoint after a whistle travelled through the system.</summary>
[NonParallelizable]
public sealed class When_Prometheus_scrapes_the_Api
{
    [Test]
    public async Task Should_expose_the_Whistle_metrics_of_a_whistle_that_travelled()
    {
        var folder = TestSettings.NewDataFolder();
        var settings = TestSettings.Embedded(folder);
        settings["Whistle:Telemetry:SampleInterval"] = "00:00:00.2";
        await using var api = await ApiHost.StartAsync(settings);
        using var township = await WhistleClient.SignInAsync(api.BaseAddress, "township.chengguan");
        using var branch = await WhistleClient.SignInAsync(api.BaseAddress, "branch.urban-management.chengguan");
        await using var push = await PushClient.ConnectAsync(api.BaseAddress, branch.Token);

        var id = (await township.RaiseAsync()).Str("id");
        var dispatched = await push.WaitForAsync("AssignmentDispatched", id);
        var assignmentId = dispatched["assignment"]!.Str("id");
        Assert.That((await branch.PostAsync($"/api/assignments/{assignmentId}/report", new { etaMinutes = 20 })).Status, Is.EqualTo(System.Net.HttpStatusCode.OK));
        Assert.That((await branch.PostAsync($"/api/assignments/{assignmentId}/resolve", new { note = "已拆除" })).Status, Is.EqualTo(System.Net.HttpStatusCode.OK));
        await push.WaitForAsync("AssignmentResolved", id);

        string[] expected =
        [
            "whistle_whistles_raised_total{",
            "whistle_assignments_transitions_total{",
            "state=\"dispatched\"",
            "state=\"reported\"",
            "state=\"resolved\"",
            "whistle_assignment_time_to_report_seconds_bucket{",
            "whistle_assignment_time_to_resolve_seconds_bucket{",
            "whistle_pushes_sent_total{",
            "whistle_push_connections{",
            "whistle_consumer_lag_seconds_bucket{",
            "whistle_outbox_oldest_unsent_age_seconds",
            "whistle_assignments{",
        ];
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        var text = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            text = await http.GetStringAsync("/metrics");
            // Until the sampled gauges show the whistle resolved and the outbox empty: the demo county's other writers (its
            // heads' assessment forms at start) may have a row in flight when one sample is taken.
            if (expected.All(text.Contains)
                && Regex.IsMatch(text, "^whistle_assignments\\{[^}]*state=\"resolved\"\\} 1$", RegexOptions.Multiline)
                && Regex.IsMatch(text, "^whistle_outbox_oldest_unsent_age_seconds\\{[^}]*\\} 0$", RegexOptions.Multiline))
            {
                break;
            }

            await Task.Delay(300);
        }

        Assert.Multiple(() =>
        {
            foreach (var name in expected)
            {
                Assert.That(text, Does.Contain(name), name);
            }

            Assert.That(text, Does.Contain("matter=\"illegal-construction\""));
            Assert.That(text, Does.Contain("urgency=\"emergency\""));
            Assert.That(text, Does.Match("(?m)^whistle_push_connections\\{[^}]*role=\"branch\"\\} 1$"), "the branch's connection");
            Assert.That(text, Does.Match("(?m)^whistle_whistles_raised_total\\{[^}]*matter=\"illegal-construction\",urgency=\"emergency\"\\} 1$"));
            Assert.That(text, Does.Match("(?m)^whistle_assignment_time_to_report_seconds_count\\{[^}]*agency=\"urban-management\"[^}]*\\} 1$"));
            Assert.That(text, Does.Match("(?m)^whistle_assignments\\{[^}]*state=\"resolved\"\\} 1$"), "the sampled gauge");
            Assert.That(text, Does.Match("(?m)^whistle_outbox_oldest_unsent_age_seconds\\{[^}]*\\} 0$"), "nothing waits in the outbox");
            Assert.That(text, Does.Contain("type=\"AssignmentDispatched\""));
            Assert.That(text, Does.Contain("consumer=\"WhistleRaisedConsumer\"").And.Contain("consumer=\"WhistleEventPushConsumer\""));
        });
    }
}

/// <summary>One trace per whistle: from the township's POST through the outbox, the bus and the dispatcher to the push.</summary>
[TestFixture("embedded")]
[TestFixture("distributed")]
[NonParallelizable]
public sealed class When_a_whistle_is_traced(string mode)
{
    [Test]
    public async Task Should_carry_one_trace_id_from_the_POST_to_the_push_consumer()
    {
        // Each in-process host (the Api, the Dispatcher) exports into it from its own threads: adds and copies take one lock.
        var exported = new SpanLog();
        void Exporter(IServiceCollection services) => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(exported));
        await using var system = mode == "embedded"
            ? await WhistleSystem.EmbeddedAsync(Exporter)
            : await WhistleSystem.DistributedAsync(apis: 1, dispatchers: 1, services: Exporter);
        using var township = await system.SignInAsync("township.chengguan");
        using var branch = await system.SignInAsync("branch.urban-management.chengguan");
        await using var push = await system.ConnectAsync(branch);

        var id = (await township.RaiseAsync()).Str("id");
        await push.WaitForAsync("AssignmentDispatched", id);

        List<Activity> Snapshot() => exported.Snapshot();

        // Spans are exported as they end, not in the order they started (the relay marks a row sent after
        // publishing it, while the dispatcher may already be done): wait until each step's span is there.
        // A parent span ends after its children (a consume span after the push inside it), so wait as well until
        // the push's chain of parents reaches the POST.
        // A dispatch of several duties publishes its events as one WhistleEventsRecorded, of one duty a WhistleEventRecorded.
        const string relayedEvents = "outbox relay WhistleEvent";
        static bool IsStep(Activity a, string step) => step == relayedEvents ? a.DisplayName.StartsWith(step, StringComparison.Ordinal) && a.DisplayName.EndsWith("Recorded", StringComparison.Ordinal) : a.DisplayName == step;
        string[] steps = ["outbox relay WhistleRaised", "dispatch", relayedEvents, "push AssignmentDispatched"];
        bool Complete()
        {
            var all = Snapshot().DistinctBy(a => a.SpanId).ToList();
            var pushed = all.FirstOrDefault(a => a.DisplayName == "push AssignmentDispatched" && Tag(a, WhistleTelemetry.WhistleIdTag) == id);
            var root = all.FirstOrDefault(a => a.Kind == ActivityKind.Server && Tag(a, WhistleTelemetry.WhistleIdTag) == id);
            return steps.All(step => all.Any(a => IsStep(a, step) && Tag(a, WhistleTelemetry.WhistleIdTag) == id))
                && pushed is not null && root is not null && Ancestry(pushed, all).Contains(root.SpanId);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Complete() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        // In-process hosts each export what every source in the process emits: one copy per span suffices.
        var spans = Snapshot().DistinctBy(a => a.SpanId).ToList();
        var post = spans.SingleOrDefault(a => a.Kind == ActivityKind.Server && Tag(a, "http.request.method") == "POST" && Tag(a, WhistleTelemetry.WhistleIdTag) == id);
        Assert.That(post, Is.Not.Null, $"the POST span; exported: {string.Join(", ", spans.Select(a => a.DisplayName).Distinct())}");
        var trace = spans.Where(a => a.TraceId == post!.TraceId).ToList();
        var names = trace.Select(a => a.DisplayName).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(names, Does.Contain("outbox relay WhistleRaised"));
            Assert.That(trace.Where(a => a.Source.Name == "MassTransit").Select(a => a.Kind), Does.Contain(ActivityKind.Producer).And.Contain(ActivityKind.Consumer), "MassTransit's publish and consume spans");
            Assert.That(names, Does.Contain("dispatch"));
            Assert.That(trace.Count(a => IsStep(a, relayedEvents)), Is.GreaterThan(0), "the relay's publish of the dispatch's events");
            Assert.That(names, Does.Contain("push AssignmentDispatched"));
            Assert.That(trace.Where(a => a.Source.Name == WhistleTelemetry.Name).Select(a => Tag(a, WhistleTelemetry.WhistleIdTag)), Is.All.EqualTo(id));
        });

        // Each step is a child of the one before it, not a sibling that merely shares the id. (A consumer
        // retried after a transient failure has a dispatch span per attempt: the push descends from one of them.)
        var dispatches = trace.Where(a => a.DisplayName == "dispatch").ToList();
        var pushSpan = trace.First(a => a.DisplayName == "push AssignmentDispatched");
        var tree = string.Join("\n", trace.Select(a => $"{a.SpanId} <- {a.ParentSpanId} {a.Source.Name} {a.Kind} {a.DisplayName}"));
        Assert.That(dispatches.Select(d => Ancestry(d, trace)), Is.All.Contain(post!.SpanId), tree);
        Assert.That(Ancestry(pushSpan, trace), Has.Some.AnyOf(dispatches.Select(d => (object)d.SpanId).ToArray()), tree);
    }

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();

    private static List<ActivitySpanId> Ancestry(Activity activity, List<Activity> trace)
    {
        var chain = new List<ActivitySpanId>();
        var parent = activity.ParentSpanId;
        while (parent != default)
        {
            chain.Add(parent);
            parent = trace.FirstOrDefault(a => a.SpanId == parent)?.ParentSpanId ?? default;
        }

        return chain;
    }
}

/// <summary>
/// A hub connection's WebSocket request lasts as long as the connection: it is not traced as a span (one that ends when
/// the branch goes offline), and each hub call is a root span of its own with the work it did beneath it.
/// </summary>
[NonParallelizable]
public sealed class When_a_hub_connection_is_traced
{
    [Test]
    public async Task Should_trace_each_hub_call_on_its_own_and_not_the_connections_request()
    {
        var exported = new SpanLog();
        await using var system = await WhistleSystem.EmbeddedAsync(services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(exported)));
        using var branch = await system.SignInAsync("branch.urban-management.chengguan");
        await using (var push = await system.ConnectAsync(branch))
        {
            Assert.That(await push.CatchUpAsync(0), Is.Not.Null);
        }

        // The connection's request ends after the client went: give its span (where one is made) time to be exported.
        static bool IsConnectionRequest(Activity a) => a.Kind == ActivityKind.Server && a.GetTagItem("url.path") as string == Whistle.Api.Push.WhistleHub.Path;
        // SignalR's activity source (a span per hub method call, without a parent), which OpenTelemetry's ASP.NET Core instrumentation listens to.
        static bool IsCatchUp(Activity a) => a.Source.Name == "Microsoft.AspNetCore.SignalR.Server" && a.DisplayName.EndsWith("/CatchUp", StringComparison.Ordinal);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until && !exported.Snapshot().Any(IsConnectionRequest))
        {
            await Task.Delay(100);
        }

        var spans = exported.Snapshot().DistinctBy(a => a.SpanId).ToList();
        var catchUp = spans.FirstOrDefault(IsCatchUp);
        var tree = string.Join("\n", spans.Select(a => $"{a.SpanId} <- {a.ParentSpanId} {a.Source.Name} {a.Kind} {a.DisplayName}"));
        Assert.That(catchUp, Is.Not.Null, tree);
        Assert.Multiple(() =>
        {
            Assert.That(spans.Where(IsConnectionRequest), Is.Empty, "the connection's request is not a span");
            Assert.That(spans.Any(a => a.Kind == ActivityKind.Server && a.GetTagItem("url.path") as string == "/api/auth/token"), Is.True, "an ordinary request is");
            Assert.That(catchUp!.ParentSpanId, Is.EqualTo(default(ActivitySpanId)), "a hub call is a root");
            Assert.That(spans.Where(a => a.DisplayName == "db read" && a.TraceId == catchUp.TraceId), Is.Not.Empty, $"the call's reads are beneath it\n{tree}");
        });
    }
}

/// <summary>The whistle id on every log line written while handling a whistle.</summary>
[NonParallelizable]
public sealed class When_a_whistle_is_logged
{
    [Test]
    public async Task Should_carry_the_whistle_id_in_a_scope_on_each_line_about_it()
    {
        var sink = new CapturingLoggerProvider();
        await using var system = await WhistleSystem.EmbeddedAsync(services =>
        {
            services.AddSingleton<ILoggerProvider>(sink);
            services.Configure<LoggerFilterOptions>(o =>
            {
                o.Rules.Clear();
                o.MinLevel = LogLevel.Debug;
            });
        });
        using var township = await system.SignInAsync("township.chengguan");
        using var branch = await system.SignInAsync("branch.urban-management.chengguan");
        await using var push = await system.ConnectAsync(branch);
        var id = (await township.RaiseAsync()).Str("id");
        await push.WaitForAsync("AssignmentDispatched", id);
        await Task.Delay(200);

        var about = sink.Entries.Where(e => e.Message.Contains(id, StringComparison.Ordinal)).ToList();
        var pushed = sink.Entries.Where(e => e.Category.EndsWith("PushLanes", StringComparison.Ordinal) && e.Scopes.GetValueOrDefault("WhistleId") == id).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(about.Select(e => e.Category), Has.Some.EndsWith("WhistleRaisedConsumer"), "the dispatcher logs the dispatch");
            Assert.That(about.Select(e => e.Scopes.GetValueOrDefault("WhistleId")), Is.All.EqualTo(id), "every line that names the whistle has it in its scope");
            Assert.That(pushed, Is.Not.Empty, "the push lanes' lines carry it too");
            Assert.That(about.Select(e => e.Scopes.ContainsKey("TraceId")), Is.All.True, "and the trace they belong to");
        });
    }

    private sealed record Entry(string Category, string Message, Dictionary<string, string?> Scopes);

    /// <summary>Records what the application logs, with the scopes active at each line.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => provider._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new Dictionary<string, string?>();
                provider._scopes.ForEachScope(
                    (scope, values) =>
                    {
                        if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                        {
                            foreach (var (k, v) in pairs)
                            {
                                values[k] = v?.ToString();
                            }
                        }
                    },
                    scopes);
                provider.Entries.Enqueue(new Entry(category, formatter(state, exception), scopes));
            }
        }
    }
}
