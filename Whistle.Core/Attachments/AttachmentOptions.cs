namespace Whistle.Core.Attachments;

/// <summary><c>Whistle:Attachments</c>: what one upload may hold (README has a row for each).</summary>
public sealed class AttachmentOptions
{
    public const string Section = "Whistle:Attachments";

    /// <summary>The largest file accepted, as sent (413 beyond).</summary>
    public long MaxFileBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>The most the files of one item (a raise, a report, a resolution, a note, minutes) may hold together (413 beyond).</summary>
    public long MaxItemBytes { get; set; } = 60 * 1024 * 1024;

    /// <summary>The most files one item may carry (413 beyond).</summary>
    public int MaxFilesPerItem { get; set; } = 9;

    /// <summary>
    /// The most pixels an image may claim in its header (width × height); refused before it is decoded, so a small file
    /// that claims a huge picture (a decompression bomb) never allocates it.
    /// </summary>
    public long MaxImagePixels { get; set; } = 50_000_000;

    /// <summary>An upload no whistle, report, resolution, note or minutes took up is removed after this long.</summary>
    public TimeSpan DraftLifetime { get; set; } = TimeSpan.FromDays(1);
}
