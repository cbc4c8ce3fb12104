using MmProxy.Diagnostics.Metrics;
using MmProxy.Udp;

namespace MmProxy.Tests.Diagnostics.Metrics;

public sealed class UdpMetricsSourceTests
{
    [Fact]
    public void Snapshot_reports_datagrams_and_payload_bytes_each_way()
    {
        var counters = new UdpCounters();
        counters.OnForwarded(100);
        counters.OnForwarded(28);
        counters.OnReply(64);
        counters.OnDropped(UdpDropReason.TableFull);

        UdpMetricsSnapshot snapshot = UdpMetricsSource.Create(counters, () => 1)();

        Assert.Equal(1, snapshot.FlowsActive);
        Assert.Equal(2, snapshot.DatagramsToUpstream);
        Assert.Equal(128, snapshot.BytesToUpstream);
        Assert.Equal(1, snapshot.DatagramsToClient);
        Assert.Equal(64, snapshot.BytesToClient);
        Assert.Contains(snapshot.DroppedByReason, kv => kv.Value == 1);
    }
}
