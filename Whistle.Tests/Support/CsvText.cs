using System.Text;

namespace Whistle.Tests.Support;

/// <summary>Reads CSV as a spreadsheet does (RFC 4180: quoted cells may hold commas, quotes and line breaks).</summary>
public static class CsvText
{
    /// <summary>The byte-order mark is dropped; every row is a list of its cells, unquoted.</summary>
    public static List<List<string>> Parse(byte[] body) =>
        Parse(body.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }) ? Encoding.UTF8.GetString(body, 3, body.Length - 3) : Encoding.UTF8.GetString(body));

    public static List<List<string>> Parse(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i += 2;
                    continue;
                }

                if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }

                i++;
                continue;
            }

            switch (c)
            {
                case '"' when cell.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    row.Add(cell.ToString());
                    cell.Clear();
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n':
                    row.Add(cell.ToString());
                    cell.Clear();
                    rows.Add(row);
                    row = [];
                    break;
                default:
                    cell.Append(c);
                    break;
            }

            i++;
        }

        if (cell.Length > 0 || row.Count > 0)
        {
            row.Add(cell.ToString());
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>What Excel, WPS and LibreOffice run as a formula when a cell starts with it (OWASP, CSV injection).</summary>
    public static bool StartsLikeAFormula(string cell) => cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
}
