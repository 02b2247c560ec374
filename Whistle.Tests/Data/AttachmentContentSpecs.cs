using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Core.Attachments;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// The default attachment store (issue 14) against each database: bytes in <c>attachment_chunks</c> rows of at most
/// 256 KiB (SQLite BLOB, PostgreSQL bytea), written from a stream and read back as a stream, one chunk at a time; drafts
/// nobody took up removed with their bytes. SQL Server's migration is parsed with the other migrations by ScriptDom
/// (SqlServerDialectSpecs); the store's statements are portable SQL.
/// </summary>
public abstract class AttachmentContentFixture : StorageFixture
{
    private IAttachmentContent Content => Host.Services.GetRequiredService<IAttachmentContent>();

    private static IEnumerable<TestCaseData> Sizes() =>
        new[] { 1, 1000, DatabaseAttachmentContent.ChunkBytes - 1, DatabaseAttachmentContent.ChunkBytes, DatabaseAttachmentContent.ChunkBytes + 1, (3 * DatabaseAttachmentContent.ChunkBytes) + 12345 }
            .Select(n => new TestCaseData(n).SetName($"Should_give_back_{n}_bytes_as_written_in_chunks_of_at_most_256_KiB"));

    [TestCaseSource(nameof(Sizes))]
    public async Task Should_give_back_what_was_written(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        var key = $"{Guid.NewGuid()}/original";
        // A stream that is not seekable and hands out small reads, as a network body would.
        var written = await Content.WriteAsync(key, new TrickleStream(bytes), CancellationToken.None);
        var chunks = (await Database.ReadAsync(c => c.QueryAsync<(long Index, long Length)>(
            "SELECT chunk_index, CAST(LENGTH(data) AS bigint) FROM attachment_chunks WHERE content_key = @Key ORDER BY chunk_index", new { Key = key }), CancellationToken.None)).ToList();
        await using var read = await Content.OpenReadAsync(key, CancellationToken.None);
        using var back = new MemoryStream();
        var largestRead = 0;
        var buffer = new byte[1024 * 1024];
        int n;
        while ((n = await read!.ReadAsync(buffer)) > 0)
        {
            largestRead = Math.Max(largestRead, n);
            back.Write(buffer, 0, n);
        }

        Assert.Multiple(() =>
        {
            Assert.That(written, Is.EqualTo(size));
            Assert.That(back.ToArray(), Is.EqualTo(bytes));
            Assert.That(chunks.Select(c => c.Index), Is.EqualTo(Enumerable.Range(0, chunks.Count).Select(i => (long)i)));
            Assert.That(chunks.Select(c => c.Length), Has.All.LessThanOrEqualTo(DatabaseAttachmentContent.ChunkBytes));
            Assert.That(chunks.Sum(c => c.Length), Is.EqualTo(size));
            Assert.That(largestRead, Is.LessThanOrEqualTo(DatabaseAttachmentContent.ChunkBytes), "one chunk at a time");
        });
    }

    [Test]
    public async Task Should_replace_on_a_second_write_and_forget_on_delete()
    {
        var key = $"{Guid.NewGuid()}/display";
        await Content.WriteAsync(key, new MemoryStream(new byte[600_000]), CancellationToken.None);
        await Content.WriteAsync(key, new MemoryStream([1, 2, 3]), CancellationToken.None);
        await using (var read = await Content.OpenReadAsync(key, CancellationToken.None))
        {
            using var back = new MemoryStream();
            await read!.CopyToAsync(back);
            Assert.That(back.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        }

        await Content.DeleteAsync(key, CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await Content.OpenReadAsync(key, CancellationToken.None), Is.Null);
            Assert.That(await Content.OpenReadAsync("no-such/original", CancellationToken.None), Is.Null);
            var left = await Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachment_chunks WHERE content_key = @Key", new { Key = key }), CancellationToken.None);
            Assert.That(left, Is.Zero);
        });
    }

    [Test]
    public async Task Should_remove_drafts_nobody_took_up_with_their_bytes()
    {
        var store = Host.Services.GetRequiredService<AttachmentStore>();
        using var received = new TempFile();
        received.Stream.Write(TestImages.Pdf());
        var (file, _) = AttachmentIntake.Prepare(received, "a.pdf", store.Options);
        using var prepared = file!;
        var rows = await store.SaveDraftsAsync(new AttachmentUploader("t", "T", "org", null), [prepared], null, null, CancellationToken.None);
        await Database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync("UPDATE attachments SET uploaded_at = @At WHERE id = @Id", new { At = DateTimeOffset.UtcNow.AddDays(-2), rows[0].Id }, unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None);
        Assert.That(await store.PurgeExpiredDraftsAsync(CancellationToken.None), Is.GreaterThanOrEqualTo(1));
        Assert.Multiple(async () =>
        {
            Assert.That(await store.GetAsync(rows[0].Id, CancellationToken.None), Is.Null);
            Assert.That(await Content.OpenReadAsync(AttachmentVariant.Key(rows[0].Id, AttachmentVariant.Original), CancellationToken.None), Is.Null);
        });
    }

    /// <summary>Reads out a byte array a few KiB at a time and cannot seek.</summary>
    private sealed class TrickleStream(byte[] bytes) : Stream
    {
        private int _at;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _at; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 7000), bytes.Length - _at);
            Array.Copy(bytes, _at, buffer, offset, n);
            _at += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>SQLite: the embedded database of a fresh data folder.</summary>
[NonParallelizable]
public sealed class When_attachment_bytes_are_kept_in_SQLite : AttachmentContentFixture
{
    protected override Dictionary<string, string?> Settings() => TestSettings.Embedded(NewDataFolder());
}

/// <summary>PostgreSQL, on the cluster the test command starts (a fresh database for the fixture): bytea chunks.</summary>
[NonParallelizable]
public sealed class When_attachment_bytes_are_kept_in_PostgreSQL : AttachmentContentFixture
{
    protected override Dictionary<string, string?> Settings() => PostgreSqlSettings();
}
