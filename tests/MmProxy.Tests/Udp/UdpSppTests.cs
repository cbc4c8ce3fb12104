using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>
/// --udp-header spp (Spectrum, EdgeOne): the 38-byte header on every datagram, the upstream sees
/// the payload from the client, every reply carries the flow's header again. Spoofed clients need
/// root (fail, never skip, without it).
/// </summary>
public sealed class UdpSppTests
{
    private static readonly IPEndPoint Edge = new(IPAddress.Parse("203.0.113.10"), 53);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Payload_reaches_the_upstream_from_the_client_and_every_reply_carries_the_same_header(bool gso)
    {
        await using var rig = UdpLoopRig.Start(gso: gso, header: UdpHeaderFormat.Spp);
        Socket balancer = rig.NewBalancer();
        var clientAddress = IPAddress.Parse("127.0.0.9");
        var client = new IPEndPoint(clientAddress, LoopbackUdp.FreePort(clientAddress));
        byte[] header = SppCodec.Write(new SppHeader(ProxyAddress.FromIPEndPoint(client), ProxyAddress.FromIPEndPoint(Edge)));

        balancer.SendTo([.. header, .. Encoding.ASCII.GetBytes("query")], rig.EndPoint);
        Task<(string Text, IPEndPoint From)> upstream = rig.ReceiveUpstreamAsync();
        await rig.UntilAsync(() => rig.Counters.FlowsCreated + rig.Counters.DroppedTotal > 0, "the first datagram");
        Assert.True(rig.Counters.Dropped(UdpDropReason.FlowSetupFailed) == 0, "the spoofed flow could not be opened (IP_TRANSPARENT needs root): " + rig.Describe());
        Assert.Equal(("query", client), await upstream);

        // A run of equal-sized replies (one GSO message when on): each one gets the header.
        const int Replies = 5;
        for (int i = 0; i < Replies; i++)
        {
            LoopbackUdp.SendText(rig.Upstream, "answer" + i, client);
        }

        for (int i = 0; i < Replies; i++)
        {
            (byte[] reply, IPEndPoint from) = await LoopbackUdp.ReceiveAsync(balancer);
            Assert.Equal(rig.EndPoint, from);
            Assert.Equal(header, reply[..SppHeader.Length]);
            Assert.Equal("answer" + i, Encoding.ASCII.GetString(reply, SppHeader.Length, reply.Length - SppHeader.Length));
        }

        await rig.SyncAsync();
        Assert.Equal(Replies, rig.Counters.Replies);
        Assert.Equal(Replies * "answer0".Length, rig.Counters.ReplyBytes); // payload bytes, the header not counted
        Assert.Equal("query".Length, rig.Counters.BytesForwarded);
        Assert.Equal(1, rig.Counters.ReceivedBy(UdpHeaderFormat.Spp));
    }

    [Fact]
    public async Task Garbage_is_dropped_by_reason_and_a_valid_datagram_after_it_still_goes_through()
    {
        await using var rig = UdpLoopRig.Start(header: UdpHeaderFormat.Spp);
        Socket balancer = rig.NewBalancer();
        byte[] valid = SppCodec.Write(new SppHeader(ProxyAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("127.0.0.10"), 40000)), ProxyAddress.FromIPEndPoint(Edge)));
        byte[] badMagic = [.. valid, 1, 2, 3];
        badMagic[1] = 0xED;

        balancer.SendTo([], rig.EndPoint);
        balancer.SendTo([0x56], rig.EndPoint);
        balancer.SendTo(valid[..37], rig.EndPoint);
        balancer.SendTo(badMagic, rig.EndPoint);
        balancer.SendTo(UdpLoopRig.Local("v2 here"), rig.EndPoint);
        await rig.UntilAsync(() => rig.Counters.Received == 5, "the garbage");
        Assert.Equal(3, rig.Counters.Dropped(UdpDropReason.SppTooShort));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.SppBadMagic));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.V2OnSppListener));
        Assert.Equal(0, rig.Counters.FlowsCreated);
        Assert.Contains(rig.Logs.Events, e => e.Message.Contains("SPP header", StringComparison.Ordinal));

        balancer.SendTo([.. valid, .. "ok"u8], rig.EndPoint);
        Task<(string Text, IPEndPoint From)> upstream = rig.ReceiveUpstreamAsync();
        await rig.UntilAsync(() => rig.Counters.FlowsCreated + rig.Counters.Dropped(UdpDropReason.FlowSetupFailed) > 0, "the valid datagram");
        Assert.True(rig.Counters.Dropped(UdpDropReason.FlowSetupFailed) == 0, "the spoofed flow could not be opened (IP_TRANSPARENT needs root): " + rig.Describe());
        Assert.Equal("ok", (await upstream).Text);
    }
}
