using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

public sealed class UdpDatagramHandlerTests
{
    [Fact]
    public async Task Local_datagram_is_forwarded_unspoofed_and_the_reply_returns_payload_only()
    {
        using var rig = new HandlerRig();
        Socket balancer = rig.NewBalancer();
        rig.Deliver(balancer, HandlerRig.Local("hello"));

        var got = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        Assert.NotNull(got);
        Assert.Equal("hello", Encoding.ASCII.GetString(got.Value.Payload));
        Assert.True(IPAddress.IsLoopback(got.Value.From.Address));
        Assert.Equal(1, rig.Counters.Forwarded);
        Assert.Equal(1, rig.Counters.FlowsCreated);

        await rig.Upstream.SendToAsync(Encoding.ASCII.GetBytes("world"), SocketFlags.None, got.Value.From);
        var reply = await LoopbackUdp.ReceiveAsync(balancer);
        Assert.NotNull(reply);
        Assert.Equal("world", Encoding.ASCII.GetString(reply.Value.Payload));
        Assert.Equal(LoopbackUdp.EndPointOf(rig.Listener), reply.Value.From);
    }

    [Fact]
    public async Task Datagrams_of_one_flow_reuse_its_socket()
    {
        using var rig = new HandlerRig();
        Socket balancer = rig.NewBalancer();
        IPEndPoint? first = null;
        for (int i = 0; i < 5; i++)
        {
            rig.Deliver(balancer, HandlerRig.Local("m" + i));
            var got = await LoopbackUdp.ReceiveAsync(rig.Upstream);
            Assert.NotNull(got);
            first ??= got.Value.From;
            Assert.Equal(first, got.Value.From);
        }
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(5, rig.Counters.Forwarded);
    }

    [Fact]
    public async Task Full_table_drops_new_flows_counts_them_and_keeps_the_old_one()
    {
        using var rig = new HandlerRig(maxFlows: 1);
        Socket first = rig.NewBalancer();
        Socket second = rig.NewBalancer();
        rig.Deliver(first, HandlerRig.Local("a"));
        Assert.NotNull(await LoopbackUdp.ReceiveAsync(rig.Upstream));

        rig.Deliver(second, HandlerRig.Local("b"));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.TableFull));
        rig.Deliver(first, HandlerRig.Local("c"));
        var got = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        Assert.NotNull(got);
        Assert.Equal("c", Encoding.ASCII.GetString(got.Value.Payload)); // "b" never arrived

        // Once the old flow expires there is room again.
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        rig.Deliver(second, HandlerRig.Local("d"));
        got = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        Assert.NotNull(got);
        Assert.Equal("d", Encoding.ASCII.GetString(got.Value.Payload));
        Assert.Equal(2, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Counters.FlowsExpired);
    }

    [Fact]
    public void Bad_datagrams_are_dropped_and_counted_by_reason()
    {
        using var rig = new HandlerRig();
        Socket balancer = rig.NewBalancer();
        var c = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:1000"));
        var s = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.2:53"));
        rig.Deliver(balancer, Encoding.ASCII.GetBytes("garbage"));
        rig.Deliver(balancer, ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp4, c, s));
        rig.Deliver(balancer, ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, c, s));
        rig.Deliver(balancer, ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, c, s)[..20]);
        rig.Deliver(balancer, []);
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.InvalidHeader));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.Version1));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.StreamFamily));
        Assert.Equal(2, rig.Counters.Dropped(UdpDropReason.TruncatedHeader));
        Assert.Equal(5, rig.Counters.Received);
        Assert.Equal(0, rig.Counters.FlowsCreated);
        Assert.Equal(0, rig.Table.Count);
    }

    [Fact]
    public void Senders_outside_the_allowed_subnets_are_dropped()
    {
        using var rig = new HandlerRig(subnets: AllowedSubnets.Create([IPNetwork.Parse("10.0.0.0/8")]));
        rig.Deliver(rig.NewBalancer(), HandlerRig.Local("x"));
        rig.Deliver(rig.NewBalancer(), HandlerRig.Local("y"));
        Assert.Equal(2, rig.Counters.Dropped(UdpDropReason.NotAllowed));
        Assert.Equal(0, rig.Counters.FlowsCreated);
    }

    [Fact]
    public void Existing_flow_path_allocates_nothing()
    {
        using var rig = new HandlerRig();
        Socket balancer = rig.NewBalancer();
        byte[] datagram = HandlerRig.Local("steady");
        SocketAddress from = LoopbackUdp.EndPointOf(balancer).Serialize();
        for (int i = 0; i < 100; i++)
        {
            rig.Handler.Handle(rig.Listener, datagram, from, rig.Filter);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            rig.Handler.Handle(rig.Listener, datagram, from, rig.Filter);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1100, rig.Counters.Forwarded + rig.Counters.Dropped(UdpDropReason.UpstreamSendFailed));
    }
}
