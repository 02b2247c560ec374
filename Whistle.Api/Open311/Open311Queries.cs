using Dapper;
using Whistle.Core.Domain;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

namespace Whistle.Api.Open311;

/// <summary>
/// The read side of Open311: the service requests (whistles) a key's township account sees (<see cref="Visibility"/>),
/// never a meeting's decision; the filters and the limit in the query itself, so that never more than asked leaves the database.
/// </summary>
public sealed class Open311Queries(WhistleDatabase database)
{
    private static string RequestsSql(SqlDialect dialect) => dialect.Limit($"""
        SELECT {WhistleRows.WhistleColumns} FROM whistles w
        WHERE {Visibility.WhistleCondition} AND w.raised_at >= @From AND w.raised_at <= @To AND w.matter_code <> '{WhistleStore.DecisionMatterCode}'
          AND (@AnyCode = 0 OR {dialect.InList("w.matter_code", "@Codes")})
          AND (@Open = 1 OR w.status IN ('closed', 'cancelled'))
          AND (@Closed = 1 OR w.status NOT IN ('closed', 'cancelled'))
        ORDER BY w.raised_at DESC, w.id DESC
        """) + ";";

    private static string ByIdSql(SqlDialect dialect) =>
        $"SELECT {WhistleRows.WhistleColumns} FROM whistles w WHERE {Visibility.WhistleCondition} AND {dialect.InList("w.id", "@Ids")} ORDER BY w.raised_at DESC, w.id DESC;";

    /// <summary>The newest <paramref name="take"/> requests raised in the period, of these services (none: any), open and/or closed.</summary>
    public async Task<IReadOnlyList<WhistleRow>> RequestsAsync(
        Caller caller, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<string> codes, bool open, bool closed, int take, CancellationToken ct)
    {
        var args = new
        {
            caller.Role, Org = caller.OrgId, From = from, To = to, Take = take,
            AnyCode = codes.Count == 0 ? 0 : 1, Codes = codes.Count == 0 ? [""] : codes,
            Open = open ? 1 : 0,
            Closed = closed ? 1 : 0,
        };
        return (await database.ReadAsync(c => c.QueryAsync<WhistleRow>(database.Dialect.Sql(RequestsSql), args), ct)).ToList();
    }

    /// <summary>The requests with these ids the caller sees (the others are not named: as if they did not exist).</summary>
    public async Task<IReadOnlyList<WhistleRow>> ByIdAsync(Caller caller, IReadOnlyList<string> ids, CancellationToken ct) =>
        (await database.ReadAsync(c => database.Dialect.QueryListAsync<WhistleRow>(c, database.Dialect.Sql(ByIdSql), ids, chunk => new { caller.Role, Org = caller.OrgId, Ids = chunk }), ct))
            .OrderByDescending(w => w.RaisedAt).ThenByDescending(w => w.Id, StringComparer.Ordinal).ToList();

    /// <summary>The whistles' files (linked, not deleted): <c>media_url</c> names the first photo, or a client's own reference.</summary>
    public Task<ILookup<string, Whistle.Core.Attachments.AttachmentRow>> AttachmentsOfAsync(IReadOnlyList<WhistleRow> whistles, CancellationToken ct) =>
        database.ReadAsync(c => Whistle.Core.Attachments.AttachmentStore.OfWhistlesAsync(c, database.Dialect, whistles.Select(w => w.Id).ToList()), ct);

    public Task<ILookup<string, AssignmentRow>> AssignmentsOfAsync(IReadOnlyList<WhistleRow> whistles, CancellationToken ct) =>
        database.ReadAsync(c => WhistleRows.GetAssignmentsOfAsync(c, database.Dialect, whistles.Select(w => w.Id).ToList()), ct);
}
