using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Tests.Udp;
using MmProxy.Udp;

namespace MmProxy.Tests.Send;

/// <summary>
/// The UDP engine as the sending side (mmproxy send): plain datagrams from clients go to the remote
/// (the rig's upstream) with a header naming the client; the remote's replies go back to the
/// client, SPP headers removed. Nothing is spoofed: no privileges needed.
/// </summary>
public sealed class UdpSendTests
{
    [Fact]
    public async Task Every_datagram_to_the_remote_carries_a_v2_header_naming_the_client_and_replies_come_back_plain()
    {
        await using var rig = UdpLoopRig.Start(send: SendHeaderFormat.V2);
        Socket client = rig.NewBalancer();
        IPEndPoint clientEndPoint = LoopbackUdp.EndPointOf(client);
        IPEndPoint flow = null!;
        for (int i = 0; i < 3; i++)
        {
            LoopbackUdp.SendText(client, "datagram" + i, rig.EndPoint);
            (byte[] datagram, IPEndPoint from) = await LoopbackUdp.ReceiveAsync(rig.Upstream);
            flow = from;
            ProxyParseResult parsed = ProxyHeaderParser.Default.Parse(datagram);
            Assert.True(parsed.IsComplete, parsed.ToString());
            Assert.Equal(ProxyFamily.Udp4, parsed.Header.Family);
            Assert.Equal(ProxyAddress.FromIPEndPoint(clientEndPoint), parsed.Header.Source);
            Assert.Equal(ProxyAddress.FromIPEndPoint(rig.EndPoint), parsed.Header.Destination);
            Assert.Equal("datagram" + i, Encoding.ASCII.GetString(datagram, parsed.BytesConsumed, datagram.Length - parsed.BytesConsumed));
        }

        LoopbackUdp.SendText(rig.Upstream, "reply", flow);
        Assert.Equal(("reply", rig.EndPoint), await LoopbackUdp.ReceiveTextAsync(client));
        await rig.SyncAsync();
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(3 * "datagram0".Length, rig.Counters.BytesForwarded); // payload only, the header not counted
    }

    [Fact]
    public async Task Each_client_gets_its_own_flow_and_its_own_replies()
    {
        await using var rig = UdpLoopRig.Start(send: SendHeaderFormat.V2);
        Socket a = rig.NewBalancer();
        Socket b = rig.NewBalancer();
        LoopbackUdp.SendText(a, "from-a", rig.EndPoint);
        (_, IPEndPoint flowA) = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        LoopbackUdp.SendText(b, "from-b", rig.EndPoint);
        (_, IPEndPoint flowB) = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        Assert.NotEqual(flowA, flowB);

        LoopbackUdp.SendText(rig.Upstream, "to-b", flowB);
        LoopbackUdp.SendText(rig.Upstream, "to-a", flowA);
        Assert.Equal("to-a", (await LoopbackUdp.ReceiveTextAsync(a)).Text);
        Assert.Equal("to-b", (await LoopbackUdp.ReceiveTextAsync(b)).Text);
    }

    [Fact]
    public async Task Spp_header_goes_to_the_remote_and_comes_off_the_replies_which_without_it_are_dropped()
    {
        await using var rig = UdpLoopRig.Start(send: SendHeaderFormat.Spp);
        Socket client = rig.NewBalancer();
        LoopbackUdp.SendText(client, "query", rig.EndPoint);
        (byte[] datagram, IPEndPoint flow) = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        SppParseResult parsed = SppCodec.Parse(datagram);
        Assert.True(parsed.IsValid, parsed.ToString());
        Assert.Equal(ProxyAddress.FromIPEndPoint(LoopbackUdp.EndPointOf(client)), parsed.Header.Client);
        Assert.Equal(ProxyAddress.FromIPEndPoint(rig.EndPoint), parsed.Header.Proxy);
        Assert.Equal("query", Encoding.ASCII.GetString(datagram, SppHeader.Length, datagram.Length - SppHeader.Length));

        byte[] header = datagram[..SppHeader.Length];
        rig.Upstream.SendTo(Encoding.ASCII.GetBytes("no header"), flow);
        rig.Upstream.SendTo([.. header, .. "answer"u8], flow);
        Assert.Equal(("answer", rig.EndPoint), await LoopbackUdp.ReceiveTextAsync(client));
        await rig.SyncAsync();
        Assert.Equal(1, rig.Counters.ReplyFailures);
        Assert.Equal(1, rig.Counters.Replies);
        Assert.Equal(0, client.Available);
    }
}
