using SkiaSharp;
using Whistle.Core.Attachments;
using Whistle.Tests.Support;

namespace Whistle.Tests.Unit;

/// <summary>
/// Issue 14: a phone held upright stores its pixels sideways and says so in EXIF (Orientation 6). The intake strips
/// EXIF by re-encoding — so it must turn the pixels first, or every such photo is shown lying on its side.
/// </summary>
public sealed class When_a_phone_photo_says_it_was_taken_upright
{
    private static readonly AttachmentOptions Options = new();

    private static readonly SKColor Red = new(0xE0, 0x20, 0x20);

    [TestCase((ushort)6, 600, 400, "top-right", TestName = "Should_turn_orientation_6_a_quarter_clockwise_and_keep_no_EXIF")]
    [TestCase((ushort)8, 600, 400, "bottom-left", TestName = "Should_turn_orientation_8_a_quarter_counter_clockwise")]
    [TestCase((ushort)3, 600, 400, "bottom-right", TestName = "Should_turn_orientation_3_half_way_round")]
    [TestCase((ushort)1, 600, 400, "top-left", TestName = "Should_leave_orientation_1_as_it_is")]
    public void Should_store_every_variant_upright(ushort orientation, int width, int height, string redCorner)
    {
        using var received = new TempFile();
        received.Stream.Write(TestImages.JpegWithOrientation(width, height, orientation));
        received.Stream.Flush();
        var (file, refusal) = AttachmentIntake.Prepare(received, "IMG_0042.jpg", Options);
        Assert.That(refusal, Is.Null, refusal?.Detail);
        using var prepared = file!;
        var sideways = orientation is 5 or 6 or 7 or 8;
        var (uprightWidth, uprightHeight) = sideways ? (height, width) : (width, height);
        Assert.That((prepared.Width, prepared.Height), Is.EqualTo((uprightWidth, uprightHeight)), "the stored size is the upright one");

        foreach (var (name, variant) in new[] { ("original", prepared.Original), ("display", prepared.Display!), ("thumbnail", prepared.Thumbnail!) })
        {
            var bytes = Bytes(variant);
            using var codec = SKCodec.Create(new SKMemoryStream(bytes));
            using var bitmap = SKBitmap.Decode(bytes);
            Assert.Multiple(() =>
            {
                Assert.That(codec.EncodedOrigin, Is.EqualTo(SKEncodedOrigin.TopLeft), $"{name}: no orientation left for a viewer to apply twice");
                Assert.That(bytes.AsSpan().IndexOf("Exif\0\0"u8), Is.EqualTo(-1), $"{name}: no EXIF");
                Assert.That(bitmap.Width > bitmap.Height, Is.EqualTo(uprightWidth > uprightHeight), $"{name}: upright ({bitmap.Width}×{bitmap.Height})");
                Assert.That(Corner(bitmap), Is.EqualTo(redCorner), $"{name}: the red quarter where an upright view has it");
            });
        }
    }

    private static byte[] Bytes(TempFile file)
    {
        using var copy = new MemoryStream();
        file.Rewound().CopyTo(copy);
        file.Stream.Position = 0;
        return copy.ToArray();
    }

    /// <summary>Which quarter is red: sampled at the middle of each quarter.</summary>
    private static string Corner(SKBitmap b)
    {
        bool IsRed(int x, int y)
        {
            var c = b.GetPixel(x, y);
            return c.Red > 150 && c.Blue < 100 && Math.Abs(c.Red - Red.Red) < 60;
        }

        var (left, right, top, bottom) = (b.Width / 4, b.Width * 3 / 4, b.Height / 4, b.Height * 3 / 4);
        var red = new List<string>();
        if (IsRed(left, top)) red.Add("top-left");
        if (IsRed(right, top)) red.Add("top-right");
        if (IsRed(left, bottom)) red.Add("bottom-left");
        if (IsRed(right, bottom)) red.Add("bottom-right");
        return string.Join(",", red);
    }
}
