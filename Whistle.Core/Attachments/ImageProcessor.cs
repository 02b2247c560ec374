using SkiaSharp;

namespace Whistle.Core.Attachments;

/// <summary>An image decoded and re-encoded: three files in the temp folder, deleted on dispose.</summary>
public sealed class ProcessedImage : IDisposable
{
    public required TempFile Original { get; init; }
    public required TempFile Display { get; init; }
    public required TempFile Thumbnail { get; init; }
    public required string ContentType { get; init; }
    public required string Extension { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }

    public void Dispose()
    {
        Original.Dispose();
        Display.Dispose();
        Thumbnail.Dispose();
    }
}

/// <summary>A file in the temp folder, removed when disposed (and by the system when the process dies).</summary>
public sealed class TempFile : IDisposable
{
    public TempFile()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "whistle-" + Guid.NewGuid().ToString("N"));
        Stream = new FileStream(Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }

    public string Path { get; }

    public FileStream Stream { get; }

    public long Length => Stream.Length;

    public Stream Rewound()
    {
        Stream.Position = 0;
        return Stream;
    }

    public void Dispose() => Stream.Dispose();
}

/// <summary>
/// Decodes a photo and encodes it again from its pixels — which leaves every byte of metadata behind (EXIF with its
/// GPS position, XMP, comments, anything appended after the image) — turned upright by its EXIF orientation, in three
/// sizes: the kept original (long side at most <see cref="OriginalMaxSide"/>; PNG stays PNG, the rest become JPEG),
/// the display copy (<see cref="DisplayMaxSide"/>, JPEG) and the thumbnail (<see cref="ThumbnailMaxSide"/>, JPEG).
/// The pixel count is read from the header first: beyond <c>MaxImagePixels</c> nothing is decoded (a decompression
/// bomb allocates nothing). A header that lies, a truncated or damaged image, is refused.
/// </summary>
public static class ImageProcessor
{
    public const int OriginalMaxSide = 4096;
    public const int DisplayMaxSide = 1600;
    public const int ThumbnailMaxSide = 320;

    public static (ProcessedImage? Image, AttachmentRefusal? Refusal) Process(Stream file, string format, long maxPixels)
    {
        file.Position = 0;
        using var skStream = new SKManagedStream(file, false);
        using var codec = SKCodec.Create(skStream, out var created);
        if (codec is null)
        {
            return (null, AttachmentRefusal.Bad(Problems.Problem.BrokenImage($"The image cannot be read ({created}).")));
        }

        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            return (null, AttachmentRefusal.Bad(Problems.Problem.BrokenImage("The image has no size.")));
        }

        if ((long)info.Width * info.Height > maxPixels)
        {
            return (null, AttachmentRefusal.Bad(Problems.Problem.ImageTooLarge(info.Width, info.Height, maxPixels)));
        }

        // Decode smaller where the codec can (JPEG: 1/2, 1/4, 1/8) when the kept original will be smaller anyway.
        var longSide = Math.Max(info.Width, info.Height);
        var size = longSide > OriginalMaxSide ? codec.GetScaledDimensions((float)OriginalMaxSide / longSide) : info.Size;
        if (size.Width <= 0 || size.Height <= 0) size = info.Size;
        var opaque = info.AlphaType == SKAlphaType.Opaque;
        var decodeInfo = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Premul);
        using var decoded = new SKBitmap(decodeInfo);
        var result = codec.GetPixels(decodeInfo, decoded.GetPixels());
        if (result != SKCodecResult.Success)
        {
            // IncompleteInput: a truncated file (Skia fills the rest with grey); the rest: damaged data.
            return (null, AttachmentRefusal.Bad(Problems.Problem.BrokenImage($"The image is damaged or incomplete ({result}).")));
        }

        using var upright = Orient(decoded, codec.EncodedOrigin);
        var keepPng = format == "png" || !opaque;
        var original = Encode(upright, OriginalMaxSide, keepPng ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90, flatten: false);
        var display = Encode(upright, DisplayMaxSide, SKEncodedImageFormat.Jpeg, 82, flatten: !opaque);
        var thumbnail = Encode(upright, ThumbnailMaxSide, SKEncodedImageFormat.Jpeg, 75, flatten: !opaque);
        var (w, h) = Fit(upright.Width, upright.Height, OriginalMaxSide);
        return (new ProcessedImage
        {
            Original = original,
            Display = display,
            Thumbnail = thumbnail,
            ContentType = keepPng ? "image/png" : "image/jpeg",
            Extension = keepPng ? ".png" : ".jpg",
            Width = w,
            Height = h,
        }, null);
    }

    private static (int Width, int Height) Fit(int width, int height, int maxSide)
    {
        var longSide = Math.Max(width, height);
        if (longSide <= maxSide) return (width, height);
        var scale = (double)maxSide / longSide;
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    private static TempFile Encode(SKBitmap source, int maxSide, SKEncodedImageFormat format, int quality, bool flatten)
    {
        var (w, h) = Fit(source.Width, source.Height, maxSide);
        var target = new SKImageInfo(w, h, SKColorType.Rgba8888, flatten ? SKAlphaType.Opaque : source.AlphaType);
        using var sized = new SKBitmap(target);
        using (var canvas = new SKCanvas(sized))
        {
            if (flatten) canvas.Clear(SKColors.White);
            using var image = SKImage.FromBitmap(source);
            canvas.DrawImage(image, new SKRect(0, 0, w, h), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        }

        var file = new TempFile();
        using (var output = new SKManagedWStream(file.Stream, false))
        {
            if (!sized.Encode(output, format, quality))
            {
                file.Dispose();
                throw new InvalidOperationException($"SkiaSharp could not encode {format}.");
            }
        }

        file.Stream.Flush();
        file.Stream.Position = 0;
        return file;
    }

    /// <summary>The pixels turned as the EXIF orientation says, so that the re-encoded image (which has no EXIF) stands upright.</summary>
    private static SKBitmap Orient(SKBitmap source, SKEncodedOrigin origin)
    {
        var swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var w = swap ? source.Height : source.Width;
        var h = swap ? source.Width : source.Height;
        var matrix = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, w, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, w, -1, 0, h, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, h, 0, 0, 1),
            _ => SKMatrix.Identity,
        };
        var turned = new SKBitmap(new SKImageInfo(w, h, source.ColorType, source.AlphaType));
        using var canvas = new SKCanvas(turned);
        canvas.Clear(SKColors.Transparent);
        canvas.SetMatrix(matrix);
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest));
        return turned;
    }
}
