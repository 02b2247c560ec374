using System.Buffers.Binary;

namespace Whistle.Core.Attachments;

/// <summary>A position a photo carried in its EXIF GPS tags (WGS-84 as the phone wrote it).</summary>
public sealed record GpsPosition(double Latitude, double Longitude);

/// <summary>
/// Reads the GPS position from a photo's EXIF (JPEG APP1, WebP <c>EXIF</c> chunk) before the photo is re-encoded
/// without it. Whistle offers the position back to the uploader only (the upload answer), never stores it: the clerk
/// decides whether it becomes the whistle's location. Reads at most the first 256 KiB; anything malformed is no position.
/// </summary>
public static class ExifGps
{
    private const int MaxScan = 256 * 1024;

    public static GpsPosition? Read(Stream file, string format)
    {
        try
        {
            file.Position = 0;
            var buffer = new byte[(int)Math.Min(MaxScan, file.Length)];
            var n = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var data = buffer.AsSpan(0, n);
            var tiff = format switch
            {
                "jpeg" => FindJpegExif(data),
                "webp" => FindWebpExif(data),
                _ => default,
            };
            return tiff.IsEmpty ? null : ReadTiff(tiff);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            return null;
        }
        finally
        {
            file.Position = 0;
        }
    }

    private static ReadOnlySpan<byte> FindJpegExif(ReadOnlySpan<byte> data)
    {
        var i = 2;
        while (i + 4 <= data.Length && data[i] == 0xFF)
        {
            var marker = data[i + 1];
            if (marker is 0xD9 or 0xDA) break; // end of image, start of scan
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
            if (length < 2 || i + 2 + length > data.Length) break;
            var segment = data.Slice(i + 4, length - 2);
            if (marker == 0xE1 && segment.StartsWith("Exif\0\0"u8)) return segment[6..];
            i += 2 + length;
        }

        return default;
    }

    private static ReadOnlySpan<byte> FindWebpExif(ReadOnlySpan<byte> data)
    {
        var i = 12;
        while (i + 8 <= data.Length)
        {
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            if (size < 0 || i + 8 + size > data.Length) break;
            if (data.Slice(i, 4).SequenceEqual("EXIF"u8))
            {
                var exif = data.Slice(i + 8, size);
                return exif.StartsWith("Exif\0\0"u8) ? exif[6..] : exif;
            }

            i += 8 + size + (size & 1);
        }

        return default;
    }

    private static GpsPosition? ReadTiff(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return null;
        var little = tiff[0] == (byte)'I' && tiff[1] == (byte)'I';
        if (!little && !(tiff[0] == (byte)'M' && tiff[1] == (byte)'M')) return null;
        var ifd0 = (int)U32(tiff, 4, little);
        var gpsOffset = FindTag(tiff, ifd0, 0x8825, little) is { } entry ? (int)U32(tiff, entry + 8, little) : -1;
        if (gpsOffset <= 0 || gpsOffset >= tiff.Length) return null;
        var latRef = FindTag(tiff, gpsOffset, 1, little);
        var lat = FindTag(tiff, gpsOffset, 2, little);
        var lonRef = FindTag(tiff, gpsOffset, 3, little);
        var lon = FindTag(tiff, gpsOffset, 4, little);
        if (latRef is null || lat is null || lonRef is null || lon is null) return null;
        var latitude = Degrees(tiff, lat.Value, little) * (tiff[latRef.Value + 8] == (byte)'S' ? -1 : 1);
        var longitude = Degrees(tiff, lon.Value, little) * (tiff[lonRef.Value + 8] == (byte)'W' ? -1 : 1);
        if (double.IsNaN(latitude) || double.IsNaN(longitude) || Math.Abs(latitude) > 90 || Math.Abs(longitude) > 180) return null;
        if (latitude == 0 && longitude == 0) return null;
        return new GpsPosition(Math.Round(latitude, 7), Math.Round(longitude, 7));
    }

    /// <summary>The offset of a directory entry with the tag, or null.</summary>
    private static int? FindTag(ReadOnlySpan<byte> tiff, int ifd, ushort tag, bool little)
    {
        if (ifd <= 0 || ifd + 2 > tiff.Length) return null;
        var count = U16(tiff, ifd, little);
        for (var k = 0; k < count; k++)
        {
            var entry = ifd + 2 + (k * 12);
            if (entry + 12 > tiff.Length) return null;
            if (U16(tiff, entry, little) == tag) return entry;
        }

        return null;
    }

    /// <summary>Three RATIONALs (degrees, minutes, seconds) → decimal degrees.</summary>
    private static double Degrees(ReadOnlySpan<byte> tiff, int entry, bool little)
    {
        if (U16(tiff, entry + 2, little) != 5 || U32(tiff, entry + 4, little) < 3) return double.NaN;
        var at = (int)U32(tiff, entry + 8, little);
        return Rational(tiff, at, little) + (Rational(tiff, at + 8, little) / 60) + (Rational(tiff, at + 16, little) / 3600);
    }

    private static double Rational(ReadOnlySpan<byte> tiff, int at, bool little)
    {
        var den = U32(tiff, at + 4, little);
        return den == 0 ? 0 : (double)U32(tiff, at, little) / den;
    }

    private static ushort U16(ReadOnlySpan<byte> s, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(s[at..]) : BinaryPrimitives.ReadUInt16BigEndian(s[at..]);

    private static uint U32(ReadOnlySpan<byte> s, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(s[at..]) : BinaryPrimitives.ReadUInt32BigEndian(s[at..]);
}
