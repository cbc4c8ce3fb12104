using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>The bound: when full, new flows are refused and existing ones keep going (no eviction).</summary>
public sealed class UdpFlowTableTests
{
    [Fact]
    public void Reservations_stop_at_the_bound_and_come_back_when_released()
    {
        using var table = new UdpFlowTable(3);
        Assert.True(table.TryReserve());
        Assert.True(table.TryReserve());
        Assert.True(table.TryReserve());
        Assert.False(table.TryReserve());
        Assert.Equal(3, table.Count);
        table.CancelReservation();
        Assert.True(table.TryReserve());
        Assert.False(table.TryReserve());
    }

    [Fact]
    public void Full_table_keeps_existing_flows_and_refuses_new_ones()
    {
        using var rig = new FlowRig(maxFlows: 2);
        UdpFlow a = rig.AddFlow(FlowRig.Key(1));
        UdpFlow b = rig.AddFlow(FlowRig.Key(2));
        Assert.False(rig.Table.TryReserve());
        Assert.True(rig.Table.TryGet(FlowRig.Key(1), out UdpFlow? found));
        Assert.Same(a, found);
        Assert.Equal(UdpSendStatus.Sent, a.Send("x"u8, out _));
        Assert.Equal(UdpSendStatus.Sent, b.Send("x"u8, out _));
        Assert.False(a.IsClosed);
    }

    [Fact]
    public void Expiry_makes_room()
    {
        using var rig = new FlowRig(maxFlows: 1);
        rig.AddFlow(FlowRig.Key(1));
        Assert.False(rig.Table.TryReserve());
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, rig.Table.Count);
        UdpFlow next = rig.AddFlow(FlowRig.Key(2));
        Assert.False(next.IsClosed);
    }

    [Fact]
    public void Adding_a_taken_key_returns_the_existing_flow_and_frees_the_reservation()
    {
        using var rig = new FlowRig(maxFlows: 2);
        UdpFlow first = rig.AddFlow(FlowRig.Key(1));
        Assert.True(rig.Table.TryReserve());
        UdpFlow loser = rig.NewFlow(FlowRig.Key(1));
        Assert.False(rig.Table.TryAdd(loser, out UdpFlow? existing));
        Assert.Same(first, existing);
        Assert.Equal(1, rig.Table.Count);
        loser.Close();
    }

    [Fact]
    public void Remove_takes_only_the_same_flow()
    {
        using var rig = new FlowRig();
        UdpFlow current = rig.AddFlow(FlowRig.Key(1));
        UdpFlow stale = rig.NewFlow(FlowRig.Key(1));
        Assert.False(rig.Table.Remove(stale));
        Assert.True(rig.Table.TryGet(FlowRig.Key(1), out _));
        Assert.True(rig.Table.Remove(current));
        Assert.Equal(0, rig.Table.Count);
        stale.Close();
    }

    [Fact]
    public void Dispose_closes_every_flow()
    {
        var rig = new FlowRig();
        UdpFlow a = rig.AddFlow(FlowRig.Key(1));
        UdpFlow b = rig.AddFlow(FlowRig.Key(2));
        rig.Dispose();
        Assert.True(a.IsClosed);
        Assert.True(b.IsClosed);
        Assert.Equal(0, rig.Table.Count);
    }

    [Fact]
    public void Concurrent_reservations_never_exceed_the_bound()
    {
        using var table = new UdpFlowTable(1000);
        int granted = 0;
        Parallel.For(0, 5000, _ =>
        {
            if (table.TryReserve())
            {
                Interlocked.Increment(ref granted);
            }
        });
        Assert.Equal(1000, granted);
        Assert.Equal(1000, table.Count);
    }
}
