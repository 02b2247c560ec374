using System.Globalization;
using System.Text;

namespace Whistle.Bench;

/// <summary>Line plots as SVG, written by hand (no plotting package).</summary>
public static class Svg
{
    public sealed record Series(string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Dashed = false, bool Markers = false);

    public sealed record Marker(double X, string Label, string Color);

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    public static string LinePlot(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logX, bool logY, IReadOnlyList<Marker>? markers = null, double? yMax = null)
    {
        const double width = 760, height = 420, left = 70, right = 200, top = 40, bottom = 55;
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logX || p.X > 0) && (!logY || p.Y > 0)).ToList();
        var xs = points.Select(p => p.X).Concat((markers ?? []).Select(m => m.X)).Where(x => !logX || x > 0).ToList();
        var ys = points.Select(p => p.Y).ToList();
        if (xs.Count == 0 || ys.Count == 0) return $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"80\"><text x=\"10\" y=\"40\">{Escape(title)}: no data</text></svg>";
        var (x0, x1) = Range(xs.Min(), xs.Max(), logX);
        var (y0, y1) = yMax is { } fixedTop && !logY ? (Math.Min(0, ys.Min()), fixedTop) : Range(logY ? ys.Min() : Math.Min(0, ys.Min()), ys.Max(), logY);
        double Tx(double x) => left + ((logX ? Math.Log10(x) - Math.Log10(x0) : x - x0) / (logX ? Math.Log10(x1) - Math.Log10(x0) : x1 - x0) * (width - left - right));
        double Ty(double y) => height - bottom - ((logY ? Math.Log10(y) - Math.Log10(y0) : y - y0) / (logY ? Math.Log10(y1) - Math.Log10(y0) : y1 - y0) * (height - top - bottom));

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(height)}\" viewBox=\"0 0 {F(width)} {F(height)}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{F(left)}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>\n");
        foreach (var (value, label) in Ticks(x0, x1, logX))
        {
            var x = Tx(value);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x)}\" y1=\"{F(top)}\" x2=\"{F(x)}\" y2=\"{F(height - bottom)}\" stroke=\"#e5e5e5\"/><text x=\"{F(x)}\" y=\"{F(height - bottom + 16)}\" text-anchor=\"middle\">{label}</text>\n");
        }

        foreach (var (value, label) in Ticks(y0, y1, logY))
        {
            var y = Ty(value);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(left)}\" y1=\"{F(y)}\" x2=\"{F(width - right)}\" y2=\"{F(y)}\" stroke=\"#e5e5e5\"/><text x=\"{F(left - 6)}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{label}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(left)}\" y=\"{F(top)}\" width=\"{F(width - left - right)}\" height=\"{F(height - top - bottom)}\" fill=\"none\" stroke=\"#888\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F((left + width - right) / 2)}\" y=\"{F(height - 12)}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(16 {F((top + height - bottom) / 2)}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>\n");
        var legend = top + 10;
        foreach (var marker in markers ?? [])
        {
            if (marker.X < x0 || marker.X > x1) continue;
            var x = Tx(marker.X);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x)}\" y1=\"{F(top)}\" x2=\"{F(x)}\" y2=\"{F(height - bottom)}\" stroke=\"{marker.Color}\" stroke-dasharray=\"2 3\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(width - right + 10)}\" y1=\"{F(legend)}\" x2=\"{F(width - right + 30)}\" y2=\"{F(legend)}\" stroke=\"{marker.Color}\" stroke-dasharray=\"2 3\"/><text x=\"{F(width - right + 35)}\" y=\"{F(legend + 4)}\">{Escape(marker.Label)}</text>\n");
            legend += 18;
        }

        foreach (var s in series)
        {
            var visible = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logX || p.X > 0) && (!logY || p.Y > 0)).ToList();
            if (visible.Count == 0) continue;
            var path = string.Join(' ', visible.Select((p, i) => $"{(i == 0 ? 'M' : 'L')}{F(Tx(p.X))},{F(Ty(Math.Min(p.Y, y1)))}"));
            svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : string.Empty)}/>\n");
            if (s.Markers)
            {
                foreach (var p in visible) svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(Tx(p.X))}\" cy=\"{F(Ty(Math.Min(p.Y, y1)))}\" r=\"3\" fill=\"{s.Color}\"/>\n");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(width - right + 10)}\" y1=\"{F(legend)}\" x2=\"{F(width - right + 30)}\" y2=\"{F(legend)}\" stroke=\"{s.Color}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : string.Empty)}/><text x=\"{F(width - right + 35)}\" y=\"{F(legend + 4)}\">{Escape(s.Name)}</text>\n");
            legend += 18;
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>The empirical distribution: (latency, share of samples at or below it in %).</summary>
    public static IReadOnlyList<(double X, double Y)> Cdf(IReadOnlyList<double> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0) return [];
        var step = Math.Max(1, sorted.Length / 400);
        var points = new List<(double, double)>();
        for (var i = 0; i < sorted.Length; i += step) points.Add((sorted[i], 100.0 * (i + 1) / sorted.Length));
        points.Add((sorted[^1], 100));
        return points;
    }

    private static (double, double) Range(double min, double max, bool log)
    {
        if (log)
        {
            var lo = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(min, 1e-3))));
            var hi = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(max, lo * 10))));
            return (lo, hi);
        }

        if (max <= min) max = min + 1;
        var span = max - min;
        var unit = Math.Pow(10, Math.Floor(Math.Log10(span)));
        return (Math.Floor(min / unit) * unit, Math.Ceiling(max * 1.05 / unit) * unit);
    }

    private static IEnumerable<(double, string)> Ticks(double lo, double hi, bool log)
    {
        if (log)
        {
            for (var v = lo; v <= hi * 1.0001; v *= 10) yield return (v, F(v));
            yield break;
        }

        var unit = Math.Pow(10, Math.Floor(Math.Log10(hi - lo)));
        var step = (hi - lo) / unit > 5 ? unit : unit / 2;
        for (var v = lo; v <= hi + (step / 1000); v += step) yield return (v, F(v));
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
