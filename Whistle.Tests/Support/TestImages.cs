using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace Whistle.Tests.Support;

/// <summary>Files made by the tests: phone-like JPEGs with GPS EXIF, a decompression bomb, documents, disguises.</summary>
public static class TestImages
{
    /// <summary>
    /// A JPEG as a phone writes it: a picture (a scene of a few shapes, so thumbnails show something) with an EXIF APP1
    /// segment holding a GPS position, a camera make and a comment-like text that must not survive.
    /// </summary>
    public static byte[] JpegWithGps(int width, int height, double latitude, double longitude, SKColor? sky = null, string label = "")
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(sky ?? new SKColor(0x87, 0xB5, 0xE0));
            using var ground = new SKPaint { Color = new SKColor(0x6B, 0x8E, 0x4E) };
            canvas.DrawRect(0, height * 0.6f, width, height * 0.4f, ground);
            using var building = new SKPaint { Color = new SKColor(0xB0, 0x5A, 0x3C) };
            canvas.DrawRect(width * 0.2f, height * 0.3f, width * 0.35f, height * 0.4f, building);
            using var roof = new SKPaint { Color = new SKColor(0x5A, 0x2A, 0x1A) };
            canvas.DrawRect(width * 0.15f, height * 0.22f, width * 0.45f, height * 0.08f, roof);
            if (label.Length > 0)
            {
                using var text = new SKPaint { Color = SKColors.White };
                using var font = new SKFont { Size = height / 12f };
                canvas.DrawText(label, width * 0.95f, height * 0.92f, SKTextAlign.Right, font, text);
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return InsertExif(data.ToArray(), ExifWithGps(latitude, longitude));
    }

    /// <summary>
    /// A JPEG as a phone held upright writes it: the sensor's pixels stored sideways (<paramref name="width"/> ×
    /// <paramref name="height"/>, the stored top-left quarter red, the rest blue) and an EXIF IFD0 with
    /// <c>Orientation</c> = <paramref name="orientation"/> (6: turn 90° clockwise to show it upright).
    /// </summary>
    public static byte[] JpegWithOrientation(int width, int height, ushort orientation)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(0x20, 0x40, 0xE0));
            using var red = new SKPaint { Color = new SKColor(0xE0, 0x20, 0x20) };
            canvas.DrawRect(0, 0, width / 2f, height / 2f, red);
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        var t = new byte[64];
        var s = t.AsSpan();
        TiffHeader(s, 2);
        Entry(s, 10, 0x010F, 2, 4, BinaryPrimitives.ReadUInt32LittleEndian("Cam\0"u8)); // Make: "Cam", inline
        Entry(s, 22, 0x0112, 3, 1, orientation); // Orientation: SHORT, inline
        BinaryPrimitives.WriteUInt32LittleEndian(s[34..], 0);
        return InsertExif(data.ToArray(), t[..38]);
    }

    public static byte[] Png(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(SKColors.Orange);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static byte[] InsertExif(byte[] jpeg, byte[] tiff)
    {
        var payload = Encoding.ASCII.GetBytes("Exif\0\0").Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return jpeg[..2].Concat(segment).Concat(jpeg[2..]).ToArray();
    }

    /// <summary>A little-endian TIFF: IFD0 (Make, GPS pointer) and a GPS IFD (N/S, latitude, E/W, longitude).</summary>
    private static byte[] ExifWithGps(double latitude, double longitude)
    {
        var t = new byte[256];
        var s = t.AsSpan();
        TiffHeader(s, 2);
        Entry(s, 10, 0x010F, 2, 8, 100); // Make: ASCII, 8 bytes at 100
        Entry(s, 22, 0x8825, 4, 1, 40); // GPS IFD pointer → 40
        BinaryPrimitives.WriteUInt32LittleEndian(s[34..], 0);
        // GPS IFD at 40: 4 entries
        BinaryPrimitives.WriteUInt16LittleEndian(s[40..], 4);
        Entry(s, 42, 1, 2, 2, latitude >= 0 ? 'N' : 'S');
        Entry(s, 54, 2, 5, 3, 120);
        Entry(s, 66, 3, 2, 2, longitude >= 0 ? 'E' : 'W');
        Entry(s, 78, 4, 5, 3, 150);
        BinaryPrimitives.WriteUInt32LittleEndian(s[90..], 0);
        "PhoneCo\0"u8.CopyTo(s[100..]);
        Rationals(s, 120, Math.Abs(latitude));
        Rationals(s, 150, Math.Abs(longitude));
        return t[..180];
    }

    /// <summary>A little-endian TIFF header with IFD0 at offset 8 holding <paramref name="entries"/> entries (written from offset 10).</summary>
    private static void TiffHeader(Span<byte> s, ushort entries)
    {
        "II"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt16LittleEndian(s[2..], 42);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], 8);
        BinaryPrimitives.WriteUInt16LittleEndian(s[8..], entries);
    }

    private static void Entry(Span<byte> s, int at, ushort tag, ushort type, uint count, uint value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(s[at..], tag);
        BinaryPrimitives.WriteUInt16LittleEndian(s[(at + 2)..], type);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(at + 4)..], count);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(at + 8)..], value);
    }

    private static void Rationals(Span<byte> s, int at, double degrees)
    {
        var d = (uint)Math.Floor(degrees);
        var minutes = (degrees - d) * 60;
        var m = (uint)Math.Floor(minutes);
        var sec = (uint)Math.Round((minutes - m) * 60 * 10000);
        uint[] values = [d, 1, m, 1, sec, 10000];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(s[(at + (i * 4))..], values[i]);
    }

    /// <summary>A valid little PNG whose header claims <paramref name="width"/> × <paramref name="height"/> pixels (a decompression bomb's header).</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        Chunk(output, "IHDR", ihdr);
        using var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true)) zlib.Write(new byte[4]);
        Chunk(output, "IDAT", z.ToArray());
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        output.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(length, Crc32(typed));
        output.Write(length);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }

        return ~crc;
    }

    /// <summary>An Office Open XML package with the given parts (name → bytes).</summary>
    public static byte[] Zip(params (string Name, byte[] Content)[] parts)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in parts)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                entry.Write(content);
            }
        }

        return output.ToArray();
    }

    public static byte[] Docx() => Zip(
        ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"u8.ToArray()),
        ("word/document.xml", "<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"/>"u8.ToArray()));

    public static byte[] Pdf() => "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"u8.ToArray();
}
