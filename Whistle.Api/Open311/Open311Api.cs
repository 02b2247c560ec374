using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Dapper;
using Microsoft.Extensions.Options;
using Whistle.Api.Attachments;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Contracts;
using Whistle.Core.County;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Options;
using Whistle.Core.Hosting;
using Whistle.Core.Storage;
using Whistle.Core.Whistles;
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

    /// <summary>The shortest key accepted: 32 characters (e.g. <c>openssl rand -base64 32</c>, 44) are beyond guessing.</summary>
    public const int MinimumKeyLength = 32;

    /// <summary><c>Whistle:Open311:ApiKeys:0:Key</c>, <c>…:0:UserName</c> (a township account), …; none: no client may post or read requests.</summary>
    public List<Open311ApiKey> ApiKeys { get; set; } = [];

    /// <summary>Wrong <c>api_key</c>s one client address may send per minute; beyond, every key check from it answers 429 until the minute is over.</summary>
    public int FailedKeyChecksPerMinute { get; set; } = 10;

    public static bool AreValid(Open311Options o) =>
        o.ApiKeys.All(k => !string.IsNullOrWhiteSpace(k.Key) && k.Key.Length >= MinimumKeyLength && !string.IsNullOrWhiteSpace(k.UserName))
        && o.ApiKeys.Select(k => k.Key).Distinct(StringComparer.Ordinal).Count() == o.ApiKeys.Count;
}

/// <summary>Failed <c>api_key</c> checks per client address per minute (<c>Whistle:Open311:FailedKeyChecksPerMinute</c>).</summary>
public sealed class Open311KeyThrottle(IOptions<Open311Options> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(
            address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = options.Value.FailedKeyChecksPerMinute, Window = TimeSpan.FromMinutes(1) }));

    /// <summary>Whether the address has used up its failed checks of this minute: then no key is checked, right or wrong.</summary>
    public bool IsBlocked(string address) => _failures.GetStatistics(address)?.CurrentAvailablePermits <= 0;

    public void Failed(string address)
    {
        using var _ = _failures.AttemptAcquire(address);
    }

    public void Dispose() => _failures.Dispose();
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

    /// <summary>The most <c>service_request_id</c>s (and <c>service_code</c>s) one <c>GET requests</c> may name (400 beyond).</summary>
    public const int MaxListValues = 100;

    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(90);

    public static IServiceCollection AddOpen311Api(this IServiceCollection services)
    {
        services.AddOptions<Open311Options>().BindConfiguration(Open311Options.Section)
            .Validate(Open311Options.AreValid, $"Whistle:Open311:ApiKeys: every entry needs a Key of at least {Open311Options.MinimumKeyLength} characters (e.g. the output of: openssl rand -base64 32), unique, and the UserName of a township account.")
            .Validate(o => o.FailedKeyChecksPerMinute is >= 1 and <= 10_000, "Whistle:Open311:FailedKeyChecksPerMinute must be between 1 and 10000 (default: 10).")
            .ValidateOnStart();
        services.AddSingleton<Open311KeyThrottle>();
        services.AddSingleton<Open311Queries>();
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
        open311.MapGet("/media/{id}.{format}", GetMedia);
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
            .Where(m => m.Active && m.Code != WhistleStore.DecisionMatterCode)
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
        if (county.Catalog.FindActiveMatter(code) is null || code == WhistleStore.DecisionMatterCode)
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

    /// <summary>
    /// A service request: form-encoded, or — to send a photo, as GeoReport v2 allows — <c>multipart/form-data</c> with the
    /// same fields and one file part <c>media</c>. The photo goes through the one intake of uploads
    /// (<see cref="AttachmentsApi.ReceiveAsync"/>, <see cref="AttachmentIntake"/>): spooled to a temp file within
    /// <c>MaxFileBytes</c> (413 beyond), its type judged from its content (an image only), decoded and re-encoded
    /// without EXIF, then linked to the raised whistle in its transaction. A refused photo raises nothing and stores nothing.
    /// </summary>
    private static async Task<IResult> PostRequest(
        string format, HttpContext http, IOptionsMonitor<Open311Options> options, Accounts accounts, Open311KeyThrottle keys, RaiseThrottle raises,
        WhistleStore whistles, AttachmentStore attachments, CountyCatalogHolder county, CancellationToken ct)
    {
        if (!IsKnown(format)) return Error(format, 404, "Unknown format: use .json or .xml.");
        var received = new List<ReceivedFile>();
        try
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            if (IsMultipart(http.Request))
            {
                var limits = attachments.Options;
                var (boundary, unusable) = AttachmentsApi.Multipart(http, limits.MaxFileBytes + AttachmentsApi.EnvelopeBytes, Limits.FileTooLarge(limits));
                var refusal = unusable ?? await AttachmentsApi.ReceiveAsync(http.Request.Body, boundary!, limits, received, ct, fields, maxFiles: 1);
                if (refusal is not null) return Error(format, refusal.Status, refusal.Detail);
                if (received.Any(r => r.Field != MediaField)) return Error(format, 400, $"The one file part of a request is '{MediaField}' (a photo).");
            }
            else if (http.Request.HasFormContentType)
            {
                foreach (var (key, value) in await http.Request.ReadFormAsync(ct)) fields[key] = value.ToString();
            }

            return await RaiseRequestAsync(format, http, fields, received.FirstOrDefault(), options, accounts, keys, raises, whistles, attachments, county, ct);
        }
        finally
        {
            foreach (var file in received) file.File.Dispose();
        }
    }

    /// <summary>The file part of a service request that carries its photo.</summary>
    public const string MediaField = "media";

    private static bool IsMultipart(HttpRequest request) =>
        request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true;

    private static async Task<IResult> RaiseRequestAsync(
        string format, HttpContext http, Dictionary<string, string> form, ReceivedFile? media, IOptionsMonitor<Open311Options> options, Accounts accounts,
        Open311KeyThrottle keys, RaiseThrottle raises, WhistleStore whistles, AttachmentStore attachments, CountyCatalogHolder county, CancellationToken ct)
    {
        string? Field(string name) => form.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var (user, refused) = await AuthoriseAsync(format, Field("api_key") ?? http.Request.Query["api_key"].ToString(), options, accounts, keys, http, ct);
        if (user is null) return refused!;

        // The same per-account limit as POST /api/whistles: a key is no way around it.
        if (!raises.TryAcquire(user.UserName)) return Error(format, 429, "Too many requests raised by this account; slow down and try again in a minute.");

        var code = Field("service_code");
        if (code is null) return Error(format, 400, "service_code is required.");
        var matter = county.Catalog.FindActiveMatter(code);
        if (matter is null || code == WhistleStore.DecisionMatterCode) return Error(format, 400, $"service_code '{code}' is not a service of this county.");

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
        // The title is one line: the description's first, cut to the title's length (the description keeps every line).
        var firstLine = description?.Split('\n', '\r')[0].Replace('\t', ' ').Trim();
        var title = string.IsNullOrEmpty(firstLine) ? matter.Name : firstLine[..Math.Min(firstLine.Length, WhistleValidation.TitleMax)];
        // media_url (GeoReport v2): the client's own URL of its photo, kept as a reference and never fetched (no SSRF).
        var mediaUrl = Field("media_url");
        if (mediaUrl is not null && !AttachmentStore.IsReferenceUrl(mediaUrl)) return Error(format, 400, "media_url must be an absolute http(s) URL of at most 2000 characters.");
        // media (GeoReport v2): the photo itself, checked and re-encoded like every upload, stored as the key account's
        // draft and linked to the whistle in the raise's transaction; a raise that fails removes it again.
        IReadOnlyList<string>? attachmentIds = null;
        if (media is not null)
        {
            var (prepared, badMedia) = AttachmentIntake.Prepare(media.File, media.FileName, attachments.Options);
            using (prepared)
            {
                if (prepared is null) return Error(format, badMedia!.Status, badMedia.Detail);
                if (prepared.MediaKind != "image") return Error(format, 415, $"{MediaField} must be a photo (JPEG, PNG or WebP); this is {prepared.MediaKind}.");
                attachmentIds = (await attachments.SaveDraftsAsync(user.Uploader, [prepared], null, null, ct)).Select(r => r.Id).ToList();
            }
        }

        var result = await whistles.RaiseAsync(
            user,
            new RaiseWhistleRequest(code, title, description, address, latitude, longitude, urgency, null, attachmentIds, mediaUrl),
            null,
            ct);
        if (result is not CommandResult<RaisedWhistle>.Success && attachmentIds is not null)
        {
            await attachments.DiscardDraftsAsync(attachmentIds, CancellationToken.None);
        }

        return result switch
        {
            CommandResult<RaisedWhistle>.Success s => Answer(format, "service_requests", new List<object>
            {
                Obj(
                    ("service_request_id", s.Value.Id),
                    ("service_notice", $"Raised as whistle {s.Value.Id} of {county.Catalog.FindTownship(user.OrgId)?.Name ?? user.OrgId}; it is dispatched to the responsible branches."),
                    ("account_id", null)),
            }),
            CommandResult<RaisedWhistle>.Invalid i => Error(format, 400, string.Join(" ", i.Errors.SelectMany(e => e.Value.Select(m => $"{Open311Field(e.Key)}: {m}")))),
            CommandResult<RaisedWhistle>.Forbidden f => Error(format, 403, f.Problem.Detail),
            CommandResult<RaisedWhistle>.Conflict c => Error(format, 409, c.Problem.Detail),
            CommandResult<RaisedWhistle>.TooLarge l => Error(format, 413, l.Problem.Detail),
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
        string format, HttpContext http, IOptionsMonitor<Open311Options> options, Accounts accounts, Open311KeyThrottle keys, Open311Queries queries,
        CountyCatalogHolder county, TimeProvider time, IOptions<WhistleOptions> site, CancellationToken ct)
    {
        if (!IsKnown(format)) return Error(format, 404, "Unknown format: use .json or .xml.");
        var query = http.Request.Query;
        var (user, refused) = await AuthoriseAsync(format, query["api_key"].ToString(), options, accounts, keys, http, ct);
        if (user is null) return refused!;

        static List<string> List(string? value) =>
            (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();

        var ids = List(query["service_request_id"]);
        if (ids.Count > MaxListValues) return Error(format, 400, $"service_request_id names at most {MaxListValues} requests (comma-separated); ask again for the rest.");
        IReadOnlyList<WhistleRow> whistles;
        if (ids.Count > 0)
        {
            // The specification: with service_request_id, every other parameter is ignored.
            whistles = await queries.ByIdAsync(user, ids, ct);
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
            if (codes.Count > MaxListValues) return Error(format, 400, $"service_code names at most {MaxListValues} services (comma-separated).");
            var statuses = List(query["status"]);
            if (statuses.Any(s => s is not ("open" or "closed"))) return Error(format, 400, "status must be open or closed (or both, comma-separated).");
            whistles = await queries.RequestsAsync(
                user, from, to, codes, open: statuses.Count == 0 || statuses.Contains("open"), closed: statuses.Count == 0 || statuses.Contains("closed"), MaxResults, ct);
        }

        return Answer(format, "service_requests", await DescribeAsync(whistles, queries, county.Catalog, MediaBase(http, site.Value), ct));
    }

    /// <summary>
    /// A whistle's photo for an Open311 client: <c>media_url</c> points here; read with the key (<c>?api_key=</c>), under the
    /// key's township's scope like the requests themselves. The display copy (re-encoded JPEG, no EXIF).
    /// </summary>
    private static async Task<IResult> GetMedia(
        string id, string format, HttpContext http, IOptionsMonitor<Open311Options> options, Accounts accounts, Open311KeyThrottle keys, AttachmentStore store,
        CancellationToken ct)
    {
        if (format != "jpg") return Error("json", 404, "Media are served as .jpg.");
        var (user, refused) = await AuthoriseAsync("json", http.Request.Query["api_key"].ToString(), options, accounts, keys, http, ct);
        if (user is null) return refused!;
        var row = await store.ReadableAsync(user, id, ct);
        var content = row is { DisplayBytes: not null } ? await store.OpenAsync(row, AttachmentVariant.Display, ct) : null;
        if (content is null) return Error("json", 404, $"No media '{id}'.");
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = AttachmentsApi.FileContentSecurityPolicy;
        http.Response.ContentLength = row!.DisplayBytes;
        return Results.Stream(content, "image/jpeg");
    }

    /// <summary>Where <c>media_url</c> points: under <c>Whistle:PublicBaseUrl</c>, else the request's own address.</summary>
    private static string MediaBase(HttpContext http, WhistleOptions site) =>
        (string.IsNullOrWhiteSpace(site.PublicBaseUrl) ? $"{http.Request.Scheme}://{http.Request.Host}" : site.PublicBaseUrl.TrimEnd('/')) + "/open311/v2/media/";

    private static async Task<IResult> GetRequest(
        string id, string format, HttpContext http, IOptionsMonitor<Open311Options> options, Accounts accounts, Open311KeyThrottle keys, Open311Queries queries,
        CountyCatalogHolder county, IOptions<WhistleOptions> site, CancellationToken ct)
    {
        if (!IsKnown(format)) return Error(format, 404, "Unknown format: use .json or .xml.");
        var (user, refused) = await AuthoriseAsync(format, http.Request.Query["api_key"].ToString(), options, accounts, keys, http, ct);
        if (user is null) return refused!;
        var whistles = await queries.ByIdAsync(user, [id], ct);
        if (whistles.Count == 0) return Error(format, 404, $"No service request '{id}'.");
        return Answer(format, "service_requests", await DescribeAsync(whistles, queries, county.Catalog, MediaBase(http, site.Value), ct));
    }

    /// <summary>Open311's two states: a whistle is closed once confirmed or cancelled (as <c>GET /api/whistles?status=closed</c>).</summary>
    public static string Status(string whistleStatus) => whistleStatus is WhistleStatus.Closed or WhistleStatus.Cancelled ? "closed" : "open";

    private static async Task<List<object>> DescribeAsync(IReadOnlyList<WhistleRow> whistles, Open311Queries queries, CountyCatalog catalog, string mediaBase, CancellationToken ct)
    {
        var assignments = await queries.AssignmentsOfAsync(whistles, ct);
        var files = await queries.AttachmentsOfAsync(whistles, ct);
        string? Media(string whistleId)
        {
            var all = files[whistleId].ToList();
            var photo = all.FirstOrDefault(a => a.MediaKind == "image" && a.Purpose == AttachmentPurpose.Raise) ?? all.FirstOrDefault(a => a.MediaKind == "image");
            return photo is not null ? $"{mediaBase}{photo.Id}.jpg" : all.FirstOrDefault(a => a.MediaKind == "link")?.SourceUrl;
        }

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
                ("agency_responsible", duties.Count == 0 ? null : string.Join("; ", duties.Where(a => AssignmentStatus.IsCurrent(a.Status)).Select(Unit))),
                ("service_notice", null),
                ("requested_datetime", w.RaisedAt),
                ("updated_datetime", w.UpdatedAt),
                ("expected_datetime", duties.Count == 0 ? null : duties.Max(a => a.ResolveBy)),
                ("address", w.Address),
                ("address_id", null),
                ("zipcode", null),
                ("lat", w.Latitude),
                ("long", w.Longitude),
                ("media_url", Media(w.Id)));
        }).ToList();
    }

    /// <summary>
    /// The township account an API key stands for, while it is an enabled township account; otherwise the answer:
    /// 403 for no key or a wrong one, 429 once the client address has sent too many wrong keys this minute (then
    /// even the right key is not checked, so that guessing learns nothing).
    /// </summary>
    private static async Task<(Caller? User, IResult? Refused)> AuthoriseAsync(
        string format, string? key, IOptionsMonitor<Open311Options> options, Accounts accounts, Open311KeyThrottle throttle, HttpContext http, CancellationToken ct)
    {
        var invalid = Error(format, 403, "Invalid api_key.");
        if (string.IsNullOrEmpty(key)) return (null, invalid);
        var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.IsBlocked(address)) return (null, Error(format, 429, "Too many wrong api_key values from this address; try again in a minute."));
        var given = Encoding.UTF8.GetBytes(key);
        var entry = options.CurrentValue.ApiKeys.FirstOrDefault(k => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(k.Key), given));
        if (entry is null)
        {
            throttle.Failed(address);
            return (null, invalid);
        }

        var account = await accounts.FindAsync(entry.UserName, ct);
        if (account is null || account.Disabled || account.Role != Roles.Township) return (null, invalid);
        return (new Caller(account.UserName, account.DisplayName, account.Role, account.OrgId) { RemoteAddress = http.Connection.RemoteIpAddress?.ToString() }, null);
    }
}
