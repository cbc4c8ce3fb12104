using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;

namespace MmProxy.Tests.Udp;

/// <summary>
/// Flows close exactly --close-after after their last datagram in either direction, on a fake
/// clock: move it, let the loop run one iteration (<see cref="UdpLoopRig.SyncAsync"/>), look.
/// </summary>
public sealed class UdpFlowExpiryTests
{
    private const int FlowExpiredEvent = 351;
    private static readonly TimeSpan CloseAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task Idle_flow_expires_exactly_at_close_after_not_before()
    {
        var time = new FakeTimeProvider();
        await using var rig = UdpLoopRig.Start(time, CloseAfter);
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "a");
        (_, IPEndPoint flow) = await rig.ReceiveUpstreamAsync();

        await AdvanceAsync(rig, time, CloseAfter - Tick);
        Assert.Equal(1, rig.Loop.FlowCount);
        Assert.Equal(0, rig.Counters.FlowsExpired);
        Assert.True(LoopbackUdp.IsInUse(flow), "the flow's socket is open");

        await AdvanceAsync(rig, time, Tick);
        Assert.Equal(0, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Counters.FlowsExpired);
        Assert.Equal(0, rig.Listener.FlowLimit!.Count);
        Assert.False(LoopbackUdp.IsInUse(flow), "the expired flow's socket is still open");
        Assert.Contains(rig.Logs.Events, e => e.EventId.Id == FlowExpiredEvent && e.Message.Contains("1000", StringComparison.Ordinal));

        // The next datagram opens a new flow.
        rig.Send(balancer, "b");
        Assert.Equal("b", (await rig.ReceiveUpstreamAsync()).Text);
        await rig.SyncAsync();
        Assert.Equal(2, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Loop.FlowCount);
    }

    [Fact]
    public async Task Datagram_to_the_upstream_restarts_the_full_period()
    {
        var time = new FakeTimeProvider();
        await using var rig = UdpLoopRig.Start(time, CloseAfter);
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "a");
        await rig.ReceiveUpstreamAsync();

        await AdvanceAsync(rig, time, 700 * Ms);
        rig.Send(balancer, "b");
        Assert.Equal("b", (await rig.ReceiveUpstreamAsync()).Text);

        await AdvanceAsync(rig, time, CloseAfter - Tick); // 1.7 s after the first datagram, just under 1 s after the second
        Assert.Equal(1, rig.Loop.FlowCount);
        await AdvanceAsync(rig, time, Tick);
        Assert.Equal(0, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Counters.FlowsExpired);
        Assert.Equal(1, rig.Counters.FlowsCreated);
    }

    [Fact]
    public async Task No_flow_lives_between_one_and_two_periods_for_late_traffic()
    {
        // A periodic sweep (go-mmproxy) would close this flow anywhere up to 2x; it closes at last + close-after.
        var time = new FakeTimeProvider();
        DateTimeOffset start = time.GetUtcNow();
        await using var rig = UdpLoopRig.Start(time, CloseAfter);
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "first");
        (_, IPEndPoint flow) = await rig.ReceiveUpstreamAsync();
        for (int i = 0; i < 5; i++)
        {
            await AdvanceAsync(rig, time, CloseAfter - Ms);
            Assert.Equal(1, rig.Loop.FlowCount);
            rig.Send(balancer, "late");
            (_, IPEndPoint from) = await rig.ReceiveUpstreamAsync();
            Assert.Equal(flow, from);
        }

        await AdvanceAsync(rig, time, CloseAfter - Tick);
        Assert.Equal(1, rig.Loop.FlowCount);
        await AdvanceAsync(rig, time, Tick);
        Assert.Equal(0, rig.Loop.FlowCount);
        Assert.Equal((5 * (CloseAfter - Ms)) + CloseAfter, time.GetUtcNow() - start);
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Counters.FlowsExpired);
    }

    [Fact]
    public async Task Replies_count_as_activity_and_reply_traffic_alone_keeps_a_flow_alive()
    {
        var time = new FakeTimeProvider();
        await using var rig = UdpLoopRig.Start(time, CloseAfter);
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "a");
        (_, IPEndPoint flow) = await rig.ReceiveUpstreamAsync();

        // A reply every 600 ms for 4.8 s: far past close-after since the balancer's only datagram.
        for (int i = 0; i < 8; i++)
        {
            await AdvanceAsync(rig, time, 600 * Ms);
            Assert.Equal(1, rig.Loop.FlowCount);
            LoopbackUdp.SendText(rig.Upstream, "r", flow);
            (string reply, IPEndPoint from) = await LoopbackUdp.ReceiveTextAsync(balancer);
            Assert.Equal("r", reply);
            Assert.Equal(rig.EndPoint, from);
        }

        Assert.Equal(0, rig.Counters.FlowsExpired);
        await AdvanceAsync(rig, time, CloseAfter - Tick); // just under close-after since the last reply
        Assert.Equal(1, rig.Loop.FlowCount);
        await AdvanceAsync(rig, time, Tick);
        Assert.Equal(0, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Counters.FlowsExpired);
        Assert.Equal(8, rig.Counters.Replies);
        Assert.Equal(1, rig.Counters.Forwarded);
    }

    [Fact]
    public async Task Each_flow_expires_on_its_own_schedule()
    {
        var time = new FakeTimeProvider();
        TimeSpan closeAfter = TimeSpan.FromSeconds(2);
        await using var rig = UdpLoopRig.Start(time, closeAfter);
        rig.Send(rig.NewBalancer(), "first");
        (_, IPEndPoint first) = await rig.ReceiveUpstreamAsync();
        await AdvanceAsync(rig, time, 500 * Ms);
        rig.Send(rig.NewBalancer(), "second");
        (_, IPEndPoint second) = await rig.ReceiveUpstreamAsync();

        await AdvanceAsync(rig, time, 1500 * Ms);
        Assert.Equal(1, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Counters.FlowsExpired);
        Assert.False(LoopbackUdp.IsInUse(first), "the first flow is still open");
        Assert.True(LoopbackUdp.IsInUse(second), "the second flow closed with the first");

        await AdvanceAsync(rig, time, (500 * Ms) - Tick);
        Assert.Equal(1, rig.Loop.FlowCount);
        await AdvanceAsync(rig, time, Tick);
        Assert.Equal(0, rig.Loop.FlowCount);
        Assert.Equal(2, rig.Counters.FlowsExpired);
        Assert.False(LoopbackUdp.IsInUse(second), "the second flow is still open");
    }

    /// <summary>Moves the clock, then lets the loop run an iteration that reads it (and expires what is due).</summary>
    private static async Task AdvanceAsync(UdpLoopRig rig, FakeTimeProvider time, TimeSpan by)
    {
        time.Advance(by);
        await rig.SyncAsync();
    }
}
