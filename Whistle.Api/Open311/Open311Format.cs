using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;

namespace Whistle.Api.Open311;

/// <summary>
/// One answer of the Open311 GeoReport v2 API, written as JSON or XML from the same tree: objects are ordered
/// name → value lists (snake_case, as the specification names them), lists become repeated elements in XML
/// (<c>services/service</c>, <c>service_requests/request</c>, <c>errors/error</c>, …).
/// </summary>
public static class Open311Format
{
    public const string Json = "json";
    public const string Xml = "xml";

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The element of one item of a list, by the list's element name (GeoReport v2's XML).</summary>
    private static readonly Dictionary<string, string> ItemNames = new(StringComparer.Ordinal)
    {
        ["services"] = "service",
        ["service_requests"] = "request",
        ["errors"] = "error",
        ["attributes"] = "attribute",
        ["values"] = "value",
        ["endpoints"] = "endpoint",
        ["formats"] = "format",
    };

    public static bool IsKnown(string? format) => format is Json or Xml;

    /// <summary>An object: its members in the order given.</summary>
    public static List<KeyValuePair<string, object?>> Obj(params (string Name, object? Value)[] members) =>
        members.Select(m => new KeyValuePair<string, object?>(m.Name, m.Value)).ToList();

    /// <summary>The answer: <paramref name="root"/> names the XML document element (a list's, or the object's).</summary>
    public static IResult Answer(string? format, string root, object body, int status = StatusCodes.Status200OK)
    {
        if (format == Xml)
        {
            var text = new StringBuilder();
            using (var xml = XmlWriter.Create(text, new XmlWriterSettings { OmitXmlDeclaration = false, Encoding = Encoding.UTF8 }))
            {
                WriteXml(xml, root, body);
            }

            // StringBuilder output says utf-16 in the declaration; the body goes out as UTF-8.
            var document = text.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal);
            return Results.Text(document, "text/xml; charset=utf-8", Encoding.UTF8, status);
        }

        return Results.Text(JsonSerializer.Serialize(ToJson(body), JsonOptions), "application/json; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>The specification's error format: <c>[{"code": 403, "description": "…"}]</c> / <c>&lt;errors&gt;&lt;error&gt;…</c>.</summary>
    public static IResult Error(string? format, int status, string description) =>
        Answer(IsKnown(format) ? format : Json, "errors", new List<object> { Obj(("code", status), ("description", description)) }, status);

    private static object? ToJson(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b,
        int or long or double or decimal => value,
        DateTimeOffset d => Iso(d),
        List<KeyValuePair<string, object?>> members => members.ToDictionary(m => m.Key, m => ToJson(m.Value)),
        IEnumerable list => list.Cast<object?>().Select(ToJson).ToList(),
        _ => value.ToString(),
    };

    private static void WriteXml(XmlWriter xml, string name, object? value)
    {
        xml.WriteStartElement(name);
        switch (value)
        {
            case null:
                break;
            case List<KeyValuePair<string, object?>> members:
                foreach (var (key, v) in members)
                {
                    WriteXml(xml, key, v);
                }

                break;
            case string s:
                xml.WriteString(XmlText(s));
                break;
            case IEnumerable list:
                var item = ItemNames.GetValueOrDefault(name, "item");
                foreach (var v in list)
                {
                    WriteXml(xml, item, v);
                }

                break;
            default:
                xml.WriteString(XmlText(Scalar(value)));
                break;
        }

        xml.WriteEndElement();
    }

    /// <summary>
    /// Text as XML 1.0 can carry it: a character it cannot (a control character, U+FFFE/U+FFFF, half a surrogate
    /// pair) becomes U+FFFD. New text never holds one (the API refuses control characters); text stored before
    /// that rule, or written by other means, must not make the listing fail.
    /// </summary>
    public static string XmlText(string s)
    {
        var bad = -1;
        for (var i = 0; i < s.Length; i++)
        {
            if (XmlConvert.IsXmlChar(s[i])) continue;
            if (i + 1 < s.Length && XmlConvert.IsXmlSurrogatePair(s[i + 1], s[i]))
            {
                i++;
                continue;
            }

            bad = i;
            break;
        }

        if (bad < 0) return s;
        var text = new StringBuilder(s.Length).Append(s, 0, bad);
        for (var i = bad; i < s.Length; i++)
        {
            if (XmlConvert.IsXmlChar(s[i])) text.Append(s[i]);
            else if (i + 1 < s.Length && XmlConvert.IsXmlSurrogatePair(s[i + 1], s[i])) text.Append(s[i]).Append(s[++i]);
            else text.Append('\uFFFD');
        }

        return text.ToString();
    }

    private static string Scalar(object value) => value switch
    {
        bool b => b ? "true" : "false",
        DateTimeOffset d => Iso(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>ISO 8601 with the offset, as the specification's examples write it (UTC here).</summary>
    public static string Iso(DateTimeOffset d) => d.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
