using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp.EventLoop;

/// <summary>The native loop engine end to end over loopback: forwarding, replies, drops, bounds, ICMP, expiry.</summary>
public sealed class UdpEventLoopTests
{
    [Fact]
    public async Task Datagram_is_forwarded_without_its_header_and_the_reply_comes_back_from_the_listener()
    {
        await using var rig = LoopRig.Start();
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "hello");

        var got = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        Assert.NotNull(got);
        Assert.Equal("hello", Encoding.ASCII.GetString(got.Value.Payload));

        await rig.Upstream.SendToAsync("world"u8.ToArray(), SocketFlags.None, got.Value.From);
        var reply = await LoopbackUdp.ReceiveAsync(balancer);
        Assert.NotNull(reply);
        Assert.Equal("world", Encoding.ASCII.GetString(reply.Value.Payload));
        Assert.Equal(rig.EndPoint, reply.Value.From);

        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.Replies == 1));
        Assert.Equal(1, rig.Counters.Received);
        Assert.Equal(1, rig.Counters.Forwarded);
        Assert.Equal(5, rig.Counters.BytesForwarded);
        Assert.Equal(5, rig.Counters.ReplyBytes);
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Table.Count);
        Assert.Equal(1, rig.Group.FlowCount);
    }

    [Fact]
    public async Task Bursts_of_many_flows_keep_each_flows_order_and_every_reply_reaches_its_balancer()
    {
        await using var rig = LoopRig.Start(maxFlows: 64);
        const int Balancers = 8;
        const int PerBalancer = 100;
        Socket[] balancers = new Socket[Balancers];
        for (int b = 0; b < Balancers; b++)
        {
            balancers[b] = rig.NewBalancer();
            balancers[b].ReceiveBufferSize = 4 << 20;
        }

        // Interleaved, as a load balancer sends them: batches hold several flows.
        for (int i = 0; i < PerBalancer; i++)
        {
            for (int b = 0; b < Balancers; b++)
            {
                rig.Send(balancers[b], $"{b}:{i}");
            }
        }

        var nextBySource = new Dictionary<IPEndPoint, int>();
        byte[] buffer = new byte[2048];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        rig.Upstream.ReceiveTimeout = 5000;
        for (int n = 0; n < Balancers * PerBalancer; n++)
        {
            int received = rig.Upstream.ReceiveFrom(buffer, ref any);
            var from = (IPEndPoint)any;
            string[] parts = Encoding.ASCII.GetString(buffer, 0, received).Split(':');
            int expected = nextBySource.GetValueOrDefault(from);
            Assert.Equal(expected, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
            nextBySource[from] = expected + 1;
            rig.Upstream.SendTo(buffer.AsSpan(0, received), from); // echo
        }

        Assert.Equal(Balancers, nextBySource.Count);
        for (int b = 0; b < Balancers; b++)
        {
            balancers[b].ReceiveTimeout = 5000;
            for (int i = 0; i < PerBalancer; i++)
            {
                int received = balancers[b].Receive(buffer);
                Assert.Equal($"{b}:{i}", Encoding.ASCII.GetString(buffer, 0, received));
            }
        }

        Assert.Equal(Balancers, rig.Counters.FlowsCreated);
        Assert.Equal(Balancers * PerBalancer, rig.Counters.Forwarded);
        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.Replies == Balancers * PerBalancer), $"replies {rig.Counters.Replies}");
    }

    [Fact]
    public async Task Invalid_datagrams_are_dropped_by_reason_and_valid_ones_still_pass()
    {
        await using var rig = LoopRig.Start();
        Socket balancer = rig.NewBalancer();
        balancer.SendTo("garbage that is no header"u8.ToArray(), rig.EndPoint);
        balancer.SendTo("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nx"u8.ToArray(), rig.EndPoint);
        rig.Send(balancer, "ok");

        var got = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        Assert.NotNull(got);
        Assert.Equal("ok", Encoding.ASCII.GetString(got.Value.Payload));
        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.DroppedTotal == 2));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.InvalidHeader));
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.Version1));
        Assert.Equal(3, rig.Counters.Received);
    }

    [Fact]
    public async Task Full_table_drops_new_flows_and_keeps_the_existing_one()
    {
        await using var rig = LoopRig.Start(maxFlows: 1);
        Socket first = rig.NewBalancer();
        Socket second = rig.NewBalancer();
        rig.Send(first, "a");
        Assert.NotNull(await LoopbackUdp.ReceiveAsync(rig.Upstream));
        rig.Send(second, "b");
        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.Dropped(UdpDropReason.TableFull) == 1));
        rig.Send(first, "c");
        var got = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        Assert.NotNull(got);
        Assert.Equal("c", Encoding.ASCII.GetString(got.Value.Payload));
        Assert.Equal(1, rig.Table.Count);
    }

    [Fact]
    public async Task Unreachable_upstream_is_counted_and_the_flow_lives_on()
    {
        await using var rig = LoopRig.Start(bindUpstream: false);
        Socket balancer = rig.NewBalancer();
        for (int i = 0; i < 3; i++)
        {
            rig.Send(balancer, "lost");
            await LoopbackUdp.EventuallyAsync(() => rig.Counters.Received > i);
        }

        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.UpstreamRefused >= 1), "no ECONNREFUSED counted");
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Table.Count);

        using Socket upstream = rig.Own(LoopbackUdp.Bound(rig.UpstreamPort));
        rig.Send(balancer, "found");
        var got = await LoopbackUdp.ReceiveAsync(upstream);
        Assert.NotNull(got);
        Assert.Equal("found", Encoding.ASCII.GetString(got.Value.Payload));
        await upstream.SendToAsync("reply"u8.ToArray(), SocketFlags.None, got.Value.From);
        var reply = await LoopbackUdp.ReceiveAsync(balancer);
        Assert.NotNull(reply);
        Assert.Equal("reply", Encoding.ASCII.GetString(reply.Value.Payload));
        Assert.Equal(1, rig.Counters.FlowsCreated);
    }

    [Fact]
    public async Task Idle_flow_expires_close_after_after_its_last_datagram_not_before()
    {
        // Generous margins for a loaded test machine: 300 ms of 1 s before the second datagram.
        TimeSpan closeAfter = TimeSpan.FromSeconds(1);
        await using var rig = LoopRig.Start(closeAfter);
        Socket balancer = rig.NewBalancer();
        var sinceFirst = Stopwatch.StartNew();
        rig.Send(balancer, "a");
        Assert.NotNull(await LoopbackUdp.ReceiveAsync(rig.Upstream));
        TimeSpan forwarded = sinceFirst.Elapsed;

        // A second datagram at ~300 ms restarts the period.
        await Task.Delay(300);
        Assert.True(rig.Counters.FlowsExpired == 0,
            $"expired {sinceFirst.Elapsed.TotalMilliseconds:F0} ms after the first datagram (forwarded after {forwarded.TotalMilliseconds:F0} ms)");
        var stopwatch = Stopwatch.StartNew();
        rig.Send(balancer, "b");
        Assert.NotNull(await LoopbackUdp.ReceiveAsync(rig.Upstream));

        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.FlowsExpired == 1, TimeSpan.FromSeconds(5)), "the flow never expired");
        TimeSpan idle = stopwatch.Elapsed;
        Assert.True(idle >= closeAfter, $"expired after {idle.TotalMilliseconds} ms, before --close-after");
        Assert.True(idle < closeAfter + TimeSpan.FromSeconds(1), $"expired after {idle.TotalMilliseconds} ms");
        Assert.Equal(0, rig.Table.Count);
        Assert.Equal(0, rig.Group.FlowCount);

        // A new datagram opens a new flow.
        rig.Send(balancer, "c");
        Assert.NotNull(await LoopbackUdp.ReceiveAsync(rig.Upstream));
        Assert.Equal(2, rig.Counters.FlowsCreated);
    }

    [Fact]
    public async Task Reply_traffic_alone_keeps_a_flow_alive()
    {
        // Generous margins (replies every 200 ms against 1 s) for a loaded test machine.
        TimeSpan closeAfter = TimeSpan.FromSeconds(1);
        await using var rig = LoopRig.Start(closeAfter);
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "a");
        var got = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        Assert.NotNull(got);
        var sinceBalancer = Stopwatch.StartNew();
        var sinceReply = Stopwatch.StartNew();
        for (int i = 0; i < 8; i++)
        {
            await Task.Delay(200);
            TimeSpan gap = sinceReply.Elapsed;
            await rig.Upstream.SendToAsync("r"u8.ToArray(), SocketFlags.None, got.Value.From);
            Assert.True(await LoopbackUdp.ReceiveAsync(balancer) is not null,
                $"reply {i} missing ({gap.TotalMilliseconds:F0} ms after the previous one): replies {rig.Counters.Replies}, failed {rig.Counters.ReplyFailures}, expired {rig.Counters.FlowsExpired}");
            sinceReply.Restart();
        }

        // Longer than --close-after since the last datagram from the balancer, yet alive through the replies.
        Assert.True(sinceBalancer.Elapsed > closeAfter);
        Assert.Equal(0, rig.Counters.FlowsExpired);
        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.FlowsExpired == 1), "the flow never expired");
    }

    [Fact]
    public async Task Several_loops_share_the_flow_bound_and_stop_cleanly()
    {
        var rig = LoopRig.Start(maxFlows: 64, listeners: 2);
        Assert.Equal(2, rig.Group.Count);
        var balancers = new List<Socket>();
        for (int b = 0; b < 10; b++)
        {
            Socket s = rig.NewBalancer();
            balancers.Add(s);
            rig.Send(s, "x");
        }

        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.Forwarded == 10), $"forwarded {rig.Counters.Forwarded}");
        Assert.Equal(10, rig.Table.Count);
        Assert.Equal(10, rig.Group.FlowCount);
        await rig.DisposeAsync();
        Assert.Equal(0, rig.Table.Count);
    }
}
