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
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.BatchSize > 0, "Whistle:Deadlines needs a positive PollInterval and BatchSize.")
            .ValidateOnStart();
        builder.Services.AddSingleton<DeadlineScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadlineScheduler>());
        return builder;
    }
}
