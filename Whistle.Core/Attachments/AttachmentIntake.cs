using System.Security.Cryptography;

namespace Whistle.Core.Attachments;

/// <summary>A file checked and made ready to store: its kept original and, for an image, its display copy and thumbnail.</summary>
public sealed class PreparedFile : IDisposable
{
    public required string FileName { get; init; }
    public required string MediaKind { get; init; }
    public required string ContentType { get; init; }
    public required TempFile Original { get; init; }
    public TempFile? Display { get; init; }
    public TempFile? Thumbnail { get; init; }
    public int? Width { get; init; }
    public int? Height { get; init; }
    public required string Sha256 { get; init; }

    /// <summary>The position the photo's EXIF carried, offered to the uploader only; never stored.</summary>
    public GpsPosition? Gps { get; init; }

    public long SizeBytes => Original.Length;

    public void Dispose()
    {
        Original.Dispose();
        Display?.Dispose();
        Thumbnail?.Dispose();
    }
}

/// <summary>
/// Checks one received file (spooled to a temp file, never held in memory) and prepares what is stored: the type from
/// the content (<see cref="FileInspector"/>), an image decoded and re-encoded without its metadata
/// (<see cref="ImageProcessor"/>) with its GPS position read first (<see cref="ExifGps"/>), the name made safe
/// (<see cref="FileNames"/>). Answers a refusal instead when the file is not one Whistle keeps.
/// </summary>
public static class AttachmentIntake
{
    public static (PreparedFile? File, AttachmentRefusal? Refusal) Prepare(TempFile received, string? clientName, AttachmentOptions options)
    {
        var verdict = FileInspector.Inspect(received.Stream);
        switch (verdict)
        {
            case FileVerdict.Refused refused:
                return (null, refused.Refusal);
            case FileVerdict.Image image:
            {
                var gps = ExifGps.Read(received.Stream, image.Format);
                var (processed, refusal) = ImageProcessor.Process(received.Stream, image.Format, options.MaxImagePixels);
                if (processed is null) return (null, refusal);
                return (new PreparedFile
                {
                    FileName = FileNames.Sanitise(clientName, processed.Extension),
                    MediaKind = "image",
                    ContentType = processed.ContentType,
                    Original = processed.Original,
                    Display = processed.Display,
                    Thumbnail = processed.Thumbnail,
                    Width = processed.Width,
                    Height = processed.Height,
                    Sha256 = Hash(processed.Original.Stream),
                    Gps = gps,
                }, null);
            }

            case FileVerdict.Document document:
            {
                // The received file itself is kept: move it into a file the prepared one owns.
                var kept = new TempFile();
                received.Stream.Position = 0;
                received.Stream.CopyTo(kept.Stream);
                kept.Stream.Position = 0;
                return (new PreparedFile
                {
                    FileName = FileNames.Sanitise(clientName, document.Extension),
                    MediaKind = document.MediaKind,
                    ContentType = document.ContentType,
                    Original = kept,
                    Sha256 = Hash(kept.Stream),
                }, null);
            }

            default:
                throw new InvalidOperationException("Unknown verdict.");
        }
    }

    private static string Hash(Stream stream)
    {
        stream.Position = 0;
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        stream.Position = 0;
        return hash;
    }
}
