using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Whistle.Core.Accounts;
using Whistle.Core.Domain;
using Whistle.Core.Storage;

namespace Whistle.Core.County;

/// <summary>Reads the county file, writes it to the database idempotently, and reads it back.</summary>
public static class CountyStore
{
    public static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web) { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static CountyDefinition ReadFile(string path) => ReadFileWithHash(path).County;

    /// <summary>The county file and the SHA-256 of its bytes (the import runs again only when they change).</summary>
    public static (CountyDefinition County, string Hash) ReadFileWithHash(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The county file '{path}' (Whistle:County:File) does not exist.", path);
        }

        var bytes = File.ReadAllBytes(path);
        var definition = JsonSerializer.Deserialize<CountyDefinition>(bytes, FileJson)
            ?? throw new InvalidDataException($"The county file '{path}' is empty.");
        var problems = CountyCatalog.Validate(definition);
        return problems.Count == 0
            ? (definition, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)))
            : throw new InvalidDataException($"The county file '{path}' is invalid: {string.Join(" ", problems)}");
    }

    private const string UpsertCountySql = """
        DELETE FROM county WHERE id <> @Id;
        UPDATE county SET name = @Name, name_en = @NameEn, reminder_share = @ReminderShare, repeat_every_minutes = @RepeatEveryMinutes,
            weight_response = @WeightResponse, weight_resolution = @WeightResolution, weight_satisfaction = @WeightSatisfaction,
            heads_json = @HeadsJson, city_id = @CityId, city_name = @CityName, city_name_en = @CityNameEn, file_hash = @FileHash, catalog_version = catalog_version + 1
        WHERE id = @Id;
        INSERT INTO county (id, name, name_en, reminder_share, repeat_every_minutes, weight_response, weight_resolution, weight_satisfaction, heads_json, city_id, city_name, city_name_en, file_hash, catalog_version)
        SELECT @Id, @Name, @NameEn, @ReminderShare, @RepeatEveryMinutes, @WeightResponse, @WeightResolution, @WeightSatisfaction, @HeadsJson, @CityId, @CityName, @CityNameEn, @FileHash, 1
        WHERE NOT EXISTS (SELECT 1 FROM county WHERE id = @Id);
        """;

    private const string SelectFileHashSql = "SELECT file_hash FROM county;";

    private const string UpsertTownshipSql = """
        UPDATE townships SET name = @Name, name_en = @NameEn WHERE id = @Id;
        INSERT INTO townships (id, name, name_en) SELECT @Id, @Name, @NameEn WHERE NOT EXISTS (SELECT 1 FROM townships WHERE id = @Id);
        """;

    private const string ClearBoundariesSql = "UPDATE townships SET boundary = NULL;";

    private const string SaveBoundarySql = "UPDATE townships SET boundary = @Boundary WHERE id = @Id;";

    private const string UpsertAgencySql = """
        UPDATE agencies SET name = @Name, name_en = @NameEn WHERE code = @Code;
        INSERT INTO agencies (code, name, name_en) SELECT @Code, @Name, @NameEn WHERE NOT EXISTS (SELECT 1 FROM agencies WHERE code = @Code);
        """;

    private const string UpsertBranchSql = """
        UPDATE branches SET agency_code = @AgencyCode, township_id = @TownshipId, name = @Name, name_en = @NameEn, position = @Position WHERE id = @Id;
        INSERT INTO branches (id, agency_code, township_id, name, name_en, position)
        SELECT @Id, @AgencyCode, @TownshipId, @Name, @NameEn, @Position WHERE NOT EXISTS (SELECT 1 FROM branches WHERE id = @Id);
        """;

    private const string RetireMattersSql = "UPDATE matters SET active = 0;";

    private const string UpsertMatterSql = """
        UPDATE matters SET name = @Name, name_en = @NameEn, category = @Category, category_en = @CategoryEn, position = @Position, active = 1 WHERE code = @Code;
        INSERT INTO matters (code, name, name_en, category, category_en, position, active)
        SELECT @Code, @Name, @NameEn, @Category, @CategoryEn, @Position, 1 WHERE NOT EXISTS (SELECT 1 FROM matters WHERE code = @Code);
        DELETE FROM matter_agencies WHERE matter_code = @Code;
        DELETE FROM matter_limits WHERE matter_code = @Code;
        """;

    private const string InsertMatterAgencySql = """
        INSERT INTO matter_agencies (matter_code, agency_code, role, position) VALUES (@MatterCode, @AgencyCode, @Role, @Position);
        """;

    private const string InsertMatterLimitSql = """
        INSERT INTO matter_limits (matter_code, urgency, report_within_minutes, resolve_within_minutes)
        VALUES (@MatterCode, @Urgency, @ReportWithinMinutes, @ResolveWithinMinutes);
        """;


    /// <summary>
    /// Writes the county to the database; running it twice changes nothing the second time. With a file
    /// hash, a file already imported is skipped, so that changes made since through the API survive restarts.
    /// </summary>
    public static async Task<bool> ImportAsync(UnitOfWork unit, CountyDefinition county, string? fileHash = null)
    {
        var (c, t) = (unit.Connection, unit.Transaction);
        if (fileHash is not null && await c.ExecuteScalarAsync<string?>(SelectFileHashSql, transaction: t) == fileHash)
        {
            return false;
        }

        var escalation = county.EscalationOrDefault;
        var weights = county.AssessmentOrDefault.WeightsOrDefault;
        await c.ExecuteAsync(
            UpsertCountySql,
            new
            {
                county.County.Id,
                county.County.Name,
                county.County.NameEn,
                escalation.ReminderShare,
                escalation.RepeatEveryMinutes,
                WeightResponse = weights.Response,
                WeightResolution = weights.Resolution,
                WeightSatisfaction = weights.Satisfaction,
                HeadsJson = JsonSerializer.Serialize(county.HeadsOrDefault, FileJson),
                CityId = county.City?.Id,
                CityName = county.City?.Name,
                CityNameEn = county.City?.NameEn,
                FileHash = fileHash,
            },
            t);
        await c.ExecuteAsync(UpsertTownshipSql, county.Townships, t);
        // The townships' boundaries (the map's): the file's, and none for a township it gives none.
        await c.ExecuteAsync(ClearBoundariesSql, transaction: t);
        await c.ExecuteAsync(SaveBoundarySql, CountyBoundaries.Geometries(county.Boundaries).Select(g => new { Id = g.Key, Boundary = g.Value }), t);
        await c.ExecuteAsync(UpsertAgencySql, county.Agencies, t);
        await c.ExecuteAsync(UpsertBranchSql, county.Branches.Select((b, i) => new { b.Id, b.AgencyCode, b.TownshipId, b.Name, b.NameEn, Position = i }), t);
        await c.ExecuteAsync(RetireMattersSql, transaction: t);
        await c.ExecuteAsync(UpsertMatterSql, county.Matters.Select((m, i) => new { m.Code, m.Name, m.NameEn, m.Category, m.CategoryEn, Position = i }), t);
        await c.ExecuteAsync(
            InsertMatterAgencySql,
            county.Matters.SelectMany(m => m.Agencies.Select((a, i) => new { MatterCode = m.Code, a.AgencyCode, a.Role, Position = i })),
            t);
        await c.ExecuteAsync(
            InsertMatterLimitSql,
            county.Matters.SelectMany(m => Urgency.All.Select(u => new
            {
                MatterCode = m.Code,
                Urgency = u,
                m.LimitsFor(u).ReportWithinMinutes,
                m.LimitsFor(u).ResolveWithinMinutes,
            })),
            t);
        await CityStore.ImportAsync(unit, county.City);
        await Heads.HeadStore.SeedAsync(unit, county.BranchHeads ?? [], DateTimeOffset.UtcNow);
        await AccountStore.SeedAsync(unit, (county.Users ?? []).Select(u => new SeededAccount(u.UserName, u.DisplayName, u.Role, u.OrgId, u.PasswordHash)));
        return true;
    }

    private const string MaxMatterPositionSql = "SELECT COALESCE(MAX(position), -1) FROM matters;";

    private const string MatterPositionSql = "SELECT position FROM matters WHERE code = @Code;";

    private const string RetireMatterSql = "UPDATE matters SET active = 0 WHERE code = @Code;";

    private const string UpdateAgencySql = "UPDATE agencies SET name = @Name, name_en = @NameEn WHERE code = @Code;";

    private const string BumpCatalogVersionSql = """
        UPDATE county SET catalog_version = catalog_version + 1;
        SELECT catalog_version FROM county;
        """;

    /// <summary>Creates or changes one matter of the whistle list (its agencies and limits with it).</summary>
    public static async Task SaveMatterAsync(UnitOfWork unit, MatterInfo m)
    {
        var (c, t) = (unit.Connection, unit.Transaction);
        var position = await c.ExecuteScalarAsync<int?>(MatterPositionSql, new { m.Code }, t)
            ?? await c.ExecuteScalarAsync<int>(MaxMatterPositionSql, transaction: t) + 1;
        await c.ExecuteAsync(UpsertMatterSql, new { m.Code, m.Name, m.NameEn, m.Category, m.CategoryEn, Position = position }, t);
        await c.ExecuteAsync(InsertMatterAgencySql, m.Agencies.Select((a, i) => new { MatterCode = m.Code, a.AgencyCode, a.Role, Position = i }), t);
        await c.ExecuteAsync(
            InsertMatterLimitSql,
            Urgency.All.Select(u => new { MatterCode = m.Code, Urgency = u, m.LimitsFor(u).ReportWithinMinutes, m.LimitsFor(u).ResolveWithinMinutes }),
            t);
    }

    public static Task RetireMatterAsync(UnitOfWork unit, string code) =>
        unit.Connection.ExecuteAsync(RetireMatterSql, new { Code = code }, unit.Transaction);

    public static Task RenameAgencyAsync(UnitOfWork unit, string code, string name, string nameEn) =>
        unit.Connection.ExecuteAsync(UpdateAgencySql, new { Code = code, Name = name, NameEn = nameEn }, unit.Transaction);

    /// <summary>Marks the county as changed; returns the new catalog version.</summary>
    public static Task<int> BumpVersionAsync(UnitOfWork unit) =>
        unit.Connection.ExecuteScalarAsync<int>(BumpCatalogVersionSql, transaction: unit.Transaction);

    /// <summary>The demo accounts: one per organisation, all with the password <c>demo</c>.</summary>
    public static IReadOnlyList<DemoUser> DemoUsers(CountyDefinition county)
    {
        var users = new List<DemoUser>
        {
            new("supervisor", $"{county.County.Name}督查室 督查员", Roles.Supervisor, county.County.Id, $"{county.County.Name}督查室"),
            // 三员分立: one account for each administrator, each holding that one role.
            new("sysadmin", $"{county.County.Name}信息中心 系统管理员", Roles.SysAdmin, county.County.Id, $"{county.County.Name}信息中心"),
            new("secadmin", $"{county.County.Name}信息中心 安全管理员", Roles.SecAdmin, county.County.Id, $"{county.County.Name}信息中心"),
            new("auditadmin", $"{county.County.Name}信息中心 审计管理员", Roles.AuditAdmin, county.County.Id, $"{county.County.Name}信息中心"),
        };
        users.AddRange(county.Townships.Select(t => new DemoUser($"township.{t.Id}", $"{t.Name} 值班员", Roles.Township, t.Id, t.Name)));
        users.AddRange(county.Agencies.Select(a => new DemoUser($"agency.{a.Code}", $"{a.Name} 调度员", Roles.Agency, a.Code, a.Name)));
        users.AddRange(county.Branches.Select(b => new DemoUser($"branch.{b.Id}", $"{b.Name} 值班员", Roles.Branch, b.Id, b.Name)));
        if (county.City is { } city)
        {
            // The city level (issue 17): the establishment office, a clerk per department, a duty officer per institution and per office.
            users.Add(new DemoUser("establishment-office", $"{city.Name}委编办 工作人员", Roles.EstablishmentOffice, city.Id, $"{city.Name}委编办"));
            users.AddRange(city.Departments.Select(d => new DemoUser($"department.{d.Id}", $"{d.Name} 工作人员", Roles.Department, d.Id, d.Name)));
            users.AddRange(city.Institutions.Select(i => new DemoUser($"institution.{i.Id}", $"{i.Name} 值班员", Roles.Institution, i.Id, i.Name)));
            users.AddRange(city.Institutions.SelectMany(i => i.UnitsOrEmpty.Where(u => u.Kind == InstitutionUnitKind.Office)
                .Select(u =>
                {
                    var name = CountyCatalog.UnitDisplayName(i.Name, u.Name ?? u.Id);
                    return new DemoUser($"office.{u.Id}", $"{name} 值班员", Roles.Institution, u.Id, name);
                })));
        }

        return users;
    }

    /// <summary>The demo accounts (through <see cref="AccountStore"/>, the accounts' owner), or their removal when the demo is off.</summary>
    public static Task SeedDemoUsersAsync(UnitOfWork unit, CountyDefinition county, bool enabled)
    {
        if (!enabled)
        {
            return AccountStore.SeedDemoAsync(unit, [], enabled: false);
        }

        // One hash for the shared demo password: hashing it per account would cost seconds at start-up.
        var hash = new PasswordHasher<DemoUser>().HashPassword(null!, DemoPassword);
        return AccountStore.SeedDemoAsync(unit, DemoUsers(county).Select(u => new SeededAccount(u.UserName, u.DisplayName, u.Role, u.OrgId, hash)), enabled: true);
    }

    public const string DemoPassword = "demo";

    private const string SelectCountySql = """
        SELECT id, name, name_en AS NameEn, reminder_share AS ReminderShare, repeat_every_minutes AS RepeatEveryMinutes,
               weight_response AS WeightResponse, weight_resolution AS WeightResolution, weight_satisfaction AS WeightSatisfaction, heads_json AS HeadsJson,
               city_id AS CityId, city_name AS CityName, city_name_en AS CityNameEn FROM county;
        SELECT id, name, name_en AS NameEn FROM townships ORDER BY id;
        SELECT code, name, name_en AS NameEn FROM agencies ORDER BY code;
        SELECT id, agency_code AS AgencyCode, township_id AS TownshipId, name, name_en AS NameEn FROM branches ORDER BY position, id;
        SELECT code, name, name_en AS NameEn, category, category_en AS CategoryEn, active FROM matters ORDER BY position, code;
        SELECT matter_code AS MatterCode, agency_code AS AgencyCode, role FROM matter_agencies ORDER BY matter_code, position;
        SELECT matter_code AS MatterCode, urgency, report_within_minutes AS ReportWithinMinutes, resolve_within_minutes AS ResolveWithinMinutes FROM matter_limits;
        """;

    private sealed record MatterRow
    {
        public string Code { get; init; } = "";
        public string Name { get; init; } = "";
        public string NameEn { get; init; } = "";
        public string Category { get; init; } = "";
        public string CategoryEn { get; init; } = "";
        public bool Active { get; init; }
    }

    private sealed record CountyRow
    {
        public string Id { get; init; } = "";
        public string Name { get; init; } = "";
        public string NameEn { get; init; } = "";
        public double ReminderShare { get; init; }
        public int RepeatEveryMinutes { get; init; }
        public double WeightResponse { get; init; }
        public double WeightResolution { get; init; }
        public double WeightSatisfaction { get; init; }
        public string? HeadsJson { get; init; }
        public string? CityId { get; init; }
        public string? CityName { get; init; }
        public string? CityNameEn { get; init; }
    }

    private sealed record MatterAgencyRow(string MatterCode, string AgencyCode, string Role);

    private sealed record MatterLimitRow
    {
        public string MatterCode { get; init; } = "";
        public string Urgency { get; init; } = "";
        public int ReportWithinMinutes { get; init; }
        public int ResolveWithinMinutes { get; init; }
    }

    /// <summary>Reads the county back from the database: what every process routes and answers with.</summary>
    public static Task<CountyDefinition> LoadAsync(DbConnection connection) => LoadAsync(connection, null);

    public static async Task<CountyDefinition> LoadAsync(DbConnection connection, DbTransaction? transaction)
    {
        await using var grid = await connection.QueryMultipleAsync(SelectCountySql, transaction: transaction);
        var county = (await grid.ReadAsync<CountyRow>()).SingleOrDefault()
            ?? throw new InvalidOperationException("No county has been imported into the database.");
        var townships = (await grid.ReadAsync<TownshipInfo>()).ToList();
        var agencies = (await grid.ReadAsync<AgencyInfo>()).ToList();
        var branches = (await grid.ReadAsync<BranchInfo>()).ToList();
        var matters = (await grid.ReadAsync<MatterRow>()).ToList();
        var agencyRows = (await grid.ReadAsync<MatterAgencyRow>()).ToLookup(r => r.MatterCode);
        var limitRows = (await grid.ReadAsync<MatterLimitRow>()).ToLookup(r => r.MatterCode);
        MatterLimit Limit(string matter, string urgency)
        {
            var row = limitRows[matter].Single(r => r.Urgency == urgency);
            return new MatterLimit(row.ReportWithinMinutes, row.ResolveWithinMinutes);
        }

        var boundaries = await CountyBoundaries.LoadAsync(connection, transaction);
        var city = await CityStore.LoadAsync(connection, transaction, county.CityId, county.CityName, county.CityNameEn);
        return new CountyDefinition(
            new CountyInfo(county.Id, county.Name, county.NameEn),
            townships,
            agencies,
            branches,
            matters.Select(m => new MatterInfo(
                m.Code,
                m.Name,
                m.NameEn,
                m.Category,
                m.CategoryEn,
                agencyRows[m.Code].Select(a => new MatterAgency(a.AgencyCode, a.Role)).ToList(),
                new MatterLimits(Limit(m.Code, Urgency.Routine), Limit(m.Code, Urgency.Urgent), Limit(m.Code, Urgency.Emergency)),
                m.Active))
            .ToList(),
            Users: null,
            Escalation: new EscalationSettings(county.ReminderShare, county.RepeatEveryMinutes),
            Assessment: new AssessmentSettings(new AssessmentWeights(county.WeightResponse, county.WeightResolution, county.WeightSatisfaction)),
            Heads: county.HeadsJson is null ? null : JsonSerializer.Deserialize<Heads.HeadsSettings>(county.HeadsJson, FileJson),
            Boundaries: boundaries,
            City: city);
    }
}

public sealed record DemoUser(string UserName, string DisplayName, string Role, string OrgId, string OrgName);
