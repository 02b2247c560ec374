using Dapper;
using Whistle.Core.Storage;

namespace Whistle.Core.Attachments;

/// <summary>
/// The default <see cref="IAttachmentContent"/>: the bytes in the database, in <c>attachment_chunks</c> rows of at most
/// <see cref="ChunkBytes"/> (256 KiB), so that every provider stores them alike (SQLite BLOB, SQL Server varbinary(max),
/// PostgreSQL bytea) and one backup holds everything. A write inserts one chunk at a time from the stream, in one
/// transaction (all of a file or nothing); a read fetches one chunk at a time as the reader asks. At most one chunk of
/// a file is in memory at once, whatever its size. Portable SQL only: no provider's blob API is needed.
/// </summary>
public sealed class DatabaseAttachmentContent(WhistleDatabase database) : IAttachmentContent
{
    public const int ChunkBytes = 256 * 1024;

    private const string DeleteSql = "DELETE FROM attachment_chunks WHERE content_key = @Key;";

    private const string InsertChunkSql = "INSERT INTO attachment_chunks (content_key, chunk_index, data) VALUES (@Key, @Index, @Data);";

    private const string SelectChunkSql = "SELECT data FROM attachment_chunks WHERE content_key = @Key AND chunk_index = @Index;";

    public async Task<long> WriteAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var start = content.CanSeek ? content.Position : -1;
        var attempt = 0;
        return await database.WriteAsync(
            async unit =>
            {
                // A transient failure runs the whole transaction again: from the start of the stream.
                if (attempt++ > 0)
                {
                    if (start < 0) throw new InvalidOperationException("A write to the attachment store failed and its stream cannot be read again.");
                    content.Position = start;
                }

                await unit.Connection.ExecuteAsync(DeleteSql, new { Key = key }, unit.Transaction);
                var buffer = new byte[ChunkBytes];
                long total = 0;
                var index = 0;
                while (true)
                {
                    var filled = 0;
                    while (filled < ChunkBytes)
                    {
                        var read = await content.ReadAsync(buffer.AsMemory(filled, ChunkBytes - filled), cancellationToken);
                        if (read == 0) break;
                        filled += read;
                    }

                    if (filled == 0 && index > 0) break;
                    var data = filled == ChunkBytes ? buffer : buffer[..filled];
                    await unit.Connection.ExecuteAsync(InsertChunkSql, new { Key = key, Index = index, Data = data }, unit.Transaction);
                    total += filled;
                    index++;
                    if (filled < ChunkBytes) break;
                }

                unit.Complete();
                return total;
            },
            cancellationToken);
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var first = await ReadChunkAsync(key, 0, cancellationToken);
        return first is null ? null : new ChunkStream(this, key, first);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(DeleteSql, new { Key = key }, unit.Transaction);
                unit.Complete();
                return 0;
            },
            cancellationToken);

    private Task<byte[]?> ReadChunkAsync(string key, int index, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<byte[]?>(new CommandDefinition(SelectChunkSql, new { Key = key, Index = index }, cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>Reads a stored file forwards, one chunk at a time.</summary>
    private sealed class ChunkStream(DatabaseAttachmentContent store, string key, byte[] first) : Stream
    {
        private byte[]? _chunk = first;
        private int _offset;
        private int _index;
        private bool _ended;
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            while (!_ended && (_chunk is null || _offset >= _chunk.Length))
            {
                // A chunk shorter than ChunkBytes is the last one.
                if (_chunk is not null && _chunk.Length < ChunkBytes)
                {
                    _ended = true;
                    break;
                }

                _index++;
                _chunk = await store.ReadChunkAsync(key, _index, cancellationToken);
                _offset = 0;
                if (_chunk is null) _ended = true;
            }

            if (_ended || _chunk is null) return 0;
            var n = Math.Min(destination.Length, _chunk.Length - _offset);
            _chunk.AsMemory(_offset, n).CopyTo(destination);
            _offset += n;
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
