using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Whistle.Core.Notices;
using Whistle.Core.Storage;
using Whistle.Dispatcher.Notices;

namespace Whistle.Dispatcher;

public static class DispatcherExtensions
{
    /// <summary>The dispatcher's consumers; hosted by Whistle.Dispatcher, or in-process by Whistle.Api.</summary>
    public static IBusRegistrationConfigurator AddWhistleDispatcher(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<WhistleRaisedConsumer, WhistleRaisedConsumerDefinition>();
        bus.AddConsumer<NoticeConsumer, NoticeConsumerDefinition>();
        return bus;
    }

    /// <summary>The escalation chain's scheduler and the branch heads' (periods, forms' and recommendations' chains); run wherever the dispatcher runs.</summary>
    public static IHostApplicationBuilder AddWhistleDeadlines(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DeadlineOptions>().BindConfiguration(DeadlineOptions.Section)
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Whistle:Deadlines:PollInterval must be positive, e.g. 00:00:05.")
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Whistle:Deadlines:BatchSize must be between 1 and 1000 (default: 100).")
            .ValidateOnStart();
        builder.Services.AddSingleton<DeadlineScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadlineScheduler>());
        builder.Services.AddSingleton<HeadsScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HeadsScheduler>());
        builder.Services.AddSingleton<FollowUpScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FollowUpScheduler>());
        return builder;
    }

    /// <summary>Outbound notices (chat-group robots, signed webhooks); runs wherever the dispatcher runs.</summary>
    public static IHostApplicationBuilder AddWhistleNotices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<NoticeOptions>().BindConfiguration(NoticeOptions.Section)
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Whistle:Notices:PollInterval must be positive, e.g. 00:00:05.")
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Whistle:Notices:BatchSize must be between 1 and 1000 (default: 50).")
            .Validate(o => o.Timeout > TimeSpan.Zero && o.Timeout <= TimeSpan.FromMinutes(5), "Whistle:Notices:Timeout must be positive and at most 00:05:00 (default: 00:00:10).")
            .Validate(o => o.MaxAttempts is >= 1 and <= 50, "Whistle:Notices:MaxAttempts must be between 1 and 50 (default: 8).")
            .Validate(o => o.RetryBaseDelay > TimeSpan.Zero && o.RetryMaxDelay >= o.RetryBaseDelay, "Whistle:Notices:RetryBaseDelay must be positive and Whistle:Notices:RetryMaxDelay at least as long (defaults: 00:00:30, 01:00:00).")
            .ValidateOnStart();
        // The per-request timeout is the sender's own (Whistle:Notices:Timeout); the client's is only a backstop.
        // The handler connects itself, to addresses the policy allows (NoticeHttp); the factory's request logging
        // would write the URL (a credential), so the client has none.
        builder.Services.TryAddSingleton<INoticeHostResolver, DnsNoticeHostResolver>();
        builder.Services.AddHttpClient(NoticeSender.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(6))
            .ConfigurePrimaryHttpMessageHandler(sp => NoticeHttp.CreateHandler(
                sp.GetRequiredService<NoticeAddressPolicy>(), sp.GetRequiredService<INoticeHostResolver>(), sp.GetRequiredService<IOptions<NoticeOptions>>().Value.Timeout))
            .RemoveAllLoggers();
        builder.Services.AddSingleton<NoticeSender>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NoticeSender>());
        builder.Services.AddSingleton(sp => new WakeSubscription(NoticeStore.WakeChannel, sp.GetRequiredService<NoticeSignal>().Wake, "the notice sender"));
        builder.Services.AddHostedService<WakeListener>();
        builder.Services.AddHostedService<EarlierNoticeBindings>();
        return builder;
    }
}
