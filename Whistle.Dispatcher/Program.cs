using Whistle.Core.Hosting;

namespace Whistle.Dispatcher;

/// <summary>The standalone dispatcher: routing on RabbitMQ, any number of instances.</summary>
public static class DispatcherProgram
{
    public static async Task Main(string[] args)
    {
        var builder = CreateBuilder(args);
        await builder.Build().RunAsync();
    }

    public static HostApplicationBuilder CreateBuilder(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(args);
        // Standalone means distributed: RabbitMQ unless configured otherwise (lowest precedence).
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?> { ["Whistle:Bus:Transport"] = "RabbitMq" },
        });
        configure?.Invoke(builder.Configuration);
        builder.AddWhistleCore();
        builder.AddWhistleBus(bus => bus.AddWhistleDispatcher());
        builder.AddWhistleDeadlines();
        return builder;
    }
}
