using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Options;

namespace Whistle.Core.Heads;

/// <summary>
/// Demo mode only: the demo county starts with a closed period to look at. After the database is ready it closes the
/// latest periods (as the heads scheduler would) and, the first time, has the first township's duty officer grade two of
/// its forms through the forms' owner (audited as that account), so that submitted and pending forms sit side by side.
/// </summary>
internal sealed class HeadsDemo(
    AssessmentFormStore forms,
    CountyCatalogHolder county,
    IOptions<WhistleOptions> whistle,
    IOptions<DatabaseOptions> database,
    IOptions<BusOptions> bus,
    DemoFormReader reader) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!database.Value.Migrate || !whistle.Value.Demo.IsEnabled(database.Value, bus.Value, whistle.Value.Production)) return;
        if (await forms.ClosePeriodsAsync(cancellationToken) == 0) return; // closed before: the demo's forms exist already
        var catalog = county.Catalog;
        var township = catalog.Definition.Townships[0];
        var pending = await reader.PendingAsync(township.Id, cancellationToken);
        var caller = new Caller($"township.{township.Id}", $"{township.Name} 值班员", Roles.Township, township.Id) { RemoteAddress = "demo" };
        var grades = catalog.Heads.GradesOrDefault;
        foreach (var (form, i) in pending.Take(2).Select((f, i) => (f, i)))
        {
            await forms.SubmitAsync(caller, form, new SubmitFormRequest(grades[Math.Min(i, grades.Count - 1)].Code,
                i == 0 ? "全年响应及时，配合街道完成各项重点任务，建议评为优秀。" : "能够按时报到处置，个别事项办结偏慢，评为称职。"), cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The forms of a township still to grade (the demo's read).</summary>
internal sealed class DemoFormReader(Storage.WhistleDatabase database)
{
    private const string PendingSql = "SELECT id FROM assessment_forms WHERE township_id = @TownshipId AND status = 'pending' ORDER BY period_id DESC, branch_id;";

    public async Task<IReadOnlyList<string>> PendingAsync(string townshipId, CancellationToken ct) =>
        (await database.ReadAsync(c => Dapper.SqlMapper.QueryAsync<string>(c, PendingSql, new { TownshipId = townshipId }), ct)).ToList();
}
