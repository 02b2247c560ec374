using System.Globalization;
using System.Text;

namespace Whistle.Core.Text;

/// <summary>
/// The one way Whistle writes CSV (every export: the audit trail, whistles, the timeline, the assessment).
/// <list type="bullet">
/// <item>RFC 4180: cells separated by commas, rows ended by CRLF; a cell holding a comma, a double quote, CR or LF
/// is wrapped in double quotes, its double quotes doubled.</item>
/// <item>Formula injection (OWASP, "CSV Injection"): a <em>text</em> cell that starts with <c>=</c>, <c>+</c>,
/// <c>-</c>, <c>@</c>, a tab or a carriage return is one Excel, WPS or LibreOffice would run as a formula
/// (<c>=HYPERLINK(…)</c>, DDE). Such a cell is written with a single quote <c>'</c> in front, and quoted, so that
/// the spreadsheet shows it as text. The quote is visible to a reader of the raw file: it is the price of a safe
/// default, and it marks exactly the cells that began like a formula.</item>
/// <item>Numbers: a <em>numeric</em> cell is formatted here from a number (invariant culture), so it can hold
/// only digits, a sign, a decimal point and an exponent, never a formula; it is written as it is, so that a
/// negative figure stays a number the spreadsheet can add up. Text that merely looks like a number (a title
/// "-5") is text and gets the quote. Non-finite numbers (NaN, infinities) are written as an empty cell.</item>
/// </list>
/// The writer streams: each row is written to the <see cref="TextWriter"/> as it is ended, with the writer's
/// asynchronous methods (an HTTP response body allows no synchronous writes). The caller chooses the encoding
/// (UTF-8 with a byte-order mark, <see cref="Utf8WithBom"/>, so that Excel reads Chinese text correctly).
/// </summary>
public sealed class CsvWriter(TextWriter output)
{
    /// <summary>UTF-8 with a byte-order mark: what Excel needs to open a CSV of Chinese text correctly.</summary>
    public static readonly Encoding Utf8WithBom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: true);

    private readonly StringBuilder _row = new();
    private bool _rowStarted;

    /// <summary>A text cell (null: empty): quoted as RFC 4180 needs, and neutralised when it starts like a formula.</summary>
    public CsvWriter Text(string? value)
    {
        Separate();
        AppendText(_row, value);
        return this;
    }

    /// <summary>Text cells, one after another.</summary>
    public CsvWriter Texts(IEnumerable<string?> values)
    {
        foreach (var value in values) Text(value);
        return this;
    }

    /// <summary>A whole number, as a number.</summary>
    public CsvWriter Number(long value)
    {
        Separate();
        _row.Append(value.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    /// <summary>A whole number, as a number; null is an empty cell.</summary>
    public CsvWriter Number(long? value) => value is { } v ? Number(v) : Empty();

    /// <summary>A number in a .NET numeric format (e.g. <c>0.00</c>, <c>R</c>), invariant culture; null or non-finite is an empty cell.</summary>
    public CsvWriter Number(double? value, string format = "R")
    {
        if (value is not { } v || !double.IsFinite(v)) return Empty();
        Separate();
        _row.Append(v.ToString(format, CultureInfo.InvariantCulture));
        return this;
    }

    /// <summary>An empty cell.</summary>
    public CsvWriter Empty()
    {
        Separate();
        return this;
    }

    /// <summary>Ends the row and writes it out.</summary>
    public async Task EndRowAsync(CancellationToken cancellationToken = default)
    {
        _row.Append("\r\n");
        await output.WriteAsync(_row, cancellationToken);
        _row.Clear();
        _rowStarted = false;
    }

    /// <summary>A row of text cells (a header), written out.</summary>
    public Task WriteRowAsync(IEnumerable<string?> texts, CancellationToken cancellationToken = default) =>
        Texts(texts).EndRowAsync(cancellationToken);

    /// <summary>The text cell exactly as it is written (quoted and neutralised as needed).</summary>
    public static string TextCell(string? value)
    {
        var cell = new StringBuilder();
        AppendText(cell, value);
        return cell.ToString();
    }

    /// <summary>Whether a spreadsheet would take a cell starting so as a formula (OWASP's list).</summary>
    public static bool StartsLikeAFormula(string value) => value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r';

    private void Separate()
    {
        if (_rowStarted) _row.Append(',');
        _rowStarted = true;
    }

    private static void AppendText(StringBuilder row, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        var formula = StartsLikeAFormula(value);
        if (!formula && value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            row.Append(value);
            return;
        }

        row.Append('"');
        if (formula) row.Append('\'');
        foreach (var c in value)
        {
            if (c == '"') row.Append('"');
            row.Append(c);
        }

        row.Append('"');
    }
}
