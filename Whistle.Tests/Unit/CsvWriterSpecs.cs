using Whistle.Core.Text;
using Whistle.Tests.Support;

namespace Whistle.Tests.Unit;

/// <summary>The one CSV writer: RFC 4180 quoting, and text that starts like a formula kept text (OWASP).</summary>
public sealed class When_a_CSV_is_written
{
    private static async Task<string> WriteAsync(Action<CsvWriter> row)
    {
        var text = new StringWriter();
        var csv = new CsvWriter(text);
        row(csv);
        await csv.EndRowAsync();
        return text.ToString();
    }

    [TestCase("plain", "plain")]
    [TestCase("青山县", "青山县")]
    [TestCase("a,b", "\"a,b\"")]
    [TestCase("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [TestCase("two\nlines", "\"two\nlines\"")]
    [TestCase("two\r\nlines", "\"two\r\nlines\"")]
    [TestCase("", "")]
    [TestCase(null, "")]
    [TestCase("a=b", "a=b")]
    [TestCase("1-2", "1-2")]
    [TestCase(" =1+1", " =1+1")]
    public void Should_quote_as_RFC_4180_says(string? value, string written) => Assert.That(CsvWriter.TextCell(value), Is.EqualTo(written));

    [TestCase("=HYPERLINK(\"http://127.0.0.1/x\",\"y\")", "\"'=HYPERLINK(\"\"http://127.0.0.1/x\"\",\"\"y\"\")\"")]
    [TestCase("+cmd|' /C calc'!A0", "\"'+cmd|' /C calc'!A0\"")]
    [TestCase("-2+3", "\"'-2+3\"")]
    [TestCase("-5", "\"'-5\"")]
    [TestCase("@SUM(1+1)", "\"'@SUM(1+1)\"")]
    [TestCase("\t=1+1", "\"'\t=1+1\"")]
    [TestCase("\r=1+1", "\"'\r=1+1\"")]
    [TestCase("=", "\"'=\"")]
    public void Should_keep_text_that_starts_like_a_formula_text(string value, string written)
    {
        Assert.That(CsvWriter.TextCell(value), Is.EqualTo(written));
        Assert.That(CsvText.Parse(CsvWriter.TextCell(value) + "\r\n").Single().Single(), Is.EqualTo("'" + value), "a spreadsheet reads the text, after the quote");
    }

    [Test]
    public async Task Should_write_numbers_as_numbers_negative_ones_too()
    {
        var row = await WriteAsync(csv => csv.Number(-42).Number(-0.5, "0.00").Number(31.25).Number((double?)null).Number(double.NaN).Number(double.NegativeInfinity).Number((long?)null).Number(7L));
        Assert.That(row, Is.EqualTo("-42,-0.50,31.25,,,,,7\r\n"));
    }

    [Test]
    public async Task Should_write_a_row_of_mixed_cells_that_reads_back_cell_for_cell()
    {
        var text = new StringWriter();
        var csv = new CsvWriter(text);
        await csv.WriteRowAsync(["编号", "标题", "纬度"]);
        await csv.Number(1).Text("=1+1").Number(-33.5).EndRowAsync();
        await csv.Text(null).Empty().Text("a, \"b\"\nc").EndRowAsync();
        Assert.Multiple(() =>
        {
            Assert.That(text.ToString(), Is.EqualTo("编号,标题,纬度\r\n1,\"'=1+1\",-33.5\r\n,,\"a, \"\"b\"\"\nc\"\r\n"));
            Assert.That(CsvText.Parse(text.ToString()), Is.EqualTo(new[]
            {
                new List<string> { "编号", "标题", "纬度" },
                new List<string> { "1", "'=1+1", "-33.5" },
                new List<string> { "", "", "a, \"b\"\nc" },
            }));
        });
    }

    [Test]
    public async Task Should_hand_each_row_to_the_writer_when_it_ends()
    {
        var text = new StringWriter();
        var csv = new CsvWriter(text);
        await csv.Text("第一行").EndRowAsync();
        Assert.That(text.ToString(), Is.EqualTo("第一行\r\n"));
        csv.Text("第二行").Number(2);
        Assert.That(text.ToString(), Is.EqualTo("第一行\r\n"), "a row goes out whole, when it ends");
        await csv.EndRowAsync();
        Assert.That(text.ToString(), Is.EqualTo("第一行\r\n第二行,2\r\n"));
    }

    [Test]
    public void Should_offer_UTF8_with_a_byte_order_mark_for_Excel() =>
        Assert.That(CsvWriter.Utf8WithBom.GetPreamble(), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }));
}
