using System.Globalization;
using System.Text;

namespace Whistle.Core.Attachments;

/// <summary>
/// A client's file name made safe to show and to offer as a download name: the last path segment only (no folders,
/// no <c>..</c>), no control, format (bidirectional overrides that disguise <c>gpj.exe</c>) or reserved characters,
/// no leading dots, no device names, at most <see cref="MaxLength"/> characters, ending in the extension of the type
/// judged from the content.
/// </summary>
public static class FileNames
{
    public const int MaxLength = 100;

    private static readonly HashSet<string> DeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>The safe name, its extension replaced by (or completed with) <paramref name="extension"/> (".jpg").</summary>
    public static string Sanitise(string? name, string extension)
    {
        var text = name ?? string.Empty;
        var cut = text.LastIndexOfAny(['/', '\\']);
        if (cut >= 0) text = text[(cut + 1)..];
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                continue;
            }

            builder.Append(rune.Value is '<' or '>' or ':' or '"' or '|' or '?' or '*' or ';' or '%' ? "_" : rune.ToString());
        }

        var safe = builder.ToString().Trim().TrimStart('.').Trim();
        var stem = Path.GetFileNameWithoutExtension(safe).Trim().TrimEnd('.');
        if (stem.Length == 0 || DeviceNames.Contains(stem.Split('.')[0])) stem = "file" + (stem.Length == 0 ? string.Empty : "_" + stem);
        var room = MaxLength - extension.Length;
        if (stem.Length > room)
        {
            // Cut by text elements, never inside a surrogate pair or a combining sequence.
            var elements = StringInfo.GetTextElementEnumerator(stem);
            var kept = new StringBuilder();
            while (elements.MoveNext() && kept.Length + elements.GetTextElement().Length <= room) kept.Append(elements.GetTextElement());
            stem = kept.ToString();
        }

        return stem + extension;
    }
}
