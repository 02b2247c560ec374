using Microsoft.Extensions.DependencyInjection;
using Whistle.Tests.Support;

namespace Whistle.Tests.Browser;

/// <summary>
/// A browser fixture: one headless Chromium (<see cref="Chromium"/>) and one embedded system (<see cref="Server"/>),
/// started before the fixture's own one-time set-up (which may seed the system) and stopped after its tests.
/// </summary>
public abstract class BrowserFixture
{
    protected BrowserSession Chromium { get; private set; } = null!;

    protected WhistleSystem Server { get; private set; } = null!;

    /// <summary>The system's clock (a fake or shifted one where time matters); the real clock by default.</summary>
    protected virtual TimeProvider? Clock => null;

    [OneTimeSetUp]
    public async Task StartBrowserAndSystem()
    {
        Chromium = await BrowserSession.LaunchAsync();
        var clock = Clock;
        Server = await WhistleSystem.EmbeddedAsync(clock is null ? null : s => s.AddSingleton(clock));
    }

    [OneTimeTearDown]
    public async Task StopBrowserAndSystem()
    {
        if (Chromium is not null) await Chromium.DisposeAsync();
        if (Server is not null) await Server.DisposeAsync();
    }
}
