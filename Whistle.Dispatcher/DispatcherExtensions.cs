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
}
