using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Whistle.Api.Auth;
using Whistle.Api.Hosting;
using Whistle.Api.Meetings;
using Whistle.Api.Whistles;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Problems;

namespace Whistle.Api.Attachments;

/// <summary>One uploaded file, as the upload answers it: where to read it, and the position its photo carried (offered, never stored).</summary>
public sealed record UploadedFileDto(
    string Id,
    string FileName,
    string MediaKind,
    string ContentType,
    long SizeBytes,
    int? Width,
    int? Height,
    string Url,
    string? DisplayUrl,
    string? ThumbnailUrl,
    GpsPosition? Gps);

public sealed record UploadAnswer(IReadOnlyList<UploadedFileDto> Items);

/// <summary>A file part of a multipart body, spooled to a temp file: its client name and its form field's name.</summary>
public sealed record ReceivedFile(TempFile File, string? FileName, string? Field);

/// <summary>
/// <c>/api/attachments</c>: upload (multipart, streamed to temp files, checked, stored as the uploader's drafts), read
/// (under the one visibility rule, <see cref="AttachmentStore.ReadableAsync"/>), delete (soft). The item a file belongs to links it:
/// <c>attachmentIds</c> on a raise, a report, a resolution, a later note (<c>POST /api/whistles/{id}/attachments</c>).
/// </summary>
public static class AttachmentsApi
{
    /// <summary>Room for the multipart envelope (boundaries, part headers, form fields) above the files' own limit.</summary>
    public const long EnvelopeBytes = 1024 * 1024;

    /// <summary>What a file response may do in a browser: nothing (no script, no plugin, no frame), whatever it is.</summary>
    public const string FileContentSecurityPolicy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

    public static IEndpointRouteBuilder MapAttachmentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/attachments").RequireAuthorization(RolePolicies.Business).WithTags("Attachments")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        api.MapPost("/", Upload).WithName("UploadAttachments").DisableAntiforgery()
            .Produces<UploadAnswer>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapGet("/{id}", Get).WithName("GetAttachment").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id}/content", (string id, HttpContext http, AttachmentStore store, CancellationToken ct) =>
            Serve(id, AttachmentVariant.Original, http, store, ct)).WithName("DownloadAttachment").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id}/display", (string id, HttpContext http, AttachmentStore store, CancellationToken ct) =>
            Serve(id, AttachmentVariant.Display, http, store, ct)).WithName("DisplayAttachment").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id}/thumbnail", (string id, HttpContext http, AttachmentStore store, CancellationToken ct) =>
            Serve(id, AttachmentVariant.Thumbnail, http, store, ct)).WithName("AttachmentThumbnail").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{id}", Delete).WithName("DeleteAttachment").ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>
    /// A refused upload as a problem with its code (docs/API.md, "Problem codes"): a limit's value in <c>params.limit</c>,
    /// the refused file's (safe) name in <c>params.file</c>.
    /// </summary>
    private static ProblemHttpResult Refusal(AttachmentRefusal refusal, string? fileName = null)
    {
        var problem = refusal.Problem;
        if (fileName is not null && !problem.Params.ContainsKey("file"))
        {
            problem = problem with { Params = new Dictionary<string, object?>(problem.Params) { ["file"] = fileName } };
        }

        var title = refusal.Status switch
        {
            StatusCodes.Status413PayloadTooLarge => "Too large",
            StatusCodes.Status415UnsupportedMediaType => "File type not accepted",
            _ => "The upload cannot be used",
        };
        return ProblemResults.Problem(refusal.Status, title, problem);
    }

    private static async Task<Results<Created<UploadAnswer>, ProblemHttpResult>> Upload(
        HttpContext http,
        AttachmentStore store,
        CancellationToken ct,
        [FromQuery] string? whistleId = null,
        [FromQuery] string? meetingId = null)
    {
        var user = CurrentUser.From(http);
        var options = store.Options;
        if (whistleId is not null && meetingId is not null)
        {
            return Refusal(AttachmentRefusal.Bad(Problem.OneTarget()));
        }

        // Someone else's whistle (or meeting): refused before a byte of the body is read.
        if (!await store.CanAttachToAsync(user, whistleId, meetingId, ct))
        {
            return CommandResults.NotFoundProblem();
        }

        var (boundary, unusable) = Multipart(http, options.MaxItemBytes + EnvelopeBytes, Limits.ItemTooLarge(options));
        if (boundary is null)
        {
            return Refusal(unusable!);
        }

        var received = new List<ReceivedFile>();
        var prepared = new List<PreparedFile>();
        try
        {
            var refusal = await ReceiveAsync(http.Request.Body, boundary, options, received, ct);
            if (refusal is not null)
            {
                return Refusal(refusal);
            }

            if (received.Count == 0)
            {
                return Refusal(AttachmentRefusal.Bad(Problem.NoFiles()));
            }

            foreach (var (file, name, _) in received)
            {
                var (ready, refused) = AttachmentIntake.Prepare(file, name, options);
                if (ready is null)
                {
                    // Nothing is stored when any file of the upload is refused.
                    return Refusal(refused!, FileNames.Sanitise(name, string.Empty));
                }

                prepared.Add(ready);
            }

            var rows = await store.SaveDraftsAsync(user.Uploader, prepared, whistleId, meetingId, ct);
            var items = rows.Select((r, i) =>
            {
                var dto = AttachmentDto.From(r);
                return new UploadedFileDto(r.Id, r.FileName, r.MediaKind, r.ContentType, r.SizeBytes, r.Width, r.Height, dto.Url, dto.DisplayUrl, dto.ThumbnailUrl, prepared[i].Gps);
            }).ToList();
            return TypedResults.Created($"/api/attachments/{rows[0].Id}", new UploadAnswer(items));
        }
        finally
        {
            foreach (var file in received) file.File.Dispose();
            foreach (var file in prepared) file.Dispose();
        }
    }

    /// <summary>
    /// Reads a <c>multipart/form-data</c> body part by part, each file straight into a temp file, counting: a file past
    /// <c>MaxFileBytes</c>, the files together past <c>MaxItemBytes</c>, more than <paramref name="maxFiles"/> files (by
    /// default <c>MaxFilesPerItem</c>) — a 413 refusal at once, naming the limit. Form fields go into
    /// <paramref name="fields"/> when given (at most 32, each at most 16 KiB), else are read and dropped. A body that ends
    /// before its closing boundary is a truncated upload (400). The caller disposes the received files, whatever the answer.
    /// </summary>
    public static async Task<AttachmentRefusal?> ReceiveAsync(
        Stream body, string boundary, AttachmentOptions options, List<ReceivedFile> received, CancellationToken ct,
        Dictionary<string, string>? fields = null, int? maxFiles = null)
    {
        try
        {
            var reader = new MultipartReader(boundary, body) { HeadersLengthLimit = 16 * 1024, HeadersCountLimit = 16 };
            var buffer = new byte[81920];
            long total = 0;
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                {
                    // A form field: bounded; kept when the caller asked for fields (the target of an upload is in the query).
                    using var field = new MemoryStream();
                    int n;
                    while ((n = await section.Body.ReadAsync(buffer, ct)) > 0)
                    {
                        if (field.Length + n > 16 * 1024) return AttachmentRefusal.Bad(Problem.MalformedUpload("A form field of the upload is too long."));
                        field.Write(buffer, 0, n);
                    }

                    if (fields is not null && HeaderUtilities.RemoveQuotes(disposition?.Name ?? default).Value is { Length: > 0 } fieldName)
                    {
                        if (fields.Count == 32 && !fields.ContainsKey(fieldName)) return AttachmentRefusal.Bad(Problem.MalformedUpload("The upload has too many form fields."));
                        fields[fieldName] = System.Text.Encoding.UTF8.GetString(field.GetBuffer(), 0, (int)field.Length);
                    }

                    continue;
                }

                var name = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                if (received.Count == (maxFiles ?? options.MaxFilesPerItem))
                {
                    return maxFiles is null ? Limits.TooManyFiles(options) : new AttachmentRefusal(Problem.TooManyFiles(maxFiles.Value), StatusCodes.Status413PayloadTooLarge);
                }

                var file = new TempFile();
                received.Add(new ReceivedFile(file, name, HeaderUtilities.RemoveQuotes(disposition.Name).Value));
                long written = 0;
                int read;
                while ((read = await section.Body.ReadAsync(buffer, ct)) > 0)
                {
                    written += read;
                    total += read;
                    if (written > options.MaxFileBytes)
                    {
                        return Limits.FileTooLarge(options, FileNames.Sanitise(name, string.Empty));
                    }

                    if (total > options.MaxItemBytes)
                    {
                        return Limits.ItemTooLarge(options);
                    }

                    await file.Stream.WriteAsync(buffer.AsMemory(0, read), ct);
                }

                await file.Stream.FlushAsync(ct);
                file.Stream.Position = 0;
            }

            return null;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Limits.ItemTooLarge(options);
        }
        catch (Exception e) when (e is IOException or BadHttpRequestException)
        {
            return AttachmentRefusal.Bad(Problem.TruncatedUpload());
        }
        catch (InvalidDataException e)
        {
            return AttachmentRefusal.Bad(Problem.MalformedUpload($"The multipart body cannot be read: {e.Message}"));
        }
    }

    /// <summary>
    /// The boundary of a <c>multipart/form-data</c> request whose declared length fits <paramref name="maxBody"/>, with the
    /// server's own body limit set to it (a body that lies about its length is cut there); otherwise the refusal.
    /// </summary>
    public static (string? Boundary, AttachmentRefusal? Refusal) Multipart(HttpContext http, long maxBody, AttachmentRefusal tooLarge)
    {
        if (http.Request.ContentLength > maxBody)
        {
            return (null, tooLarge);
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBody;
        }

        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return (null, new AttachmentRefusal(Problem.MultipartRequired()));
        }

        return (boundary, null);
    }

    private static async Task<Results<Ok<AttachmentDto>, ProblemHttpResult>> Get(string id, HttpContext http, AttachmentStore store, CancellationToken ct)
    {
        var row = await store.ReadableAsync(CurrentUser.From(http), id, ct);
        return row is null ? CommandResults.NotFoundProblem() : TypedResults.Ok(AttachmentDto.From(row));
    }

    /// <summary>
    /// A stored variant, streamed from the store. The original is always a download (<c>Content-Disposition:
    /// attachment</c>); the display copy and thumbnail are re-encoded JPEG and may be shown inline. Every answer says
    /// <c>nosniff</c>, a sandboxing CSP, and the type Whistle judged — never one the uploader chose.
    /// </summary>
    private static async Task<IResult> Serve(string id, string variant, HttpContext http, AttachmentStore store, CancellationToken ct)
    {
        var row = await store.ReadableAsync(CurrentUser.From(http), id, ct);
        var length = variant switch
        {
            AttachmentVariant.Display => row?.DisplayBytes,
            AttachmentVariant.Thumbnail => row?.ThumbnailBytes,
            _ => row?.SizeBytes,
        };
        if (row is null || length is null || row.MediaKind == "link")
        {
            return CommandResults.NotFoundProblem();
        }

        var stream = await store.OpenAsync(row, variant, ct);
        if (stream is null)
        {
            return CommandResults.NotFoundProblem();
        }

        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = FileContentSecurityPolicy;
        headers.CacheControl = "private, max-age=3600";
        http.Response.ContentLength = length;
        if (variant == AttachmentVariant.Original)
        {
            return TypedResults.Stream(stream, row.ContentType, row.FileName);
        }

        var disposition = new ContentDispositionHeaderValue("inline");
        disposition.SetHttpFileName(Path.GetFileNameWithoutExtension(row.FileName) + $"-{variant}.jpg");
        headers.ContentDisposition = disposition.ToString();
        return TypedResults.Stream(stream, "image/jpeg");
    }

    private static Task<Results<Ok<AttachmentDto>, ValidationProblem, ProblemHttpResult>> Delete(string id, HttpContext http, AttachmentStore store, CancellationToken ct) =>
        store.DeleteAsync(CurrentUser.From(http), id, ct).ThenRead(row => Task.FromResult<AttachmentDto?>(AttachmentDto.From(row)));
}

/// <summary>Removes the drafts nobody took up within <c>Whistle:Attachments:DraftLifetime</c>, hourly.</summary>
public sealed class AttachmentDraftSweeper(AttachmentStore store, TimeProvider time, ILogger<AttachmentDraftSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            try
            {
                var removed = await store.PurgeExpiredDraftsAsync(stoppingToken);
                if (removed > 0) logger.LogInformation("Removed {Count} attachment drafts no item took up", removed);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Removing expired attachment drafts failed; trying again in an hour");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
