using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>--max-udp-flows on the loops: a full table drops new flows and keeps the old ones; expiry makes room; loops share the bound.</summary>
public sealed class UdpFlowBoundTests
{
    private const int TableFullEvent = 302;

    [Fact]
    public async Task Full_table_drops_new_flows_counts_them_and_keeps_the_existing_one()
    {
        await using var rig = UdpLoopRig.Start(maxFlows: 1);
        Socket first = rig.NewBalancer();
        Socket second = rig.NewBalancer();
        rig.Send(first, "a");
        (string a, IPEndPoint flow) = await rig.ReceiveUpstreamAsync();
        Assert.Equal("a", a);

        rig.Send(second, "b");
        await rig.UntilAsync(() => rig.Counters.Received == 2, "the second balancer's datagram");
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.TableFull));
        Assert.Contains(rig.Logs.Events, e => e.EventId.Id == TableFullEvent);

        // The existing flow goes on, both ways; "b" never arrived.
        rig.Send(first, "c");
        (string c, IPEndPoint again) = await rig.ReceiveUpstreamAsync();
        Assert.Equal("c", c);
        Assert.Equal(flow, again);
        LoopbackUdp.SendText(rig.Upstream, "reply", flow);
        Assert.Equal("reply", (await LoopbackUdp.ReceiveTextAsync(first)).Text);

        await rig.SyncAsync();
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(2, rig.Counters.Forwarded);
        Assert.Equal(1, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Listener.FlowLimit!.Count);
        Assert.Equal(0, rig.Upstream.Available);
        Assert.Equal(0, second.Available);
    }

    [Fact]
    public async Task Expiry_makes_room_for_a_new_flow()
    {
        var time = new FakeTimeProvider();
        TimeSpan closeAfter = TimeSpan.FromSeconds(1);
        await using var rig = UdpLoopRig.Start(time, closeAfter, maxFlows: 1);
        Socket first = rig.NewBalancer();
        Socket second = rig.NewBalancer();
        rig.Send(first, "a");
        Assert.Equal("a", (await rig.ReceiveUpstreamAsync()).Text);
        rig.Send(second, "b");
        await rig.UntilAsync(() => rig.Counters.Dropped(UdpDropReason.TableFull) == 1, "the table-full drop");

        time.Advance(closeAfter);
        await rig.SyncAsync();
        Assert.Equal(0, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Counters.FlowsExpired);
        Assert.Equal(0, rig.Listener.FlowLimit!.Count);

        rig.Send(second, "d");
        Assert.Equal("d", (await rig.ReceiveUpstreamAsync()).Text);
        await rig.SyncAsync();
        Assert.Equal(2, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Counters.Dropped(UdpDropReason.TableFull));
    }

    [Fact]
    public async Task Several_loops_share_the_flow_bound_reply_from_their_own_socket_and_stop_cleanly()
    {
        await using var rig = UdpLoopRig.Start(maxFlows: 64, loops: 2);
        Assert.Equal(2, rig.Listener.Count);

        // 32 balancers: the kernel's SO_REUSEPORT hash puts all on one socket with odds of 2^-31.
        const int Balancers = 32;
        var balancers = new Socket[Balancers];
        for (int b = 0; b < Balancers; b++)
        {
            balancers[b] = rig.NewBalancer();
            rig.Send(balancers[b], "x");
        }

        var flows = new HashSet<IPEndPoint>();
        for (int b = 0; b < Balancers; b++)
        {
            (string text, IPEndPoint flow) = await rig.ReceiveUpstreamAsync();
            Assert.Equal("x", text);
            Assert.True(flows.Add(flow), "two balancers on one flow");
            LoopbackUdp.SendText(rig.Upstream, "r", flow);
        }

        foreach (Socket balancer in balancers)
        {
            (string reply, IPEndPoint from) = await LoopbackUdp.ReceiveTextAsync(balancer);
            Assert.Equal("r", reply);
            Assert.Equal(rig.EndPoint, from);
        }

        await rig.SyncAsync();
        UdpLoop one = rig.Listener.Loops[0];
        UdpLoop two = rig.Listener.Loops[1];
        Assert.True(one.FlowCount > 0 && two.FlowCount > 0, $"flows per loop: {one.FlowCount}, {two.FlowCount}");
        Assert.Equal(Balancers, one.FlowCount + two.FlowCount);
        Assert.Equal(Balancers, rig.Listener.FlowCount);
        Assert.Equal(Balancers, rig.Listener.FlowLimit!.Count);
        Assert.Equal(Balancers, rig.Counters.Replies);

        await rig.Listener.DisposeAsync().AsTask().WaitAsync(LoopbackUdp.Deadline);
        Assert.True(one.Exited.IsCompletedSuccessfully && two.Exited.IsCompletedSuccessfully);
        Assert.False(rig.Listener.Completion.IsCompleted, "a loop failed: " + rig.Describe());
        Assert.Equal(0, rig.Listener.FlowCount);
        Assert.Equal(0, rig.Listener.FlowLimit.Count);
        Assert.All(flows, flow => Assert.False(LoopbackUdp.IsInUse(flow), $"flow socket {flow} still open"));
        await rig.SyncAsync(); // a stopped loop still answers
    }

    [Fact]
    public async Task Several_loops_never_open_more_flows_together_than_the_bound()
    {
        const int MaxFlows = 8;
        const int Balancers = 32;
        await using var rig = UdpLoopRig.Start(maxFlows: MaxFlows, loops: 2);
        for (int b = 0; b < Balancers; b++)
        {
            rig.Send(rig.NewBalancer(), "x");
        }

        await rig.UntilAsync(() => rig.Counters.Received == Balancers, "every balancer's datagram");
        Assert.Equal(MaxFlows, rig.Counters.FlowsCreated);
        Assert.Equal(Balancers - MaxFlows, rig.Counters.Dropped(UdpDropReason.TableFull));
        Assert.Equal(MaxFlows, rig.Listener.FlowCount);
        Assert.Equal(MaxFlows, rig.Listener.FlowLimit!.Count);
        for (int i = 0; i < MaxFlows; i++)
        {
            Assert.Equal("x", (await rig.ReceiveUpstreamAsync()).Text);
        }

        await rig.SyncAsync();
        Assert.Equal(0, rig.Upstream.Available);
    }
}
