using System.Net;
using System.Net.Sockets;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>An upstream with nothing listening (ICMP port unreachable, ECONNREFUSED on the flow socket) is counted; the flow lives on.</summary>
public sealed class UdpIcmpTests
{
    private const int UpstreamRefusedEvent = 305;

    [Fact]
    public async Task Unreachable_upstream_is_counted_and_the_flow_works_once_the_upstream_starts()
    {
        await using var rig = UdpLoopRig.Start(bindUpstream: false);
        Socket balancer = rig.NewBalancer();
        for (int i = 0; i < 3; i++)
        {
            rig.Send(balancer, "lost");
            int sent = i + 1;
            await rig.UntilAsync(() => rig.Counters.Received == sent, "the datagram to the closed port");
        }

        await rig.UntilAsync(() => rig.Counters.UpstreamRefused >= 1, "ECONNREFUSED for a datagram to a closed port");
        Assert.Contains(rig.Logs.Events, e => e.EventId.Id == UpstreamRefusedEvent);
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Loop.FlowCount);
        Assert.Equal(0, rig.Counters.FlowsExpired);
        Assert.Equal(rig.Counters.Dropped(UdpDropReason.UpstreamSendFailed), rig.Counters.DroppedTotal);

        // The service starts: the same flow carries the next datagram and its reply.
        Socket upstream = rig.Own(LoopbackUdp.Bound(rig.UpstreamPort));
        rig.Send(balancer, "found");
        (string text, IPEndPoint flow) = await LoopbackUdp.ReceiveTextAsync(upstream);
        Assert.Equal("found", text);
        LoopbackUdp.SendText(upstream, "reply", flow);
        (string reply, IPEndPoint from) = await LoopbackUdp.ReceiveTextAsync(balancer);
        Assert.Equal("reply", reply);
        Assert.Equal(rig.EndPoint, from);

        await rig.SyncAsync();
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Counters.Replies);
        // Each send after an ICMP error reports it and is retried once: all get through but for a second error in between.
        Assert.Equal(4, rig.Counters.Forwarded + rig.Counters.Dropped(UdpDropReason.UpstreamSendFailed));
    }
}
