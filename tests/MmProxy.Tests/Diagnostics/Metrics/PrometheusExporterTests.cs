using System.Diagnostics.Metrics;
using MmProxy.Diagnostics;
using MmProxy.Diagnostics.Metrics;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tests.Diagnostics.Metrics;

public sealed class PrometheusExporterTests
{
    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Counters_are_rendered_with_types_labels_and_current_values()
    {
        var counters = new ProxyCounters();
        using var metrics = new ProxyMetrics(counters);
        using var exporter = new PrometheusExporter(metrics.Meter);
        for (int i = 0; i < 5; i++)
        {
            counters.OnAccepted();
        }

        counters.OnClosed();
        counters.OnNotAllowed();
        counters.OnHeaderInvalid();
        counters.OnHeaderParseError(ProxyParseError.V1InvalidSourcePort);
        counters.OnUpstreamFailed();
        counters.OnUpstreamRefused();
        counters.OnRelayed(1000, 20);
        counters.OnRelayed(234, 1);

        string[] lines = Lines(exporter.Scrape());
        Assert.Contains("# TYPE mmproxy_connections_accepted_total counter", lines);
        Assert.Contains("mmproxy_connections_accepted_total 5", lines);
        Assert.Contains("# TYPE mmproxy_connections_active gauge", lines);
        Assert.Contains("mmproxy_connections_active 4", lines);
        Assert.Contains("mmproxy_connections_rejected_total{reason=\"subnet\"} 1", lines);
        Assert.Contains("mmproxy_connections_rejected_total{reason=\"header_invalid\"} 1", lines);
        Assert.Contains("mmproxy_connections_rejected_total{reason=\"upstream_refused\"} 1", lines);
        Assert.Contains("mmproxy_connections_rejected_total{reason=\"upstream_other\"} 0", lines);
        Assert.Contains("mmproxy_header_errors_total{reason=\"v1_invalid_source_port\"} 1", lines);
        Assert.Contains("mmproxy_bytes_total{direction=\"to_upstream\"} 1234", lines);
        Assert.Contains("mmproxy_bytes_total{direction=\"to_client\"} 21", lines);

        // Values are read at each scrape, not cached.
        counters.OnAccepted();
        Assert.Contains("mmproxy_connections_accepted_total 6", Lines(exporter.Scrape()));
    }

    [Fact]
    public void Connect_latency_is_a_cumulative_histogram_in_seconds()
    {
        var counters = new ProxyCounters();
        using var metrics = new ProxyMetrics(counters);
        using var exporter = new PrometheusExporter(metrics.Meter);
        counters.OnUpstreamConnected(TimeSpan.FromMilliseconds(0.2));
        counters.OnUpstreamConnected(TimeSpan.FromMilliseconds(3));
        counters.OnUpstreamConnected(TimeSpan.FromSeconds(20));

        string[] lines = Lines(exporter.Scrape());
        Assert.Contains("# TYPE mmproxy_upstream_connect_duration_seconds histogram", lines);
        Assert.Contains("mmproxy_upstream_connect_duration_seconds_bucket{le=\"0.0001\"} 0", lines);
        Assert.Contains("mmproxy_upstream_connect_duration_seconds_bucket{le=\"0.00025\"} 1", lines);
        Assert.Contains("mmproxy_upstream_connect_duration_seconds_bucket{le=\"0.005\"} 2", lines);
        Assert.Contains("mmproxy_upstream_connect_duration_seconds_bucket{le=\"10\"} 2", lines);
        Assert.Contains("mmproxy_upstream_connect_duration_seconds_bucket{le=\"+Inf\"} 3", lines);
        Assert.Contains("mmproxy_upstream_connect_duration_seconds_count 3", lines);
        string sum = lines.Single(l => l.StartsWith("mmproxy_upstream_connect_duration_seconds_sum ", StringComparison.Ordinal));
        Assert.Equal(20.0032, double.Parse(sum.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public void Udp_instruments_report_nothing_until_a_source_is_attached()
    {
        var counters = new ProxyCounters();
        using var metrics = new ProxyMetrics(counters);
        using var exporter = new PrometheusExporter(metrics.Meter);
        Assert.DoesNotContain(Lines(exporter.Scrape()), l => l.StartsWith("mmproxy_udp_flows_created_total ", StringComparison.Ordinal));

        metrics.UdpSource = () => new UdpMetricsSnapshot(2, 7, 5, 100, 90, 6400, 5000, [new("table_full", 3)], [new("v2", 100)]);
        string[] lines = Lines(exporter.Scrape());
        Assert.Contains("mmproxy_udp_flows_active 2", lines);
        Assert.Contains("mmproxy_udp_flows_created_total 7", lines);
        Assert.Contains("mmproxy_udp_flows_expired_total 5", lines);
        Assert.Contains("mmproxy_udp_datagrams_total{direction=\"to_upstream\"} 100", lines);
        Assert.Contains("mmproxy_udp_bytes_total{direction=\"to_client\"} 5000", lines);
        Assert.Contains("mmproxy_udp_datagrams_dropped_total{reason=\"table_full\"} 3", lines);
    }

    [Fact]
    public void Another_meter_with_the_same_name_is_not_exported()
    {
        var counters = new ProxyCounters();
        using var metrics = new ProxyMetrics(counters);
        using var exporter = new PrometheusExporter(metrics.Meter);
        using var stranger = new Meter(ProxyMetrics.MeterName);
        stranger.CreateObservableCounter("stranger.count", () => 42L);
        Assert.DoesNotContain("stranger", exporter.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_line_is_valid_text_format()
    {
        var counters = new ProxyCounters();
        using var metrics = new ProxyMetrics(counters);
        using var exporter = new PrometheusExporter(metrics.Meter);
        counters.OnUpstreamConnected(TimeSpan.FromMilliseconds(1));
        var sample = new System.Text.RegularExpressions.Regex(
            @"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*=""[^""\\]*""(,[a-zA-Z_][a-zA-Z0-9_]*=""[^""\\]*"")*\})? (\+Inf|-Inf|NaN|-?[0-9.eE+-]+)$");
        foreach (string line in Lines(exporter.Scrape()))
        {
            Assert.True(line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal) || sample.IsMatch(line), line);
        }
    }

    [Theory]
    [InlineData("V1InvalidSourcePort", "v1_invalid_source_port")]
    [InlineData("Crc32CMismatch", "crc32c_mismatch")]
    [InlineData("V1Tcp4WithIPv6Address", "v1_tcp4_with_ipv6_address")]
    [InlineData("NotProxyProtocol", "not_proxy_protocol")]
    [InlineData("V2LengthTooShortForAddresses", "v2_length_too_short_for_addresses")]
    public void Parse_errors_become_snake_case_labels(string name, string expected)
    {
        Assert.Equal(expected, MetricNames.SnakeCase(name));
    }
}
