using MassTransit;

namespace Whistle.Dispatcher;

public static class DispatcherExtensions
{
    /// <summary>The dispatcher's consumers; hosted by Whistle.Dispatcher, or in-process by Whistle.Api.</summary>
    public static IBusRegistrationConfigurator AddWhistleDispatcher(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<WhistleRaisedConsumer, WhistleRaisedConsumerDefinition>();
        return bus;
    }

    /// <summary>The escalation chain's scheduler; runs wherever the dispatcher runs.</summary>
    public static IHostApplicationBuilder AddWhistleDeadlines(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DeadlineOptions>().BindConfiguration(DeadlineOptions.Section)
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Whistle:Deadlines:PollInterval must be positive, e.g. 00:00:05.")
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Whistle:Deadlines:BatchSize must be between 1 and 1000 (default: 100).")
            .ValidateOnStart();
        builder.Services.AddSingleton<DeadlineScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadlineScheduler>());
        return builder;
    }
}
