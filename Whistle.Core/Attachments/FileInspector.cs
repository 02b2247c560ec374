using System.IO.Compression;
using System.Text;
using Whistle.Core.Problems;

namespace Whistle.Core.Attachments;

/// <summary>What a file is, judged from its first bytes (and, for a zip or an OLE file, its structure).</summary>
public abstract record FileVerdict
{
    /// <summary>A raster image Whistle decodes and re-encodes.</summary>
    public sealed record Image(string Format) : FileVerdict;

    /// <summary>A document kept as sent, served only as a download.</summary>
    public sealed record Document(string MediaKind, string ContentType, string Extension) : FileVerdict;

    public sealed record Refused(AttachmentRefusal Refusal) : FileVerdict;
}

/// <summary>
/// Why a file (or an upload) was refused: the problem (a stable code of <see cref="ProblemCodes"/>, its values, the English
/// sentence; worded in <see cref="Problem"/>) and the HTTP status (413 a limit, 415 a type, 400 the rest).
/// </summary>
public sealed record AttachmentRefusal(ProblemText Problem, int Status = 415)
{
    public string Code => Problem.Code;

    public string Detail => Problem.Detail;

    public static AttachmentRefusal Unsupported(string kind, string what) => new(Problems.Problem.UnsupportedType(kind, what));

    public static AttachmentRefusal Broken(string detail) => new(Problems.Problem.BrokenFile(detail), 400);

    public static AttachmentRefusal Bad(ProblemText problem) => new(problem, 400);
}

/// <summary>
/// Judges a file by its content — magic bytes and structure — never by its name or the Content-Type the client sent.
/// JPEG, PNG and WebP are images; HEIC is recognised and refused with advice (no HEIF decoder ships for Linux);
/// PDF by <c>%PDF-</c>; Office Open XML by its zip structure (<c>[Content_Types].xml</c> and the part of Word, Excel
/// or PowerPoint; macros refused; zip bombs refused from the central directory, before anything is inflated); Office
/// 97–2003 by the OLE compound-file header and the name of its main stream. Everything else — executables, HTML,
/// SVG, scripts, archives — is refused.
/// </summary>
public static class FileInspector
{
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF];
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly byte[] Zip = [0x50, 0x4B, 0x03, 0x04];
    private static readonly byte[] Ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    private static readonly byte[] Pdf = "%PDF-"u8.ToArray();
    private static readonly byte[] MachO = [0xCF, 0xFA, 0xED, 0xFE];
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>Entries and inflated bytes an Office document may claim; a zip beyond is a zip bomb.</summary>
    public const int MaxZipEntries = 5000;
    public const long MaxZipInflatedBytes = 512L * 1024 * 1024;
    public const int MaxZipRatio = 200;

    private static readonly string[] HeifBrands = ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis"];

    public static FileVerdict Inspect(Stream file)
    {
        file.Position = 0;
        Span<byte> head = stackalloc byte[32];
        var n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        file.Position = 0;
        if (n == 0) return new FileVerdict.Refused(AttachmentRefusal.Bad(Problem.EmptyFile()));
        if (head.StartsWith(Jpeg)) return new FileVerdict.Image("jpeg");
        if (head.StartsWith(Png)) return new FileVerdict.Image("png");
        if (n >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return new FileVerdict.Image("webp");
        if (n >= 12 && head[4..8].SequenceEqual("ftyp"u8) && HeifBrands.Contains(Encoding.ASCII.GetString(head[8..12])))
        {
            return new FileVerdict.Refused(new AttachmentRefusal(Problem.HeicNotSupported()));
        }

        if (head.StartsWith(Pdf)) return new FileVerdict.Document("pdf", "application/pdf", ".pdf");
        if (head.StartsWith(Zip)) return InspectZip(file);
        if (head.StartsWith(Ole)) return InspectOle(file);
        if (head.StartsWith("MZ"u8) || head.StartsWith("\u007fELF"u8) || head.StartsWith(MachO) || head.StartsWith("#!"u8))
        {
            return new FileVerdict.Refused(AttachmentRefusal.Unsupported("program", "a program"));
        }

        if (LooksLikeMarkup(head)) return new FileVerdict.Refused(AttachmentRefusal.Unsupported("markup", "HTML, SVG or XML (markup a browser could run)"));
        return new FileVerdict.Refused(AttachmentRefusal.Unsupported("unknown", "of a type Whistle does not keep"));
    }

    private static bool LooksLikeMarkup(ReadOnlySpan<byte> head)
    {
        var text = head;
        if (text.StartsWith(Bom)) text = text[3..];
        while (text.Length > 0 && text[0] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') text = text[1..];
        return text.Length > 0 && text[0] == (byte)'<';
    }

    private static FileVerdict InspectZip(Stream file)
    {
        try
        {
            using var zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
            if (zip.Entries.Count > MaxZipEntries)
            {
                return new FileVerdict.Refused(AttachmentRefusal.Bad(Problem.ZipBomb($"The document holds more than {MaxZipEntries} parts.")));
            }

            long inflated = 0;
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in zip.Entries)
            {
                inflated += entry.Length;
                if (entry.Length > 1024 * 1024 && entry.CompressedLength > 0 && entry.Length / entry.CompressedLength > MaxZipRatio)
                {
                    return new FileVerdict.Refused(AttachmentRefusal.Bad(Problem.ZipBomb("A part of the document inflates more than any real document does.")));
                }

                names.Add(entry.FullName);
            }

            if (inflated > MaxZipInflatedBytes)
            {
                return new FileVerdict.Refused(AttachmentRefusal.Bad(Problem.ZipBomb($"The document would inflate to more than {MaxZipInflatedBytes / (1024 * 1024)} MiB.")));
            }

            if (!names.Contains("[Content_Types].xml"))
            {
                return new FileVerdict.Refused(AttachmentRefusal.Unsupported("zip", "a zip archive, not an Office document"));
            }

            if (names.Any(n => n.EndsWith("vbaProject.bin", StringComparison.OrdinalIgnoreCase)))
            {
                return new FileVerdict.Refused(new AttachmentRefusal(Problem.MacroNotAllowed()));
            }

            if (names.Contains("word/document.xml"))
                return new FileVerdict.Document("document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx");
            if (names.Contains("xl/workbook.xml"))
                return new FileVerdict.Document("document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx");
            if (names.Contains("ppt/presentation.xml"))
                return new FileVerdict.Document("document", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx");
            return new FileVerdict.Refused(AttachmentRefusal.Unsupported("office-other", "an Office Open XML package that is neither Word, Excel nor PowerPoint"));
        }
        catch (InvalidDataException)
        {
            return new FileVerdict.Refused(AttachmentRefusal.Broken("The document is damaged or incomplete (its zip structure cannot be read)."));
        }
        finally
        {
            file.Position = 0;
        }
    }

    /// <summary>An OLE compound file: which Office program by the name of its main stream (UTF-16 in the directory).</summary>
    private static FileVerdict InspectOle(Stream file)
    {
        var word = Encoding.Unicode.GetBytes("WordDocument");
        var excel = Encoding.Unicode.GetBytes("Workbook");
        var excel5 = Encoding.Unicode.GetBytes("Book\0");
        var powerPoint = Encoding.Unicode.GetBytes("PowerPoint Document");
        var buffer = new byte[64 * 1024 + 64];
        var carry = 0;
        try
        {
            while (true)
            {
                var read = file.Read(buffer, carry, buffer.Length - carry);
                if (read == 0) break;
                var span = buffer.AsSpan(0, carry + read);
                if (span.IndexOf(word) >= 0) return new FileVerdict.Document("document", "application/msword", ".doc");
                if (span.IndexOf(excel) >= 0 || span.IndexOf(excel5) >= 0) return new FileVerdict.Document("document", "application/vnd.ms-excel", ".xls");
                if (span.IndexOf(powerPoint) >= 0) return new FileVerdict.Document("document", "application/vnd.ms-powerpoint", ".ppt");
                carry = Math.Min(64, span.Length);
                span[^carry..].CopyTo(buffer);
            }
        }
        finally
        {
            file.Position = 0;
        }

        return new FileVerdict.Refused(AttachmentRefusal.Unsupported("ole-other", "an OLE compound file that is not a Word, Excel or PowerPoint 97–2003 document"));
    }
}
