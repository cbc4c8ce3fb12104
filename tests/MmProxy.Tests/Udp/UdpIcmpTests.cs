using System.Text;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>An ICMP error (ECONNREFUSED on the connected socket) is counted and the flow's reply path survives it.</summary>
public sealed class UdpIcmpTests
{
    [Fact]
    public async Task Flow_survives_an_unreachable_upstream_and_works_once_it_starts()
    {
        using var rig = new FlowRig();
        int port = LoopbackUdp.FreePort();
        var target = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port);
        UdpFlow flow = rig.AddFlow(FlowRig.Key(1), target);

        // Nothing listens: the kernel answers with ICMP port unreachable, reported as ECONNREFUSED.
        for (int i = 0; i < 3; i++)
        {
            flow.Send("lost"u8, out _);
        }
        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.UpstreamRefused >= 1),
            "no ECONNREFUSED seen for a datagram to a closed port");
        Assert.False(flow.IsClosed);

        using var upstream = rig.Own(LoopbackUdp.Bound(port));
        Assert.Equal(UdpSendStatus.Sent, flow.Send("found"u8, out _));
        var got = await LoopbackUdp.ReceiveAsync(upstream);
        Assert.NotNull(got);
        Assert.Equal("found", Encoding.ASCII.GetString(got.Value.Payload));

        await upstream.SendToAsync(Encoding.ASCII.GetBytes("reply"), System.Net.Sockets.SocketFlags.None, got.Value.From);
        var reply = await LoopbackUdp.ReceiveAsync(rig.Balancer);
        Assert.NotNull(reply);
        Assert.Equal("reply", Encoding.ASCII.GetString(reply.Value.Payload));
    }
}
