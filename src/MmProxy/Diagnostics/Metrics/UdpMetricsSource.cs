using MmProxy.Configuration;
using MmProxy.Udp;

namespace MmProxy.Diagnostics.Metrics;

/// <summary>Reads the UDP data path's counters into a <see cref="UdpMetricsSnapshot"/> at scrape time.</summary>
internal static class UdpMetricsSource
{
    private static readonly (UdpDropReason Reason, string Label)[] DropReasons = BuildDropReasons();

    /// <param name="counters">The UDP outcome counters.</param>
    /// <param name="activeFlows">Flows open now (the flow table's size).</param>
    public static Func<UdpMetricsSnapshot> Create(UdpCounters counters, Func<long> activeFlows)
    {
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(activeFlows);
        return () =>
        {
            var dropped = new List<KeyValuePair<string, long>>(DropReasons.Length);
            foreach ((UdpDropReason reason, string label) in DropReasons)
            {
                dropped.Add(new(label, counters.Dropped(reason)));
            }

            var received = new List<KeyValuePair<string, long>>(HeaderFormatNames.UdpNames.Count);
            for (int i = 0; i < HeaderFormatNames.UdpNames.Count; i++)
            {
                received.Add(new(HeaderFormatNames.UdpNames[i], counters.ReceivedBy((UdpHeaderFormat)i)));
            }

            return new UdpMetricsSnapshot(activeFlows(), counters.FlowsCreated, counters.FlowsExpired,
                counters.Forwarded, counters.Replies, counters.BytesForwarded, counters.ReplyBytes, dropped, received, counters.UpstreamRefused, counters.ReplyFailures);
        };
    }

    private static (UdpDropReason, string)[] BuildDropReasons()
    {
        var reasons = new List<(UdpDropReason, string)>();
        foreach (UdpDropReason reason in Enum.GetValues<UdpDropReason>())
        {
            if (reason != UdpDropReason.None)
            {
                reasons.Add((reason, MetricNames.SnakeCase(reason.ToString())));
            }
        }

        return [.. reasons];
    }
}
