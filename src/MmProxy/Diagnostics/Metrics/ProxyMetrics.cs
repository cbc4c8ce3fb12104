using System.Diagnostics.Metrics;
using System.Reflection;
using MmProxy.ProxyProtocol;

namespace MmProxy.Diagnostics.Metrics;

/// <summary>
/// The "MmProxy" meter. Counters are observable instruments that read <see cref="ProxyCounters"/>
/// (and the UDP snapshot) when a listener collects, so the data path only does Interlocked
/// increments; the one synchronous instrument is the upstream connect histogram (one record per
/// connection). Instrument names are OpenTelemetry style; the Prometheus exporter derives
/// mmproxy_connections_accepted_total and friends from them.
/// </summary>
internal sealed class ProxyMetrics : IDisposable
{
    public const string MeterName = "MmProxy";

    /// <summary>Seconds; from loopback sub-millisecond to a --connect-timeout of 10 s.</summary>
    public static readonly double[] ConnectDurationBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly ProxyParseError[] ParseErrors = Enum.GetValues<ProxyParseError>();

    private readonly ProxyCounters _tcp;

    public ProxyMetrics(ProxyCounters tcp, Func<UdpMetricsSnapshot>? udp = null)
    {
        ArgumentNullException.ThrowIfNull(tcp);
        _tcp = tcp;
        UdpSource = udp;
        string? version = typeof(ProxyMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Meter = new Meter(MeterName, version);

        Meter.CreateObservableCounter("mmproxy.connections.accepted", () => _tcp.Accepted, "{connection}",
            "TCP connections accepted from load balancers");
        Meter.CreateObservableCounter("mmproxy.connections.rejected", Rejected, "{connection}",
            "TCP connections closed before relaying, by reason");
        Meter.CreateObservableUpDownCounter("mmproxy.connections.active", () => _tcp.Active, "{connection}",
            "TCP connections open now (from accept to close)");
        Meter.CreateObservableCounter("mmproxy.connections.closed", Closed, "{connection}",
            "Relayed TCP connections that ended, by outcome");
        Meter.CreateObservableCounter("mmproxy.bytes", Bytes, "By",
            "TCP payload bytes relayed, by direction (counted when a connection ends)");
        Meter.CreateObservableCounter("mmproxy.header.errors", HeaderErrors, "{connection}",
            "PROXY headers rejected, by reason");
        Meter.CreateObservableCounter("mmproxy.accept.errors", () => _tcp.AcceptErrors, "{error}",
            "accept() failures survived (EMFILE, ENFILE, ENOBUFS, ENOMEM)");
        Histogram<double> connect = Meter.CreateHistogram("mmproxy.upstream.connect.duration", "s",
            "Time to connect to the upstream from the client's address",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ConnectDurationBuckets });
        _tcp.UpstreamConnectDuration = connect;

        Meter.CreateObservableUpDownCounter("mmproxy.udp.flows.active", () => Udp(s => s.FlowsActive), "{flow}",
            "UDP flows open now");
        Meter.CreateObservableCounter("mmproxy.udp.flows.created", () => Udp(s => s.FlowsCreated), "{flow}",
            "UDP flows created");
        Meter.CreateObservableCounter("mmproxy.udp.flows.expired", () => Udp(s => s.FlowsExpired), "{flow}",
            "UDP flows closed after --close-after without traffic");
        Meter.CreateObservableCounter("mmproxy.udp.datagrams.dropped", () => UdpLabelled(s => s.DroppedByReason, "reason"), "{datagram}",
            "UDP datagrams not forwarded, by reason");
        Meter.CreateObservableCounter("mmproxy.udp.upstream.unreachable", () => Udp(s => s.UpstreamUnreachable), "{error}",
            "ICMP unreachable reported on UDP flow sockets (nothing listens upstream yet); the flows live on");
        Meter.CreateObservableCounter("mmproxy.udp.replies.failed", () => Udp(s => s.ReplyFailures), "{datagram}",
            "UDP replies not sent back (the listening socket's buffer full, or a sender's SPP reply without its header)");
        Meter.CreateObservableCounter("mmproxy.udp.datagrams.received", () => UdpLabelled(s => s.ReceivedByHeader, "header"), "{datagram}",
            "UDP datagrams received from load balancers, by the listener's header format (--udp-header)");
        Meter.CreateObservableCounter("mmproxy.udp.datagrams", () => UdpPair(s => s.DatagramsToUpstream, s => s.DatagramsToClient), "{datagram}",
            "UDP datagrams relayed, by direction");
        Meter.CreateObservableCounter("mmproxy.udp.bytes", () => UdpPair(s => s.BytesToUpstream, s => s.BytesToClient), "By",
            "UDP payload bytes relayed, by direction");
    }

    public Meter Meter { get; }

    /// <summary>Set by the UDP data path when it runs; null: the UDP instruments report nothing.</summary>
    public Func<UdpMetricsSnapshot>? UdpSource { get; set; }

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    private IEnumerable<Measurement<long>> Rejected()
    {
        long upstreamOther = _tcp.UpstreamFailed - _tcp.UpstreamRefused - _tcp.UpstreamTimedOut;
        return
        [
            new(_tcp.NotAllowed, Tag("reason", "subnet")),
            new(_tcp.DestinationRefused, Tag("reason", "destination_not_allowed")),
            new(_tcp.HeaderInvalid - _tcp.HeaderIncomplete, Tag("reason", "header_invalid")),
            new(_tcp.HeaderIncomplete, Tag("reason", "header_incomplete")),
            new(_tcp.HeaderTimedOut, Tag("reason", "header_timeout")),
            new(_tcp.UpstreamRefused, Tag("reason", "upstream_refused")),
            new(_tcp.UpstreamTimedOut, Tag("reason", "upstream_timeout")),
            new(Math.Max(0, upstreamOther), Tag("reason", "upstream_other")),
        ];
    }

    private IEnumerable<Measurement<long>> Closed() =>
    [
        new(_tcp.Completed, Tag("outcome", "completed")),
        new(_tcp.Reset, Tag("outcome", "reset")),
    ];

    private IEnumerable<Measurement<long>> Bytes() =>
    [
        new(_tcp.BytesToUpstream, Tag("direction", "to_upstream")),
        new(_tcp.BytesToClient, Tag("direction", "to_client")),
    ];

    private IEnumerable<Measurement<long>> HeaderErrors()
    {
        var measurements = new List<Measurement<long>>
        {
            new(_tcp.HeaderTimedOut, Tag("reason", "timeout")),
            new(_tcp.HeaderTooLarge, Tag("reason", "too_large")),
            new(_tcp.HeaderIncomplete, Tag("reason", "incomplete")),
        };
        foreach (ProxyParseError error in ParseErrors)
        {
            long count = _tcp.HeaderParseErrors(error);
            if (count != 0)
            {
                // Only reasons seen: 35 always-zero series would drown the useful ones.
                measurements.Add(new(count, Tag("reason", MetricNames.ParseError(error))));
            }
        }

        return measurements;
    }

    private IEnumerable<Measurement<long>> Udp(Func<UdpMetricsSnapshot, long> read) =>
        UdpSource is { } source ? [new Measurement<long>(read(source()))] : [];

    private IEnumerable<Measurement<long>> UdpPair(Func<UdpMetricsSnapshot, long> toUpstream, Func<UdpMetricsSnapshot, long> toClient)
    {
        if (UdpSource is not { } source)
        {
            return [];
        }

        UdpMetricsSnapshot snapshot = source();
        return
        [
            new(toUpstream(snapshot), Tag("direction", "to_upstream")),
            new(toClient(snapshot), Tag("direction", "to_client")),
        ];
    }

    /// <summary>One measurement per entry of a labelled list of the snapshot (drops by reason, datagrams by header).</summary>
    private IEnumerable<Measurement<long>> UdpLabelled(Func<UdpMetricsSnapshot, IReadOnlyList<KeyValuePair<string, long>>> read, string tag)
    {
        if (UdpSource is not { } source)
        {
            return [];
        }

        var measurements = new List<Measurement<long>>();
        foreach (KeyValuePair<string, long> entry in read(source()))
        {
            measurements.Add(new(entry.Value, Tag(tag, entry.Key)));
        }

        return measurements;
    }

    public void Dispose()
    {
        _tcp.UpstreamConnectDuration = null;
        Meter.Dispose();
    }
}
