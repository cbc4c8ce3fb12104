using System.Net.Sockets;
using System.Text;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>Flows close exactly --close-after after their last datagram in either direction.</summary>
public sealed class UdpFlowExpiryTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void Idle_flow_expires_exactly_at_close_after()
    {
        using var rig = new FlowRig();
        UdpFlow flow = rig.AddFlow(FlowRig.Key(1));

        rig.Time.Advance(999 * Ms);
        Assert.False(flow.IsClosed);
        Assert.Equal(1, rig.Table.Count);

        rig.Time.Advance(Ms);
        Assert.True(flow.IsClosed);
        Assert.Equal(0, rig.Table.Count);
        Assert.False(rig.Table.TryGet(FlowRig.Key(1), out _));
        Assert.Equal(1, rig.Counters.FlowsExpired);
        Assert.Null(flow.LocalEndPoint); // the upstream socket is closed
        Assert.Equal(0, rig.Time.ActiveTimers);
    }

    [Fact]
    public void Datagram_to_upstream_restarts_the_full_period()
    {
        using var rig = new FlowRig();
        UdpFlow flow = rig.AddFlow(FlowRig.Key(1));

        rig.Time.Advance(700 * Ms);
        Assert.Equal(UdpSendStatus.Sent, flow.Send("x"u8, out _));
        rig.Time.Advance(999 * Ms);   // 1699 ms after start, 999 ms after the datagram
        Assert.False(flow.IsClosed);
        rig.Time.Advance(Ms);
        Assert.True(flow.IsClosed);
    }

    [Fact]
    public void Not_between_one_and_two_periods_for_late_traffic()
    {
        // A periodic sweep (go-mmproxy) would close this flow anywhere up to 2x; we close at last + 1 s.
        using var rig = new FlowRig();
        UdpFlow flow = rig.AddFlow(FlowRig.Key(1));
        for (int i = 0; i < 5; i++)
        {
            rig.Time.Advance(999 * Ms);
            Assert.Equal(UdpSendStatus.Sent, flow.Send("x"u8, out _));
        }
        rig.Time.Advance(999 * Ms);
        Assert.False(flow.IsClosed);
        rig.Time.Advance(Ms);
        Assert.True(flow.IsClosed);
        Assert.Equal(TimeSpan.FromMilliseconds(6 * 999 + 1), rig.Time.Elapsed);
    }

    [Fact]
    public async Task Reply_from_upstream_counts_as_activity()
    {
        using var rig = new FlowRig();
        UdpFlow flow = rig.AddFlow(FlowRig.Key(1));
        Assert.Equal(UdpSendStatus.Sent, flow.Send("ping"u8, out _));
        var got = await LoopbackUdp.ReceiveAsync(rig.Upstream);
        Assert.NotNull(got);

        rig.Time.Advance(600 * Ms);
        await rig.Upstream.SendToAsync(Encoding.ASCII.GetBytes("pong"), SocketFlags.None, got.Value.From);
        var reply = await LoopbackUdp.ReceiveAsync(rig.Balancer);
        Assert.NotNull(reply);
        Assert.Equal("pong", Encoding.ASCII.GetString(reply.Value.Payload));
        Assert.Equal(LoopbackUdp.EndPointOf(rig.Listener), reply.Value.From); // from the listening socket
        Assert.True(await LoopbackUdp.EventuallyAsync(() => rig.Counters.Replies == 1));

        rig.Time.Advance(999 * Ms);   // 999 ms after the reply
        Assert.False(flow.IsClosed);
        rig.Time.Advance(Ms);
        Assert.True(flow.IsClosed);
        Assert.Equal(1, flow.DatagramsToClient);
        Assert.Equal(1, flow.DatagramsToUpstream);
    }

    [Fact]
    public void Send_on_an_expired_flow_says_closed()
    {
        using var rig = new FlowRig();
        UdpFlow flow = rig.AddFlow(FlowRig.Key(1));
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(UdpSendStatus.Closed, flow.Send("x"u8, out _));
        Assert.False(flow.TryTouch());
    }

    [Fact]
    public void Each_flow_expires_on_its_own_schedule()
    {
        using var rig = new FlowRig(closeAfterSeconds: 2);
        UdpFlow first = rig.AddFlow(FlowRig.Key(1));
        rig.Time.Advance(500 * Ms);
        UdpFlow second = rig.AddFlow(FlowRig.Key(2));
        rig.Time.Advance(1500 * Ms);
        Assert.True(first.IsClosed);
        Assert.False(second.IsClosed);
        Assert.Equal(1, rig.Table.Count);
        rig.Time.Advance(500 * Ms);
        Assert.True(second.IsClosed);
        Assert.Equal(0, rig.Table.Count);
    }
}
