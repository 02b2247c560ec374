namespace Whistle.Core.Attachments;

/// <summary>
/// Where an attachment's bytes live: one small interface, so that a county can point it at its object store. Keys are
/// Whistle's own (<c>{attachmentId}/{variant}</c>); callers never pass a client's file name. The default,
/// <see cref="DatabaseAttachmentContent"/>, keeps the bytes in the database (one backup holds everything).
/// An implementation streams both ways: it never holds a whole file in memory.
/// </summary>
public interface IAttachmentContent
{
    /// <summary>Stores <paramref name="content"/> (read to its end) under <paramref name="key"/>; answers the bytes stored.</summary>
    Task<long> WriteAsync(string key, Stream content, CancellationToken cancellationToken);

    /// <summary>A stream of what <paramref name="key"/> holds, read as the caller reads it; null when nothing is stored under it.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes what <paramref name="key"/> holds (nothing when there is nothing).</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}
