using System.Data.Common;
using Dapper;
using Whistle.Contracts;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Messaging;
using Whistle.Core.Problems;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;

namespace Whistle.Core.County;

public sealed record RaiseFollowUpRequest(string? RelationId, DateTimeOffset? DueAt, string? Note);

public sealed record ReplyFollowUpRequest(string? Reply);

public static class FollowUpStatus
{
    /// <summary>Raised, not answered yet: its chain (催办 → 督办) runs.</summary>
    public const string Open = "open";
    /// <summary>The department (or institution) replied; it stays on the office's list until the mechanism is complete.</summary>
    public const string Answered = "answered";
    /// <summary>The mechanism is complete.</summary>
    public const string Closed = "closed";
    public static readonly IReadOnlyList<string> All = [Open, Answered, Closed];
}

public sealed record FollowUpRow : IDutyChained
{
    public string Id { get; init; } = "";
    public string RelationId { get; init; } = "";
    public string DepartmentId { get; init; } = "";
    public string InstitutionId { get; init; } = "";
    public string Missing { get; init; } = "";
    public string Note { get; init; } = "";
    public string Status { get; init; } = "";
    public string RaisedBy { get; init; } = "";
    public string RaisedByName { get; init; } = "";
    public DateTimeOffset RaisedAt { get; init; }
    public DateTimeOffset DueAt { get; init; }
    public string? Reply { get; init; }
    public string? RepliedBy { get; init; }
    public string? RepliedByName { get; init; }
    public DateTimeOffset? RepliedAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public DateTimeOffset? NextStepAt { get; init; }
    public string? NextStepKind { get; init; }
    public int? NextStepLevel { get; init; }
    public int ReminderCount { get; init; }
    public int EscalationCount { get; init; }
    public int RowVersion { get; init; }

    public IReadOnlyList<string> MissingKinds => Missing.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public DutyChainState ChainState => new(Id, Status == FollowUpStatus.Open, RaisedAt, DueAt, NextStepAt, NextStepKind, NextStepLevel, RowVersion);

    public FollowUpSnapshot ToSnapshot() => new(Id, RelationId, DepartmentId, InstitutionId, Status, MissingKinds, DueAt);
}


/// <summary>
/// The one owner of <c>mechanism_followups</c>: the establishment office's follow-ups (督促建立机制, issue 17). The office
/// raises one to a relation whose mechanism is missing — addressed to the relation's lead department, seen by its
/// institution — naming the records missing then, with a limit; it is reminded (催办) and escalated (督办) on the
/// escalation chain's pure functions (<see cref="EscalationPolicy"/>, repeated daily) until the department (or the
/// institution) replies; it closes when the relation's mechanism is complete — in the transaction that records the last
/// missing record (<see cref="CityUpkeep.RecordMechanismAsync"/>). Its own small aggregate rather than a work request:
/// see docs/ARCHITECTURE.md ("The establishment office's follow-ups"). Every step audited, on the timeline, pushed to
/// the county, the city, the department and the institution (<see cref="Visibility.FollowUpAudience"/>).
/// </summary>
public sealed class FollowUpStore(WhistleDatabase database, CountyCatalogHolder county, TimeProvider time)
{
    public const int NoteMax = 2000;

    /// <summary>An escalation repeats daily: a follow-up's limit is days, not a duty's minutes.</summary>
    public static readonly TimeSpan RepeatEvery = TimeSpan.FromDays(1);

    public const string Columns = """
        f.id, f.relation_id AS RelationId, f.department_id AS DepartmentId, f.institution_id AS InstitutionId, f.missing, f.note, f.status,
        f.raised_by AS RaisedBy, f.raised_by_name AS RaisedByName, f.raised_at AS RaisedAt, f.due_at AS DueAt, f.reply,
        f.replied_by AS RepliedBy, f.replied_by_name AS RepliedByName, f.replied_at AS RepliedAt, f.closed_at AS ClosedAt,
        f.next_step_at AS NextStepAt, f.next_step_kind AS NextStepKind, f.next_step_level AS NextStepLevel,
        f.reminder_count AS ReminderCount, f.escalation_count AS EscalationCount, f.row_version AS RowVersion
        """;

    private const string InsertSql = """
        INSERT INTO mechanism_followups (id, relation_id, department_id, institution_id, missing, note, status, raised_by, raised_by_name, raised_at, due_at,
            next_step_at, next_step_kind, next_step_level, reminder_count, escalation_count, row_version)
        VALUES (@Id, @RelationId, @DepartmentId, @InstitutionId, @Missing, @Note, @Status, @RaisedBy, @RaisedByName, @RaisedAt, @DueAt,
            @NextStepAt, @NextStepKind, @NextStepLevel, 0, 0, 0);
        """;

    private const string OpenOfRelationSql = "SELECT id FROM mechanism_followups WHERE relation_id = @RelationId AND status <> 'closed';";

    private const string ReplySql = """
        UPDATE mechanism_followups SET status = 'answered', reply = @Reply, replied_by = @UserName, replied_by_name = @DisplayName, replied_at = @Now,
            next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL, row_version = row_version + 1
        WHERE id = @Id AND status <> 'closed' AND row_version = @RowVersion;
        """;

    private const string CloseSql = """
        UPDATE mechanism_followups SET status = 'closed', closed_at = @Now, next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL,
            row_version = row_version + 1
        WHERE id = @Id AND status <> 'closed';
        """;

    private const string FireStepSql = """
        UPDATE mechanism_followups SET next_step_at = @NextAt, next_step_kind = @NextKind, next_step_level = @NextLevel,
            reminder_count = reminder_count + @Reminded, escalation_count = escalation_count + @Escalated, row_version = row_version + 1
        WHERE id = @Id AND status = 'open' AND next_step_at = @DueAt AND row_version = @RowVersion;
        """;

    private const string NextStepDueSql = "SELECT MIN(next_step_at) FROM mechanism_followups WHERE next_step_at IS NOT NULL;";

    private const string SelectSql = $"SELECT {Columns} FROM mechanism_followups f WHERE f.id = @Id;";

    private const string OpenOfRelationRowsSql = $"SELECT {Columns} FROM mechanism_followups f WHERE f.relation_id = @RelationId AND f.status <> 'closed';";

    private static string DueStepsSql(SqlDialect dialect) =>
        dialect.Limit("SELECT id, next_step_at AS At FROM mechanism_followups WHERE next_step_at <= @Now ORDER BY next_step_at, id");

    private static string SelectForUpdateSql(SqlDialect dialect) => dialect.SelectForUpdate(Columns, "mechanism_followups f", "f.id = @Id") + ";";

    private static EscalationSettings ChainSettings(CountyCatalog catalog) => new(catalog.Escalation.ReminderShare, (int)RepeatEvery.TotalMinutes);

    private const string ClearStepSql = "UPDATE mechanism_followups SET next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL WHERE id = @Id;";

    /// <summary>The office raises a follow-up to a relation whose mechanism is missing (one open at a time).</summary>
    public async Task<CommandResult<string>> RaiseAsync(Caller caller, RaiseFollowUpRequest request, CancellationToken ct)
    {
        if (caller.Role != Roles.EstablishmentOffice) return new CommandResult<string>.Forbidden(Problem.EstablishmentOfficeFollowsUp());
        await county.RefreshIfStaleAsync(database, ct);
        var catalog = county.Catalog;
        var now = time.GetUtcNow();
        var errors = new FieldErrors();
        var relation = string.IsNullOrWhiteSpace(request.RelationId) ? null : catalog.FindRelation(request.RelationId);
        if (string.IsNullOrWhiteSpace(request.RelationId)) errors.Set("relationId", Problem.Required("relationId"));
        else if (relation is null) errors.Set("relationId", Problem.Unknown("relationId", request.RelationId, $"Unknown relation '{request.RelationId}'."));
        if (request.DueAt is not { } due || due <= now) errors.Set("dueAt", Problem.DueInPast());
        WhistleValidation.Text(errors, "note", request.Note, NoteMax, required: false, multiLine: true);
        if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);

        var missing = relation!.MechanismState().Where(m => !m.Recorded).Select(m => m.Kind).ToList();
        if (missing.Count == 0) return new CommandResult<string>.Conflict(Problem.MechanismInPlace(relation.Id));
        try
        {
            return await InsertAsync(caller, request, catalog, relation, missing, now, ct);
        }
        catch (Exception ex) when (database.IsUniqueViolation(ex))
        {
            // Another request raised one for this relation meanwhile (both found none open): the database's unique index of
            // the open follow-ups (migration 0028) refused this one, answered as the check above answers it.
            var open = await database.ReadAsync(c => c.ExecuteScalarAsync<string?>(OpenOfRelationSql, new { RelationId = relation.Id }), ct);
            return new CommandResult<string>.Conflict(Problem.FollowUpOpen(open ?? throw new InvalidOperationException("The open follow-up vanished.", ex)));
        }
    }

    private Task<CommandResult<string>> InsertAsync(
        Caller caller, RaiseFollowUpRequest request, CountyCatalog catalog, RelationInfo relation, IReadOnlyList<string> missing, DateTimeOffset now, CancellationToken ct) =>
        database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                if (await unit.Connection.ExecuteScalarAsync<string?>(OpenOfRelationSql, new { RelationId = relation.Id }, unit.Transaction) is { } open)
                {
                    return new CommandResult<string>.Conflict(Problem.FollowUpOpen(open));
                }

                var row = new FollowUpRow
                {
                    Id = Guid.CreateVersion7(now).ToString(),
                    RelationId = relation.Id,
                    DepartmentId = relation.LeadDepartmentId,
                    InstitutionId = relation.InstitutionId,
                    Missing = string.Join(',', missing),
                    Note = request.Note?.Trim() ?? string.Empty,
                    Status = FollowUpStatus.Open,
                    RaisedBy = caller.UserName,
                    RaisedByName = caller.DisplayName,
                    RaisedAt = now,
                    DueAt = request.DueAt!.Value.ToUniversalTime(),
                };
                var first = DutyChain.First(row.RaisedAt, row.DueAt, now, ChainSettings(catalog));
                row = row with { NextStepAt = first?.At, NextStepKind = first?.Kind, NextStepLevel = first?.Level };
                await unit.Connection.ExecuteAsync(InsertSql, row, unit.Transaction);
                await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.FollowUp, row.Id, AuditActions.Raised, null,
                    new { row.RelationId, row.DepartmentId, row.InstitutionId, Missing = row.MissingKinds, row.DueAt, row.Note }, now);
                await AppendAsync(unit, WhistleEventTypes.FollowUpRaised, row, caller.Actor, row.Note, null, now);
                unit.Complete();
                return new CommandResult<string>.Success(row.Id);
            },
            ct);

    /// <summary>The relation's lead department (or its institution) replies; the chain stops, the follow-up stays until the mechanism is complete.</summary>
    public async Task<CommandResult<string>> ReplyAsync(Caller caller, string id, ReplyFollowUpRequest request, CancellationToken ct) =>
        await database.WriteAsync<CommandResult<string>>(
            async unit =>
            {
                var row = await LoadForUpdateAsync(unit, id);
                if (row is null || !Visibility.CanSeeFollowUp(caller, row.DepartmentId, row.InstitutionId)) return new CommandResult<string>.NotFound();
                if (caller.Role is not (Roles.Department or Roles.Institution)) return new CommandResult<string>.Forbidden(Problem.FollowUpAnswerers());
                var errors = new FieldErrors();
                WhistleValidation.Text(errors, "reply", request.Reply, NoteMax, required: true, multiLine: true);
                if (errors.Count > 0) return new CommandResult<string>.Invalid(errors);
                if (row.Status == FollowUpStatus.Closed) return new CommandResult<string>.Conflict(Problem.FollowUpClosed());
                var now = time.GetUtcNow();
                var reply = request.Reply!.Trim();
                var rows = await unit.Connection.ExecuteAsync(ReplySql, new { row.Id, Reply = reply, caller.UserName, caller.DisplayName, Now = now, row.RowVersion }, unit.Transaction);
                if (rows != 1) return new CommandResult<string>.Conflict(Problem.FollowUpChanged());
                var after = row with { Status = FollowUpStatus.Answered, Reply = reply, RepliedAt = now, RepliedBy = caller.UserName, RepliedByName = caller.DisplayName };
                await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.FollowUp, row.Id, AuditActions.Answered, new { row.Status, row.Reply }, new { after.Status, after.Reply }, now);
                await AppendAsync(unit, WhistleEventTypes.FollowUpReplied, after, caller.Actor, reply, null, now);
                unit.Complete();
                return new CommandResult<string>.Success(row.Id);
            },
            ct);

    /// <summary>
    /// In the transaction that changed a relation's mechanism: closes its follow-ups when the mechanism (as
    /// <paramref name="relation"/> now reads) is complete. Answers how many it closed.
    /// </summary>
    public static async Task<int> CloseIfCompleteAsync(UnitOfWork unit, RelationInfo relation, Caller caller, DateTimeOffset now)
    {
        if (relation.MechanismState().Any(m => !m.Recorded)) return 0;
        var open = (await unit.Connection.QueryAsync<FollowUpRow>(OpenOfRelationRowsSql, new { RelationId = relation.Id }, unit.Transaction)).ToList();
        foreach (var row in open)
        {
            await unit.Connection.ExecuteAsync(CloseSql, new { row.Id, Now = now }, unit.Transaction);
            var after = row with { Status = FollowUpStatus.Closed, ClosedAt = now };
            await AuditTrail.WriteAsync(unit, caller.Audit, AuditEntities.FollowUp, row.Id, AuditActions.Closed, new { row.Status }, new { after.Status, after.ClosedAt }, now);
            await AppendAsync(unit, WhistleEventTypes.FollowUpClosed, after, caller.Actor, null, null, now);
        }

        return open.Count;
    }

    // ---- The chain ----------------------------------------------------------------------------------------------

    /// <summary>The department's chain to reply: 催办 to the department; 督办 at and after the limit.</summary>
    public DutyChainSteps<FollowUpRow> Chain => new(
        database, county, time, ChainSettings, new(NextStepDueSql, DueStepsSql, ClearStepSql, FireStepSql), LoadForUpdateAsync, (unit, row, escalated, level, actor, now) =>
            AppendAsync(unit, escalated ? WhistleEventTypes.FollowUpEscalated : WhistleEventTypes.FollowUpReminded, row, actor, null, new EscalationStepInfo("reply", level), now));

    // ---- Rows ---------------------------------------------------------------------------------------------------

    private static Task<FollowUpRow?> LoadForUpdateAsync(UnitOfWork unit, string id) =>
        unit.Connection.QuerySingleOrDefaultAsync<FollowUpRow>(unit.Dialect.Sql(SelectForUpdateSql), new { Id = id }, unit.Transaction);

    public static Task<FollowUpRow?> GetAsync(DbConnection connection, string id) => connection.QuerySingleOrDefaultAsync<FollowUpRow>(SelectSql, new { Id = id });

    private static Task AppendAsync(UnitOfWork unit, string type, FollowUpRow row, EventActor actor, string? note, EscalationStepInfo? step, DateTimeOffset now) =>
        Timeline.AppendAsync(
            unit,
            new WhistleEvent(0, type, row.Id, null, now, actor, null, null, note, step, FollowUp: row.ToSnapshot()),
            Visibility.FollowUpAudience(row.DepartmentId, row.InstitutionId),
            now);
}
