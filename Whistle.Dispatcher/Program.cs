using Whistle.Core.Hosting;

namespace Whistle.Dispatcher;

/// <summary>The standalone dispatcher: routing on RabbitMQ, any number of instances.</summary>
public static class DispatcherProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args is [ErrorQueueTool.Command, ..])
        {
            var queue = args.Length > 1 && !args[1].StartsWith('-') ? args[1] : ErrorQueueTool.DefaultQueue;
            var configuration = CreateBuilder(args.Skip(1).Where(a => a.StartsWith('-')).ToArray()).Configuration;
            var bus = configuration.GetSection(Whistle.Core.Options.BusOptions.Section).Get<Whistle.Core.Options.BusOptions>() ?? new();
            await ErrorQueueTool.RequeueAsync(bus.RabbitMq, queue, Console.Out, CancellationToken.None);
            return 0;
        }

        var builder = CreateBuilder(args);
        await builder.Build().RunAsync();
        return 0;
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
        builder.AddWhistleBus((bus, _) => bus.AddWhistleDispatcher());
        builder.AddWhistleDeadlines();
        return builder;
    }
}
