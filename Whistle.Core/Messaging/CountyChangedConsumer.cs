using MassTransit;
using Whistle.Contracts;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;

namespace Whistle.Core.Messaging;

/// <summary>Reloads this instance's copy of the county (on an endpoint of its own, so every instance hears it).</summary>
public sealed class CountyChangedConsumer(CountyCatalogHolder county, WhistleDatabase database) : IConsumer<CountyChanged>
{
    public Task Consume(ConsumeContext<CountyChanged> context) => county.ReloadAsync(database, context.CancellationToken);
}
