using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>The loop end to end over loopback: forwarding without the header, replies from the listener, flows and their order.</summary>
public sealed class UdpForwardingTests
{
    [Fact]
    public async Task Datagram_is_forwarded_without_its_header_unspoofed_and_the_reply_comes_back_from_the_listener_payload_only()
    {
        await using var rig = UdpLoopRig.Start();
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "hello");

        (string text, IPEndPoint flow) = await rig.ReceiveUpstreamAsync();
        Assert.Equal("hello", text);

        // LOCAL: from the proxy's own socket on loopback, not from the balancer (nothing spoofed, no privileges).
        Assert.Equal(IPAddress.Loopback, flow.Address);
        Assert.NotEqual(LoopbackUdp.EndPointOf(balancer).Port, flow.Port);

        LoopbackUdp.SendText(rig.Upstream, "world", flow);
        (string reply, IPEndPoint from) = await LoopbackUdp.ReceiveTextAsync(balancer);
        Assert.Equal("world", reply);
        Assert.Equal(rig.EndPoint, from);

        await rig.SyncAsync();
        Assert.Equal(1, rig.Counters.Received);
        Assert.Equal(1, rig.Counters.Forwarded);
        Assert.Equal(5, rig.Counters.BytesForwarded);
        Assert.Equal(1, rig.Counters.Replies);
        Assert.Equal(5, rig.Counters.ReplyBytes);
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(0, rig.Counters.DroppedTotal);
        Assert.Equal(1, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Listener.FlowCount);
    }

    [Fact]
    public async Task Datagrams_of_one_flow_reuse_its_socket_and_another_balancer_gets_its_own()
    {
        await using var rig = UdpLoopRig.Start();
        Socket balancer = rig.NewBalancer();
        IPEndPoint? first = null;
        for (int i = 0; i < 5; i++)
        {
            rig.Send(balancer, "m" + i.ToString(CultureInfo.InvariantCulture));
            (string text, IPEndPoint from) = await rig.ReceiveUpstreamAsync();
            Assert.Equal("m" + i.ToString(CultureInfo.InvariantCulture), text);
            first ??= from;
            Assert.Equal(first, from);
        }

        rig.Send(rig.NewBalancer(), "other");
        (string other, IPEndPoint otherFlow) = await rig.ReceiveUpstreamAsync();
        Assert.Equal("other", other);
        Assert.NotEqual(first, otherFlow);

        await rig.SyncAsync();
        Assert.Equal(2, rig.Counters.FlowsCreated);
        Assert.Equal(6, rig.Counters.Forwarded);
        Assert.Equal(2, rig.Loop.FlowCount);
    }

    [Fact]
    public async Task Bursts_of_many_flows_keep_each_flows_order_and_every_reply_reaches_its_balancer()
    {
        await using var rig = UdpLoopRig.Start(maxFlows: 64);
        const int Balancers = 8;
        const int PerRound = 8; // Balancers * PerRound = one receive batch, well within every socket buffer
        const int Rounds = 12;
        var balancers = new Socket[Balancers];
        for (int b = 0; b < Balancers; b++)
        {
            balancers[b] = rig.NewBalancer();
        }

        var nextBySource = new Dictionary<IPEndPoint, int>();
        var balancerOfSource = new Dictionary<IPEndPoint, int>();
        byte[] buffer = new byte[2048];
        for (int round = 0; round < Rounds; round++)
        {
            // Interleaved, as a load balancer sends them: one batch holds every flow.
            for (int i = 0; i < PerRound; i++)
            {
                for (int b = 0; b < Balancers; b++)
                {
                    rig.Send(balancers[b], Message(b, (round * PerRound) + i));
                }
            }

            for (int n = 0; n < Balancers * PerRound; n++)
            {
                (string text, IPEndPoint from) = await LoopbackUdp.ReceiveTextAsync(rig.Upstream, buffer);
                string[] parts = text.Split(':');
                int b = int.Parse(parts[0], CultureInfo.InvariantCulture);
                if (!balancerOfSource.TryAdd(from, b))
                {
                    Assert.Equal(balancerOfSource[from], b); // one flow socket per balancer
                }

                int expected = nextBySource.GetValueOrDefault(from);
                Assert.Equal(expected, int.Parse(parts[1], CultureInfo.InvariantCulture));
                nextBySource[from] = expected + 1;
                LoopbackUdp.SendText(rig.Upstream, text, from); // echo
            }

            for (int b = 0; b < Balancers; b++)
            {
                for (int i = 0; i < PerRound; i++)
                {
                    (string reply, IPEndPoint from) = await LoopbackUdp.ReceiveTextAsync(balancers[b], buffer);
                    Assert.Equal(Message(b, (round * PerRound) + i), reply);
                    Assert.Equal(rig.EndPoint, from);
                }
            }
        }

        await rig.SyncAsync();
        const int Total = Balancers * PerRound * Rounds;
        Assert.Equal(Balancers, nextBySource.Count);
        Assert.Equal(Balancers, rig.Counters.FlowsCreated);
        Assert.Equal(Total, rig.Counters.Forwarded);
        Assert.Equal(Total, rig.Counters.Replies);
        Assert.Equal(0, rig.Counters.DroppedTotal);
        Assert.Equal(0, rig.Counters.ReplyFailures);

        static string Message(int balancer, int sequence) => string.Create(CultureInfo.InvariantCulture, $"{balancer}:{sequence}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Replies_of_one_size_to_one_balancer_arrive_one_by_one_in_order_with_or_without_gso(bool gso)
    {
        await using var rig = UdpLoopRig.Start(gso: gso);
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "go");
        (_, IPEndPoint flow) = await rig.ReceiveUpstreamAsync();

        // Back to back, so the loop may find several in one wake-up (one GSO run), the last one shorter.
        const int Replies = 40;
        for (int i = 0; i < Replies; i++)
        {
            string body = i == Replies - 1 ? "end" : i.ToString("D3", CultureInfo.InvariantCulture) + new string('r', 197);
            LoopbackUdp.SendText(rig.Upstream, body, flow);
        }

        byte[] buffer = new byte[65536];
        long bytes = 0;
        for (int i = 0; i < Replies; i++)
        {
            (string reply, IPEndPoint from) = await LoopbackUdp.ReceiveTextAsync(balancer, buffer);
            Assert.Equal(rig.EndPoint, from);
            if (i == Replies - 1)
            {
                Assert.Equal("end", reply);
            }
            else
            {
                Assert.Equal(200, reply.Length);
                Assert.StartsWith(i.ToString("D3", CultureInfo.InvariantCulture), reply, StringComparison.Ordinal);
            }

            bytes += reply.Length;
        }

        await rig.SyncAsync();
        Assert.Equal(Replies, rig.Counters.Replies);
        Assert.Equal(bytes, rig.Counters.ReplyBytes);
        Assert.Equal(0, rig.Counters.ReplyFailures);
        Assert.Equal(0, balancer.Available);
    }

    /// <summary>Needs root (CAP_NET_ADMIN for IP_TRANSPARENT): fails, never skips, without it.</summary>
    [Fact]
    public async Task Proxy_datagram_is_forwarded_from_the_clients_address_and_the_reply_reaches_the_balancer()
    {
        await using var rig = UdpLoopRig.Start();
        Socket balancer = rig.NewBalancer();
        var clientAddress = IPAddress.Parse("127.0.0.7");
        var client = new IPEndPoint(clientAddress, LoopbackUdp.FreePort(clientAddress));
        balancer.SendTo(rig.Proxy(client, "spoofed"), rig.EndPoint);

        Task<(string Text, IPEndPoint From)> upstream = rig.ReceiveUpstreamAsync();
        await rig.UntilAsync(() => rig.Counters.Received == 1, "the PROXY datagram");
        if (rig.Counters.Dropped(UdpDropReason.FlowSetupFailed) != 0)
        {
            Assert.Fail("the spoofed flow could not be opened (IP_TRANSPARENT needs root): " + rig.Describe());
        }

        (string text, IPEndPoint from) = await upstream;
        Assert.Equal("spoofed", text);
        Assert.Equal(client, from);

        LoopbackUdp.SendText(rig.Upstream, "back", from);
        (string reply, IPEndPoint replyFrom) = await LoopbackUdp.ReceiveTextAsync(balancer);
        Assert.Equal("back", reply);
        Assert.Equal(rig.EndPoint, replyFrom);
        await rig.SyncAsync();
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Counters.Replies);
        Assert.Equal(Encoding.ASCII.GetByteCount("spoofed"), rig.Counters.BytesForwarded);
    }
}
