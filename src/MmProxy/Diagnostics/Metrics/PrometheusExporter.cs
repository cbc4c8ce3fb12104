using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace MmProxy.Diagnostics.Metrics;

/// <summary>
/// Collects one <see cref="Meter"/> with a <see cref="MeterListener"/> and renders the Prometheus
/// text format (0.0.4). Observable instruments are read at scrape time; histograms and synchronous
/// counters are aggregated as measurements arrive (fixed buckets: the instrument's advice, or the
/// default). No Prometheus package exists on the mirror, and the format is small.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly MeterListener _listener;
    private readonly object _scrapeLock = new();
    private readonly List<Instrument> _instruments = [];
    private readonly Dictionary<Instrument, Dictionary<string, double>> _observed = [];
    private readonly Dictionary<Instrument, Dictionary<string, double>> _sums = [];
    private readonly Dictionary<Instrument, Dictionary<string, HistogramState>> _histograms = [];

    public PrometheusExporter(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _meter = meter;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                // Only our meter instance: another component (or a parallel test) may use the same name.
                if (ReferenceEquals(instrument.Meter, _meter))
                {
                    lock (_instruments)
                    {
                        _instruments.Add(instrument);
                    }

                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The text a scrape of /metrics returns.</summary>
    public string Scrape()
    {
        lock (_scrapeLock)
        {
            lock (_observed)
            {
                _observed.Clear();
            }

            _listener.RecordObservableInstruments();
            var text = new StringBuilder(4096);
            Instrument[] instruments;
            lock (_instruments)
            {
                instruments = [.. _instruments];
            }

            foreach (Instrument instrument in instruments)
            {
                Render(text, instrument);
            }

            return text.ToString();
        }
    }

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string labels = Labels(tags);
        if (instrument.IsObservable)
        {
            lock (_observed)
            {
                Series(_observed, instrument)[labels] = value;
            }
        }
        else if (instrument is Histogram<double> or Histogram<long> or Histogram<int>)
        {
            HistogramState state;
            lock (_histograms)
            {
                Dictionary<string, HistogramState> series = Series(_histograms, instrument);
                if (!series.TryGetValue(labels, out state!))
                {
                    state = new HistogramState(BucketsOf(instrument));
                    series[labels] = state;
                }
            }

            state.Record(value);
        }
        else
        {
            lock (_sums)
            {
                Dictionary<string, double> series = Series(_sums, instrument);
                series[labels] = series.GetValueOrDefault(labels) + value;
            }
        }
    }

    private void Render(StringBuilder text, Instrument instrument)
    {
        string name = PrometheusName(instrument);
        bool histogram = instrument is Histogram<double> or Histogram<long> or Histogram<int>;
        string type = histogram ? "histogram" : IsCounter(instrument) ? "counter" : "gauge";
        text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(instrument.Description ?? instrument.Name)).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        if (histogram)
        {
            KeyValuePair<string, HistogramState>[] series;
            lock (_histograms)
            {
                series = _histograms.TryGetValue(instrument, out var s) ? [.. s] : [];
            }

            if (series.Length == 0)
            {
                // Nothing recorded yet: an empty histogram, so dashboards see the series from the start.
                new HistogramState(BucketsOf(instrument)).Render(text, name, string.Empty);
            }

            foreach ((string labels, HistogramState state) in series)
            {
                state.Render(text, name, labels);
            }

            return;
        }

        Dictionary<Instrument, Dictionary<string, double>> source = instrument.IsObservable ? _observed : _sums;
        KeyValuePair<string, double>[] values;
        lock (source)
        {
            values = source.TryGetValue(instrument, out var s) ? [.. s] : [];
        }

        foreach ((string labels, double value) in values)
        {
            text.Append(name);
            if (labels.Length > 0)
            {
                text.Append('{').Append(labels).Append('}');
            }

            text.Append(' ').Append(FormatValue(value)).Append('\n');
        }
    }

    private static bool IsCounter(Instrument instrument) =>
        instrument is ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double>
            or Counter<long> or Counter<int> or Counter<double>;

    /// <summary>"mmproxy.connections.accepted" → "mmproxy_connections_accepted_total"; unit "s" → "_seconds".</summary>
    public static string PrometheusName(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        var name = new StringBuilder(instrument.Name.Length + 16);
        foreach (char c in instrument.Name)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        string suffix = instrument.Unit switch
        {
            "s" => "_seconds",
            "By" => "_bytes",
            _ => string.Empty,
        };
        if (suffix.Length > 0 && !name.ToString().EndsWith(suffix, StringComparison.Ordinal))
        {
            name.Append(suffix);
        }

        if (IsCounter(instrument))
        {
            name.Append("_total");
        }

        return name.ToString();
    }

    private static double[] BucketsOf(Instrument instrument) =>
        instrument is Histogram<double> { Advice.HistogramBucketBoundaries: { } advised } ? [.. advised] : DefaultBuckets;

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(tag.Key).Append("=\"").Append(EscapeLabel(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty)).Append('"');
        }

        return text.ToString();
    }

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static Dictionary<string, T> Series<T>(Dictionary<Instrument, Dictionary<string, T>> all, Instrument instrument)
    {
        if (!all.TryGetValue(instrument, out Dictionary<string, T>? series))
        {
            series = new Dictionary<string, T>(StringComparer.Ordinal);
            all[instrument] = series;
        }

        return series;
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Cumulative-at-render fixed buckets; a lock per series (one record per connection, not per packet).</summary>
    private sealed class HistogramState(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private double _sum;
        private long _count;

        public void Record(double value)
        {
            int i = 0;
            while (i < bounds.Length && value > bounds[i])
            {
                i++;
            }

            lock (_counts)
            {
                _counts[i]++;
                _sum += value;
                _count++;
            }
        }

        public void Render(StringBuilder text, string name, string labels)
        {
            long[] counts;
            double sum;
            long count;
            lock (_counts)
            {
                counts = [.. _counts];
                sum = _sum;
                count = _count;
            }

            string prefix = labels.Length > 0 ? labels + "," : string.Empty;
            long cumulative = 0;
            for (int i = 0; i <= bounds.Length; i++)
            {
                cumulative += counts[i];
                string le = i < bounds.Length ? FormatValue(bounds[i]) : "+Inf";
                text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"").Append(le).Append("\"} ")
                    .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            string braces = labels.Length > 0 ? "{" + labels + "}" : string.Empty;
            text.Append(name).Append("_sum").Append(braces).Append(' ').Append(FormatValue(sum)).Append('\n');
            text.Append(name).Append("_count").Append(braces).Append(' ').Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}
