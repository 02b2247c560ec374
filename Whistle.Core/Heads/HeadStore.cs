using System.Data.Common;
using Dapper;
using Whistle.Core.Problems;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Storage;

namespace Whistle.Core.Heads;

/// <summary>
/// The one owner of <c>branch_heads</c>: who heads each branch (and who deputises), with history. The county file seeds
/// the record (a post with no current holder gets the file's); from then on the institution (agency) that stations the
/// branch keeps it: a new holder ends the current one's tenure (kept, with who ended it), a post may be left vacant.
/// Every change is audited and pushed to the county, the township and the institution. Nothing beyond what the post
/// needs: a name, the post's title, since when.
/// </summary>
public sealed class HeadStore(WhistleDatabase database, CountyCatalogHolder county, TimeProvider time)
{
    public const int NameMax = 100;

    private const string HeadColumns = """
        id, branch_id AS BranchId, post, name, title, held_from AS HeldFrom, held_until AS HeldUntil, appointed_by AS AppointedBy,
        ended_by AS EndedBy, created_at AS CreatedAt
        """;

    private const string CurrentSql = $"SELECT {HeadColumns} FROM branch_heads WHERE held_until IS NULL ORDER BY branch_id, post;";

    private const string HistorySql = $"SELECT {HeadColumns} FROM branch_heads WHERE branch_id = @BranchId ORDER BY held_from DESC, created_at DESC;";

    private const string CurrentOfSql = $"SELECT {HeadColumns} FROM branch_heads WHERE branch_id = @BranchId AND post = @Post AND held_until IS NULL;";

    private const string InsertSql = """
        INSERT INTO branch_heads (id, branch_id, post, name, title, held_from, held_until, appointed_by, ended_by, created_at)
        VALUES (@Id, @BranchId, @Post, @Name, @Title, @HeldFrom, NULL, @AppointedBy, NULL, @CreatedAt);
        """;

    private const string EndSql = "UPDATE branch_heads SET held_until = @Until, ended_by = @EndedBy WHERE id = @Id AND held_until IS NULL;";

    private static string LockBranchSql(SqlDialect dialect) => dialect.SelectForUpdate("b.id", "branches b", "b.id = @BranchId") + ";";

    /// <summary>Every post's current holder.</summary>
    public async Task<IReadOnlyList<HeadRow>> CurrentAsync(CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<HeadRow>(CurrentSql), ct)).ToList();

    /// <summary>A branch's holders, the latest first.</summary>
    public async Task<IReadOnlyList<HeadRow>> HistoryAsync(string branchId, CancellationToken ct) =>
        (await database.ReadAsync(c => c.QueryAsync<HeadRow>(HistorySql, new { BranchId = branchId }), ct)).ToList();

    public static async Task<HeadRow?> CurrentOfAsync(DbConnection connection, string branchId, string post, DbTransaction? transaction = null) =>
        await connection.QuerySingleOrDefaultAsync<HeadRow>(CurrentOfSql, new { BranchId = branchId, Post = post }, transaction);

    /// <summary>The county file's heads, for the posts that have no current holder yet (run by the county import).</summary>
    public static async Task SeedAsync(UnitOfWork unit, IEnumerable<BranchHeadInfo> heads, DateTimeOffset now)
    {
        foreach (var h in heads)
        {
            if (await CurrentOfAsync(unit.Connection, h.BranchId, h.Post, unit.Transaction) is not null) continue;
            var row = new HeadRow
            {
                Id = Guid.CreateVersion7(now).ToString(), BranchId = h.BranchId, Post = h.Post, Name = h.Name.Trim(), Title = h.Title.Trim(),
                HeldFrom = h.Since.ToUniversalTime(), AppointedBy = "county-file", CreatedAt = now,
            };
            await unit.Connection.ExecuteAsync(InsertSql, row, unit.Transaction);
            await AuditTrail.WriteAsync(unit, new AuditActor("system", "县区数据文件", null), AuditEntities.BranchHead, row.Id, AuditActions.Seeded, null, row, now);
        }
    }

    /// <summary>The institution appoints a holder of a post (ending the current one's tenure at the new one's start).</summary>
    public async Task<CommandResult<string>> SetAsync(Caller caller, string branchId, string post, SetHeadRequest r, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WhistleValidation.Text(errors, "name", r.Name, NameMax, required: true);
        WhistleValidation.Text(errors, "title", r.Title, NameMax, required: true);
        var now = time.GetUtcNow();
        var since = (r.Since ?? now).ToUniversalTime();
        if (since > now.AddDays(1)) errors.Set("since", Problem.TenureStartsInFuture());
        return await ChangeAsync(caller, branchId, post, errors, since, r, ct);
    }

    /// <summary>The institution leaves a post vacant (the current holder's tenure ends now).</summary>
    public Task<CommandResult<string>> VacateAsync(Caller caller, string branchId, string post, CancellationToken ct) =>
        ChangeAsync(caller, branchId, post, new FieldErrors(), time.GetUtcNow(), null, ct);

    private async Task<CommandResult<string>> ChangeAsync(
        Caller caller, string branchId, string post, FieldErrors errors, DateTimeOffset at, SetHeadRequest? appoint, CancellationToken ct)
    {
        var branch = county.Catalog.FindBranch(branchId);
        if (branch is null || !HeadPost.All.Contains(post)) return new CommandResult<string>.NotFound();
        if (caller.Role != Roles.Agency || caller.OrgId != branch.AgencyCode)
            return caller.Role is Roles.Supervisor or Roles.Township or Roles.Agency
                ? new CommandResult<string>.Forbidden(Problem.HeadsKeptByInstitution())
                : new CommandResult<string>.NotFound();
        if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
        return await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var now = time.GetUtcNow();
                await unit.Connection.ExecuteAsync(unit.Dialect.Sql(LockBranchSql), new { BranchId = branchId }, unit.Transaction);
                var current = await CurrentOfAsync(unit.Connection, branchId, post, unit.Transaction);
                if (appoint is null && current is null) return new CommandResult<string>.Conflict(Problem.PostVacant());
                if (current is not null)
                {
                    var until = at < current.HeldFrom ? current.HeldFrom : at;
                    if (await unit.Connection.ExecuteAsync(EndSql, new { current.Id, Until = until, EndedBy = caller.UserName }, unit.Transaction) != 1)
                        return new CommandResult<string>.Conflict(Problem.PostChanged());
                }

                HeadRow? next = null;
                if (appoint is not null)
                {
                    next = new HeadRow
                    {
                        Id = Guid.CreateVersion7(now).ToString(), BranchId = branchId, Post = post, Name = appoint.Name!.Trim(), Title = appoint.Title!.Trim(),
                        HeldFrom = at, AppointedBy = caller.UserName, CreatedAt = now,
                    };
                    await unit.Connection.ExecuteAsync(InsertSql, next, unit.Transaction);
                }

                await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.BranchHead, $"{branchId}/{post}", next is null ? AuditActions.Vacated : AuditActions.Appointed, current, next, now);
                var id = next?.Id ?? current!.Id;
                await Timeline.AppendAsync(
                    unit,
                    new WhistleEvent(0, WhistleEventTypes.BranchHeadChanged, id, null, now, caller.Actor, null, null,
                        next is null ? $"{post}: vacant" : $"{post}: {next.Name}", null, null, Heads:
                        new HeadsSnapshot("head", id, branch.TownshipId, branch.Id, branch.AgencyCode, next is null ? "vacant" : "appointed", null, next?.Name)),
                    Visibility.HeadsAudience(branch.TownshipId, branch.AgencyCode),
                    now);
                unit.Complete();
                return new CommandResult<string>.Success(id);
            },
            ct);
    }
}
