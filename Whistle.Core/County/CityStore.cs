using System.Data.Common;
using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Core.County;

/// <summary>
/// The city level's organisation (issue 17): the one writer of <c>departments</c>, <c>institutions</c>,
/// <c>institution_units</c>, <c>city_relations</c>, <c>relation_departments</c>, <c>work_items</c> and
/// <c>relation_mechanisms</c>, imported with the county file (<see cref="CountyStore.ImportAsync"/>) and read back with
/// it; a mechanism record is also kept in upkeep (<see cref="RecordMechanismAsync"/>). A relation is never deleted (past work requests name it); a work item left out of the file is retired (kept for
/// the requests raised on it, never offered again), as the whistle list's matters are.
/// </summary>
public static class CityStore
{
    private const string UpsertDepartmentSql = """
        UPDATE departments SET name = @Name, name_en = @NameEn, position = @Position WHERE id = @Id;
        INSERT INTO departments (id, name, name_en, position) SELECT @Id, @Name, @NameEn, @Position WHERE NOT EXISTS (SELECT 1 FROM departments WHERE id = @Id);
        """;

    private const string UpsertInstitutionSql = """
        UPDATE institutions SET name = @Name, name_en = @NameEn, agency_code = @AgencyCode, position = @Position WHERE id = @Id;
        INSERT INTO institutions (id, name, name_en, agency_code, position)
        SELECT @Id, @Name, @NameEn, @AgencyCode, @Position WHERE NOT EXISTS (SELECT 1 FROM institutions WHERE id = @Id);
        """;

    private const string UpsertUnitSql = """
        UPDATE institution_units SET institution_id = @InstitutionId, kind = @Kind, name = @Name, name_en = @NameEn, branch_id = @BranchId, position = @Position WHERE id = @Id;
        INSERT INTO institution_units (id, institution_id, kind, name, name_en, branch_id, position)
        SELECT @Id, @InstitutionId, @Kind, @Name, @NameEn, @BranchId, @Position WHERE NOT EXISTS (SELECT 1 FROM institution_units WHERE id = @Id);
        """;

    private const string UpsertRelationSql = """
        UPDATE city_relations SET kind = @Kind, institution_id = @InstitutionId, name = @Name, name_en = @NameEn, position = @Position WHERE id = @Id;
        INSERT INTO city_relations (id, kind, institution_id, name, name_en, position)
        SELECT @Id, @Kind, @InstitutionId, @Name, @NameEn, @Position WHERE NOT EXISTS (SELECT 1 FROM city_relations WHERE id = @Id);
        DELETE FROM relation_departments WHERE relation_id = @Id;
        DELETE FROM relation_mechanisms WHERE relation_id = @Id AND recorded_by IS NULL;
        """;

    private const string InsertRelationDepartmentSql = """
        INSERT INTO relation_departments (relation_id, department_id, role, field, field_en, position)
        VALUES (@RelationId, @DepartmentId, @Role, @Field, @FieldEn, @Position);
        """;

    // A record kept in upkeep (recorded_by set) is the live one: the file's record of the same kind does not replace it.
    private const string InsertMechanismSql = """
        INSERT INTO relation_mechanisms (relation_id, kind, title, body, reference, within_days)
        SELECT @RelationId, @Kind, @Title, @Body, @Reference, @WithinDays
        WHERE NOT EXISTS (SELECT 1 FROM relation_mechanisms WHERE relation_id = @RelationId AND kind = @Kind);
        """;

    private const string RecordMechanismSql = """
        UPDATE relation_mechanisms SET title = @Title, body = @Body, reference = @Reference, recorded_by = @RecordedBy, recorded_at = @RecordedAt
        WHERE relation_id = @RelationId AND kind = @Kind;
        INSERT INTO relation_mechanisms (relation_id, kind, title, body, reference, recorded_by, recorded_at)
        SELECT @RelationId, @Kind, @Title, @Body, @Reference, @RecordedBy, @RecordedAt
        WHERE NOT EXISTS (SELECT 1 FROM relation_mechanisms WHERE relation_id = @RelationId AND kind = @Kind);
        """;

    /// <summary>
    /// Upkeep (issue 17): records (or updates) one record of a relation's mechanism, by the relation's lead department or
    /// the establishment office (<see cref="CityUpkeep.RecordMechanismAsync"/>, which checks who and audits it), in its
    /// transaction. A record kept here outlives a later import of the county file.
    /// </summary>
    public static Task RecordMechanismAsync(UnitOfWork unit, string relationId, MechanismInfo record, string recordedBy, DateTimeOffset now) =>
        unit.Connection.ExecuteAsync(
            RecordMechanismSql,
            new { RelationId = relationId, record.Kind, record.Title, record.Body, record.Reference, RecordedBy = recordedBy, RecordedAt = now },
            unit.Transaction);

    private const string RetireWorkItemsSql = "UPDATE work_items SET active = 0;";

    private const string UpsertWorkItemSql = """
        UPDATE work_items SET relation_id = @RelationId, department_id = @DepartmentId, unit_id = @UnitId, name = @Name, name_en = @NameEn,
            process = @Process, content = @Content, standard = @Standard, report_within_minutes = @ReportWithinMinutes,
            resolve_within_minutes = @ResolveWithinMinutes, position = @Position, active = @Active
        WHERE code = @Code;
        INSERT INTO work_items (code, relation_id, department_id, unit_id, name, name_en, process, content, standard,
                                report_within_minutes, resolve_within_minutes, position, active)
        SELECT @Code, @RelationId, @DepartmentId, @UnitId, @Name, @NameEn, @Process, @Content, @Standard,
               @ReportWithinMinutes, @ResolveWithinMinutes, @Position, @Active
        WHERE NOT EXISTS (SELECT 1 FROM work_items WHERE code = @Code);
        """;

    /// <summary>Writes the city of the county file (in the import's transaction); nothing when the file has none.</summary>
    public static async Task ImportAsync(UnitOfWork unit, CityInfo? city)
    {
        var (c, t) = (unit.Connection, unit.Transaction);
        await c.ExecuteAsync(RetireWorkItemsSql, transaction: t);
        if (city is null)
        {
            return;
        }

        await c.ExecuteAsync(UpsertDepartmentSql, city.Departments.Select((d, i) => new { d.Id, d.Name, d.NameEn, Position = i }), t);
        await c.ExecuteAsync(UpsertInstitutionSql, city.Institutions.Select((x, i) => new { x.Id, x.Name, x.NameEn, x.AgencyCode, Position = i }), t);
        await c.ExecuteAsync(
            UpsertUnitSql,
            city.Institutions.SelectMany(x => x.UnitsOrEmpty.Select((u, i) => new
            {
                u.Id,
                InstitutionId = x.Id,
                u.Kind,
                // A linked branch keeps its name in its branches row: not copied here.
                Name = u.BranchId is null ? u.Name : null,
                NameEn = u.BranchId is null ? u.NameEn : null,
                u.BranchId,
                Position = i,
            })),
            t);
        await c.ExecuteAsync(UpsertRelationSql, city.Relations.Select((r, i) => new { r.Id, r.Kind, r.InstitutionId, r.Name, r.NameEn, Position = i }), t);
        await c.ExecuteAsync(
            InsertRelationDepartmentSql,
            city.Relations.SelectMany(r => r.Departments.Select((d, i) => new { RelationId = r.Id, d.DepartmentId, d.Role, d.Field, d.FieldEn, Position = i })),
            t);
        await c.ExecuteAsync(
            InsertMechanismSql,
            city.Relations.SelectMany(r => r.MechanismsOrEmpty.Select(m => new { RelationId = r.Id, m.Kind, m.Title, m.Body, m.Reference, m.WithinDays })),
            t);
        await c.ExecuteAsync(
            UpsertWorkItemSql,
            city.Relations.SelectMany(r => r.WorkItemsOrEmpty.Select((w, i) => new
            {
                w.Code,
                RelationId = r.Id,
                w.DepartmentId,
                w.UnitId,
                w.Name,
                w.NameEn,
                w.Process,
                w.Content,
                w.Standard,
                w.ReportWithinMinutes,
                w.ResolveWithinMinutes,
                Position = i,
                // {bool} is smallint on PostgreSQL: bound as a number, as every dialect takes it.
                Active = w.Active ? 1 : 0,
            })),
            t);
    }

    private const string SelectCitySql = """
        SELECT id, name, name_en AS NameEn FROM departments ORDER BY position, id;
        SELECT id, name, name_en AS NameEn, agency_code AS AgencyCode FROM institutions ORDER BY position, id;
        SELECT id, institution_id AS InstitutionId, kind, name, name_en AS NameEn, branch_id AS BranchId FROM institution_units ORDER BY position, id;
        SELECT id, kind, institution_id AS InstitutionId, name, name_en AS NameEn FROM city_relations ORDER BY position, id;
        SELECT relation_id AS RelationId, department_id AS DepartmentId, role, field, field_en AS FieldEn FROM relation_departments ORDER BY relation_id, position;
        SELECT relation_id AS RelationId, kind, title, body, reference, within_days AS WithinDays FROM relation_mechanisms ORDER BY relation_id, kind;
        SELECT code, relation_id AS RelationId, department_id AS DepartmentId, unit_id AS UnitId, name, name_en AS NameEn, process, content, standard,
               report_within_minutes AS ReportWithinMinutes, resolve_within_minutes AS ResolveWithinMinutes, active
        FROM work_items ORDER BY relation_id, position, code;
        """;

    private sealed record InstitutionRow
    {
        public string Id { get; init; } = "";
        public string Name { get; init; } = "";
        public string NameEn { get; init; } = "";
        public string? AgencyCode { get; init; }
    }

    private sealed record UnitRow
    {
        public string Id { get; init; } = "";
        public string InstitutionId { get; init; } = "";
        public string Kind { get; init; } = "";
        public string? Name { get; init; }
        public string? NameEn { get; init; }
        public string? BranchId { get; init; }
    }

    private sealed record RelationRow
    {
        public string Id { get; init; } = "";
        public string Kind { get; init; } = "";
        public string InstitutionId { get; init; } = "";
        public string Name { get; init; } = "";
        public string NameEn { get; init; } = "";
    }

    private sealed record RelationDepartmentRow
    {
        public string RelationId { get; init; } = "";
        public string DepartmentId { get; init; } = "";
        public string Role { get; init; } = "";
        public string? Field { get; init; }
        public string? FieldEn { get; init; }
    }

    private sealed record MechanismRow
    {
        public string RelationId { get; init; } = "";
        public string Kind { get; init; } = "";
        public string Title { get; init; } = "";
        public string? Body { get; init; }
        public string? Reference { get; init; }
        public int? WithinDays { get; init; }
    }

    private sealed record WorkItemRow
    {
        public string Code { get; init; } = "";
        public string RelationId { get; init; } = "";
        public string? DepartmentId { get; init; }
        public string? UnitId { get; init; }
        public string Name { get; init; } = "";
        public string NameEn { get; init; } = "";
        public string Process { get; init; } = "";
        public string Content { get; init; } = "";
        public string Standard { get; init; } = "";
        public int ReportWithinMinutes { get; init; }
        public int ResolveWithinMinutes { get; init; }
        public bool Active { get; init; }
    }

    /// <summary>The city as the database holds it (null when the county has none), for the catalog every process judges by.</summary>
    public static async Task<CityInfo?> LoadAsync(DbConnection connection, DbTransaction? transaction, string? cityId, string? name, string? nameEn)
    {
        if (cityId is null)
        {
            return null;
        }

        await using var grid = await connection.QueryMultipleAsync(SelectCitySql, transaction: transaction);
        var departments = (await grid.ReadAsync<DepartmentInfo>()).ToList();
        var institutions = (await grid.ReadAsync<InstitutionRow>()).ToList();
        var units = (await grid.ReadAsync<UnitRow>()).ToLookup(u => u.InstitutionId);
        var relations = (await grid.ReadAsync<RelationRow>()).ToList();
        var relationDepartments = (await grid.ReadAsync<RelationDepartmentRow>()).ToLookup(r => r.RelationId);
        var mechanisms = (await grid.ReadAsync<MechanismRow>()).ToLookup(m => m.RelationId);
        var items = (await grid.ReadAsync<WorkItemRow>()).ToLookup(w => w.RelationId);
        return new CityInfo(
            cityId,
            name ?? cityId,
            nameEn ?? cityId,
            departments,
            institutions.Select(i => new InstitutionInfo(
                i.Id, i.Name, i.NameEn,
                units[i.Id].Select(u => new InstitutionUnitInfo(u.Id, u.Kind, u.Name, u.NameEn, u.BranchId)).ToList(),
                i.AgencyCode)).ToList(),
            relations.Select(r => new RelationInfo(
                r.Id, r.Kind, r.InstitutionId, r.Name, r.NameEn,
                relationDepartments[r.Id].Select(d => new RelationDepartmentInfo(d.DepartmentId, d.Role, d.Field, d.FieldEn)).ToList(),
                items[r.Id].Select(w => new WorkItemInfo(
                    w.Code, w.Name, w.NameEn, w.Process, w.Content, w.Standard, w.ReportWithinMinutes, w.ResolveWithinMinutes,
                    w.DepartmentId, w.UnitId, w.Active)).ToList(),
                mechanisms[r.Id].Select(m => new MechanismInfo(m.Kind, m.Title, m.Body, m.Reference, m.WithinDays)).ToList())).ToList());
    }
}
