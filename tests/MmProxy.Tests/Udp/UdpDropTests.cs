using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>Datagrams the loop does not forward: counted by reason, logged at most once a second, and valid ones still pass.</summary>
public sealed class UdpDropTests
{
    private const int DroppedEvent = 300;
    private const int NotAllowedEvent = 301;

    [Fact]
    public async Task Bad_datagrams_are_dropped_and_counted_by_reason_while_valid_ones_still_pass()
    {
        var time = new FakeTimeProvider();
        await using var rig = UdpLoopRig.Start(time);
        Socket balancer = rig.NewBalancer();
        var client = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:1000"));
        var server = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.2:53"));
        byte[][] bad =
        [
            Encoding.ASCII.GetBytes("garbage that is no header"),
            [.. ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp4, client, server), .. "x"u8],
            [.. ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, client, server), .. "x"u8],
            [.. ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Unspec, ProxyAddress.None, ProxyAddress.None), .. "x"u8],
            ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, client, server)[..20],
            [],
        ];
        foreach (byte[] datagram in bad)
        {
            balancer.SendTo(datagram, rig.EndPoint);
        }

        rig.Send(balancer, "ok");
        Assert.Equal("ok", (await rig.ReceiveUpstreamAsync()).Text);
        await rig.UntilAsync(() => rig.Counters.Received == bad.Length + 1, "every datagram received");

        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.InvalidHeader));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.Version1));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.StreamFamily));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.UnsupportedFamily));
        Assert.Equal(2, rig.Counters.Dropped(UdpDropReason.TruncatedHeader)); // 20 bytes of a header, and an empty datagram
        Assert.Equal(bad.Length, rig.Counters.DroppedTotal);
        Assert.Equal(1, rig.Counters.Forwarded);
        Assert.Equal(2, rig.Counters.BytesForwarded);
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Loop.FlowCount);

        // One log line for the lot (the clock did not move), then one a second with the count held back.
        Assert.Single(rig.Logs.Events, e => e.EventId.Id == DroppedEvent);
        time.Advance(TimeSpan.FromSeconds(1));
        balancer.SendTo(bad[0], rig.EndPoint);
        await rig.UntilAsync(() => rig.Counters.Received == bad.Length + 2, "the last bad datagram");
        Assert.Equal(2, rig.Logs.Events.Count(e => e.EventId.Id == DroppedEvent));
        Assert.Contains(rig.Logs.Events, e => e.EventId.Id == DroppedEvent && e.Message.Contains("(5 similar drop(s) not logged)", StringComparison.Ordinal));
        Assert.Equal(2, rig.Counters.Dropped(UdpDropReason.InvalidHeader));
    }

    [Fact]
    public async Task Senders_outside_the_allowed_subnets_are_dropped_and_a_reload_takes_effect()
    {
        var time = new FakeTimeProvider();
        await using var rig = UdpLoopRig.Start(time, subnets: AllowedSubnets.Create([IPNetwork.Parse("10.0.0.0/8")]));
        Socket first = rig.NewBalancer();
        rig.Send(first, "x");
        rig.Send(rig.NewBalancer(), "y");
        await rig.UntilAsync(() => rig.Counters.Received == 2, "both datagrams");
        Assert.Equal(2, rig.Counters.Dropped(UdpDropReason.NotAllowed));
        Assert.Equal(0, rig.Counters.FlowsCreated);
        Assert.Equal(0, rig.Loop.FlowCount);
        Assert.Single(rig.Logs.Events, e => e.EventId.Id == NotAllowedEvent);
        await rig.SyncAsync();
        Assert.Equal(0, rig.Upstream.Available);

        // A reload that allows loopback: the same sender now gets through.
        rig.Subnets.Replace(AllowedSubnets.Create([IPNetwork.Parse("127.0.0.0/8")]));
        rig.Send(first, "z");
        Assert.Equal("z", (await rig.ReceiveUpstreamAsync()).Text);
        Assert.Equal(1, rig.Counters.FlowsCreated);

        // And a reload that takes it away again drops it, although its flow is open.
        rig.Subnets.Replace(AllowedSubnets.Create([IPNetwork.Parse("10.0.0.0/8")]));
        rig.Send(first, "w");
        await rig.UntilAsync(() => rig.Counters.Received == 4, "the last datagram");
        Assert.Equal(3, rig.Counters.Dropped(UdpDropReason.NotAllowed));
        Assert.Equal(1, rig.Counters.Forwarded);
        await rig.SyncAsync();
        Assert.Equal(0, rig.Upstream.Available);
    }
}
