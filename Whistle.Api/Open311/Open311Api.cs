using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Contracts;
using Whistle.Core.County;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;
using static Whistle.Api.Open311.Open311Format;

namespace Whistle.Api.Open311;

/// <summary>One Open311 client: its key, and the township account its requests are raised as.</summary>
public sealed class Open311ApiKey
{
    public string Key { get; set; } = "";

    public string UserName { get; set; } = "";
}

/// <summary><c>Whistle:Open311</c>.</summary>
public sealed class Open311Options
{
    public const string Section = "Whistle:Open311";

    /// <summary><c>Whistle:Open311:ApiKeys:0:Key</c>, <c>…:0:UserName</c> (a township account), …; none: no client may post or read requests.</summary>
    public List<Open311ApiKey> ApiKeys { get; set; } = [];

    public static bool AreValid(Open311Options o) =>
        o.ApiKeys.All(k => !string.IsNullOrWhiteSpace(k.Key) && k.Key.Length >= 8 && !string.IsNullOrWhiteSpace(k.UserName))
        && o.ApiKeys.Select(k => k.Key).Distinct(StringComparer.Ordinal).Count() == o.ApiKeys.Count;
}

/// <summary>
/// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over the whistle list and the whistles, under
/// <c>/open311/v2</c>: anonymous at the HTTP level, authorised by <c>api_key</c>; a request is raised as the
/// key's township account and a key reads that township's whistles only. JSON and XML, the specification's names
/// and its error format. Not part of the OpenAPI document (its contract is the specification).
/// </summary>
public static class Open311Api
{
    public const string Prefix = "/open311/v2";
    public const string UrgencyAttribute = "urgency";
    public const int MaxResults = 1000;
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(90);

    private const string RequestsSql = $"""
        SELECT {WhistleData.WhistleColumns} FROM whistles w
        WHERE w.township_id = @Org AND w.raised_at >= @From AND w.raised_at <= @To AND w.matter_code <> 'meeting-decision'
        ORDER BY w.raised_at DESC, w.id DESC;
        """;

    private const string RequestsByIdSql = $"SELECT {WhistleData.WhistleColumns} FROM whistles w WHERE w.township_id = @Org AND w.id IN @Ids ORDER BY w.raised_at DESC, w.id DESC;";

    private const string AssignmentsOfSql = $"SELECT {WhistleData.AssignmentColumns} FROM assignments a WHERE a.whistle_id IN @Ids ORDER BY a.position, a.id;";

    public static IServiceCollection AddOpen311Api(this IServiceCollection services)
    {
        services.AddOptions<Open311Options>().BindConfiguration(Open311Options.Section)
            .Validate(Open311Options.AreValid, "Whistle:Open311:ApiKeys: every entry needs a Key of at least 8 characters, unique, and the UserName of a township account.")
            .ValidateOnStart();
        return services;
    }

    public static WebApplication MapOpen311Api(this WebApplication app)
    {
        var open311 = app.MapGroup(Prefix).AllowAnonymous().ExcludeFromDescription();
        open311.MapGet("/discovery.{format}", Discovery);
        open311.MapGet("/services.{format}", Services);
        open311.MapGet("/services/{code}.{format}", ServiceDefinition);
        open311.MapPost("/requests.{format}", PostRequest);
        open311.MapGet("/requests.{format}", GetRequests);
        open311.MapGet("/requests/{id}.{format}", GetRequest);
        return app;
    }

    private static IResult Discovery(string format, HttpContext http)
    {
        if (!IsKnown(format)) return Error(format, 404, "Unknown format: use .json or .xml.");
        var url = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{Prefix}/";
        var endpoint = Obj(
            ("specification", "http://wiki.open311.org/GeoReport_v2"),
            ("url", url),
            ("changeset", Iso(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero))),
            ("type", "production"),
            ("formats", new List<object> { "text/xml", "application/json" }));
        return Answer(format, "discovery", Obj(
            ("changeset", Iso(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero))),
            ("contact", "The county's Whistle operators (see the county's own contact page)."),
            ("key_service", "API keys are issued by the county's Whistle operators (setting Whistle:Open311:ApiKeys)."),
            ("endpoints", new List<object> { endpoint })));
    }

    private static async Task<IResult> Services(string format, CountyCatalogHolder county, WhistleDatabase database, CancellationToken ct)
    {
        if (!IsKnown(format)) return Error(format, 404, "Unknown format: use .json or .xml.");
        await county.RefreshIfStaleAsync(database, ct);
        var services = county.Catalog.Definition.Matters
            .Where(m => m.Active && m.Code != Meetings.MeetingCommands.DecisionMatterCode)
            .Select(m => (object)Obj(
                ("service_code", m.Code),
                ("service_name", m.Name),
                ("description", m.NameEn),
                ("metadata", true),
                ("type", "realtime"),
                ("keywords", string.Join(", ", new[] { m.Name, m.NameEn, m.Category, m.CategoryEn }.Where(k => !string.IsNullOrWhiteSpace(k)))),
                ("group", m.Category)))
            .ToList();
        return Answer(format, "services", services);
    }

    private static async Task<IResult> ServiceDefinition(string code, string format, CountyCatalogHolder county, WhistleDatabase database, CancellationToken ct)
    {
        if (!IsKnown(format)) return Error(format, 404, "Unknown format: use .json or .xml.");
        await county.RefreshIfStaleAsync(database, ct);
        if (county.Catalog.FindActiveMatter(code) is null || code == Meetings.MeetingCommands.DecisionMatterCode)
        {
            return Error(format, 404, $"No service with service_code '{code}'.");
        }

        var values = new List<object>
        {
            Obj(("key", Urgency.Routine), ("name", "一般 (routine)")),
            Obj(("key", Urgency.Urgent), ("name", "紧急 (urgent)")),
            Obj(("key", Urgency.Emergency), ("name", "特急 (emergency)")),
        };
        var attribute = Obj(
            ("variable", true),
            ("code", UrgencyAttribute),
            ("datatype", "singlevaluelist"),
            ("required", false),
            ("datatype_description", "routine, urgent or emergency (default routine): sets the time limits of the branches' duties."),
            ("order", 1),
            ("description", "紧急程度 Urgency"),
            ("values", values));
        return Answer(format, "service_definition", Obj(("service_code", code), ("attributes", new List<object> { attribute })));
    }

    private static async Task<IResult> PostRequest(
        string format, HttpContext http, IOptionsMonitor<Open311Options> options, Accounts accounts, WhistleCommands commands, CountyCatalogHolder county, CancellationToken ct)
    {
        if (!IsKnown(format)) return Error(format, 404, "Unknown format: use .json or .xml.");
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(ct) : FormCollection.Empty;
        string? Field(string name) => form.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;

        var user = await AuthoriseAsync(Field("api_key") ?? http.Request.Query["api_key"].ToString(), options, accounts, http, ct);
        if (user is null) return Error(format, 403, "Invalid api_key.");

        var code = Field("service_code");
        if (code is null) return Error(format, 400, "service_code is required.");
        var matter = county.Catalog.FindActiveMatter(code);
        if (matter is null || code == Meetings.MeetingCommands.DecisionMatterCode) return Error(format, 400, $"service_code '{code}' is not a service of this county.");

        double? latitude = null, longitude = null;
        var (lat, lon) = (Field("lat"), Field("long"));
        if (lat is not null || lon is not null)
        {
            if (!double.TryParse(lat, NumberStyles.Float, CultureInfo.InvariantCulture, out var la) || la is < -90 or > 90
                || !double.TryParse(lon, NumberStyles.Float, CultureInfo.InvariantCulture, out var lo) || lo is < -180 or > 180)
            {
                return Error(format, 400, "lat and long must both be given, as decimal degrees (WGS84).");
            }

            (latitude, longitude) = (la, lo);
        }

        var address = Field("address_string");
        if (address is null && latitude is null) return Error(format, 400, "A location is required: lat and long, or address_string.");
        address ??= string.Create(CultureInfo.InvariantCulture, $"{latitude},{longitude}");

        var urgency = Field($"attribute[{UrgencyAttribute}]") ?? Urgency.Routine;
        if (!Urgency.All.Contains(urgency)) return Error(format, 400, $"attribute[{UrgencyAttribute}] must be routine, urgent or emergency.");

        var description = Field("description");
        var title = description is null ? matter.Name : description[..Math.Min(description.Length, WhistleValidation.TitleMax)];
        var result = await commands.RaiseAsync(
            user,
            new RaiseWhistleRequest(code, title, description, address, latitude, longitude, urgency, null),
            null,
            ct);
        return result switch
        {
            CommandResult<WhistleDto>.Success s => Answer(format, "service_requests", new List<object>
            {
                Obj(
                    ("service_request_id", s.Value.Id),
                    ("service_notice", $"Raised as whistle {s.Value.Id} of {county.Catalog.FindTownship(user.OrgId)?.Name ?? user.OrgId}; it is dispatched to the responsible branches."),
                    ("account_id", null)),
            }),
            CommandResult<WhistleDto>.Invalid i => Error(format, 400, string.Join(" ", i.Errors.SelectMany(e => e.Value.Select(m => $"{Open311Field(e.Key)}: {m}")))),
            CommandResult<WhistleDto>.Forbidden f => Error(format, 403, f.Detail),
            _ => Error(format, 404, "Not found."),
        };
    }

    private static string Open311Field(string field) => field switch
    {
        "matterCode" => "service_code",
        "address" => "address_string",
        "latitude" => "lat",
        "longitude" => "long",
        "title" or "description" => "description",
        "urgency" => $"attribute[{UrgencyAttribute}]",
        _ => field,
    };

    private static async Task<IResult> GetRequests(
        string format, HttpContext http, IOptionsMonitor<Open311Options> options, Accounts accounts, WhistleDatabase database, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        if (!IsKnown(format)) return Error(format, 404, "Unknown format: use .json or .xml.");
        var query = http.Request.Query;
        var user = await AuthoriseAsync(query["api_key"].ToString(), options, accounts, http, ct);
        if (user is null) return Error(format, 403, "Invalid api_key.");

        static List<string> List(string? value) =>
            (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

        var ids = List(query["service_request_id"]);
        List<WhistleRow> whistles;
        if (ids.Count > 0)
        {
            // The specification: with service_request_id, every other parameter is ignored.
            whistles = (await database.ReadAsync(c => c.QueryAsync<WhistleRow>(RequestsByIdSql, new { Org = user.OrgId, Ids = ids }), ct)).ToList();
        }
        else
        {
            DateTimeOffset? Date(string name) =>
                DateTimeOffset.TryParse(query[name].ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
            if ((!string.IsNullOrEmpty(query["start_date"]) && Date("start_date") is null) || (!string.IsNullOrEmpty(query["end_date"]) && Date("end_date") is null))
            {
                return Error(format, 400, "start_date and end_date must be ISO 8601 date-times, e.g. 2026-11-01T00:00:00Z.");
            }

            var to = Date("end_date") ?? time.GetUtcNow();
            var from = Date("start_date") ?? to - DefaultPeriod;
            var codes = List(query["service_code"]);
            var statuses = List(query["status"]);
            if (statuses.Any(s => s is not ("open" or "closed"))) return Error(format, 400, "status must be open or closed (or both, comma-separated).");
            whistles = (await database.ReadAsync(c => c.QueryAsync<WhistleRow>(RequestsSql, new { Org = user.OrgId, From = from, To = to }), ct))
                .Where(w => codes.Count == 0 || codes.Contains(w.MatterCode))
                .Where(w => statuses.Count == 0 || statuses.Contains(Status(w.Status)))
                .Take(MaxResults)
                .ToList();
        }

        return Answer(format, "service_requests", await DescribeAsync(whistles, database, county.Catalog, ct));
    }

    private static async Task<IResult> GetRequest(
        string id, string format, HttpContext http, IOptionsMonitor<Open311Options> options, Accounts accounts, WhistleDatabase database, CountyCatalogHolder county, CancellationToken ct)
    {
        if (!IsKnown(format)) return Error(format, 404, "Unknown format: use .json or .xml.");
        var user = await AuthoriseAsync(http.Request.Query["api_key"].ToString(), options, accounts, http, ct);
        if (user is null) return Error(format, 403, "Invalid api_key.");
        var whistles = (await database.ReadAsync(c => c.QueryAsync<WhistleRow>(RequestsByIdSql, new { Org = user.OrgId, Ids = new[] { id } }), ct)).ToList();
        if (whistles.Count == 0) return Error(format, 404, $"No service request '{id}'.");
        return Answer(format, "service_requests", await DescribeAsync(whistles, database, county.Catalog, ct));
    }

    /// <summary>Open311's two states: a whistle is closed once confirmed or cancelled (as <c>GET /api/whistles?status=closed</c>).</summary>
    public static string Status(string whistleStatus) => whistleStatus is WhistleStatus.Closed or WhistleStatus.Cancelled ? "closed" : "open";

    private static async Task<List<object>> DescribeAsync(List<WhistleRow> whistles, WhistleDatabase database, CountyCatalog catalog, CancellationToken ct)
    {
        var assignments = whistles.Count == 0
            ? Enumerable.Empty<AssignmentRow>().ToLookup(a => a.WhistleId)
            : (await database.ReadAsync(c => c.QueryAsync<AssignmentRow>(AssignmentsOfSql, new { Ids = whistles.Select(w => w.Id).ToList() }), ct)).ToLookup(a => a.WhistleId);
        string Unit(AssignmentRow a) =>
            (a.BranchId is not null ? catalog.FindBranch(a.BranchId)?.Name : null) ?? catalog.FindAgency(a.AgencyCode)?.Name ?? a.AgencyCode;

        return whistles.Select(w =>
        {
            var duties = assignments[w.Id].ToList();
            var notes = new StringBuilder(w.Status);
            if (duties.Count > 0) notes.Append(": ").AppendJoin("; ", duties.Select(a => $"{Unit(a)} {a.Status}"));
            return (object)Obj(
                ("service_request_id", w.Id),
                ("status", Status(w.Status)),
                ("status_notes", notes.ToString()),
                ("service_name", catalog.FindMatter(w.MatterCode)?.Name ?? w.MatterCode),
                ("service_code", w.MatterCode),
                ("description", string.IsNullOrEmpty(w.Description) ? w.Title : w.Description),
                ("agency_responsible", duties.Count == 0 ? null : string.Join("; ", duties.Where(a => a.Status != AssignmentStatus.Declined).Select(Unit))),
                ("service_notice", null),
                ("requested_datetime", w.RaisedAt),
                ("updated_datetime", w.UpdatedAt),
                ("expected_datetime", duties.Count == 0 ? null : duties.Max(a => a.ResolveBy)),
                ("address", w.Address),
                ("address_id", null),
                ("zipcode", null),
                ("lat", w.Latitude),
                ("long", w.Longitude),
                ("media_url", null));
        }).ToList();
    }

    /// <summary>The township account an API key stands for, while it is an enabled township account; null otherwise.</summary>
    private static async Task<CurrentUser?> AuthoriseAsync(string? key, IOptionsMonitor<Open311Options> options, Accounts accounts, HttpContext http, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(key)) return null;
        var given = Encoding.UTF8.GetBytes(key);
        var entry = options.CurrentValue.ApiKeys.FirstOrDefault(k => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(k.Key), given));
        if (entry is null) return null;
        var account = await accounts.FindAsync(entry.UserName, ct);
        if (account is null || account.Disabled || account.Role != Roles.Township) return null;
        return new CurrentUser(account.UserName, account.DisplayName, account.Role, account.OrgId) { RemoteAddress = http.Connection.RemoteIpAddress?.ToString() };
    }
}
