using System.Net;
using System.Net.Sockets;

namespace MmProxy.Tests.Udp.EventLoop;

/// <summary>
/// The native loop's whole path (recvmmsg, classify, flow lookup, sendmmsg, replies) allocates
/// nothing per datagram once a flow exists: measured on the loop's thread, over loopback.
/// </summary>
[Collection(ProcessWideMeasurementCollection.Name)]
public sealed class UdpEventLoopAllocationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Forwarding_and_replies_on_an_existing_flow_allocate_nothing_per_datagram()
    {
        await using var rig = LoopRig.Start();
        Socket balancer = rig.NewBalancer();
        balancer.ReceiveBufferSize = 8 << 20;
        byte[] datagram = LoopRig.Local(new string('x', 100));
        SocketAddress to = rig.EndPoint.Serialize();
        byte[] sink = new byte[2048];
        var upstreamFrom = new SocketAddress(AddressFamily.InterNetwork);
        var counters = rig.Counters;

        // Paced by 64 so no socket buffer overflows; the waits must not allocate (no closures, no Task.Delay).
        bool Exchange(int count)
        {
            long sentBefore = counters.Forwarded;
            for (int i = 0; i < count; i++)
            {
                balancer.SendTo(datagram, SocketFlags.None, to);
                if (i % 64 != 63 && i != count - 1)
                {
                    continue;
                }

                long want = sentBefore + i + 1;
                long deadline = Environment.TickCount64 + 5000;
                while (counters.Forwarded < want || counters.Replies < want || rig.Upstream.Available > 0)
                {
                    if (Environment.TickCount64 > deadline)
                    {
                        return false;
                    }

                    // Echo what arrived upstream (the replies go through the loop too) and drain the replies.
                    while (rig.Upstream.Available > 0)
                    {
                        int n = rig.Upstream.ReceiveFrom(sink, SocketFlags.None, upstreamFrom);
                        rig.Upstream.SendTo(sink.AsSpan(0, n), SocketFlags.None, upstreamFrom);
                    }

                    while (balancer.Available > 0)
                    {
                        balancer.Receive(sink);
                    }

                    Thread.Yield();
                }
            }

            return true;
        }

        // Flow creation, pools, first-call stubs.
        Assert.True(Exchange(5000), $"stalled: forwarded {counters.Forwarded}, replies {counters.Replies}, dropped {counters.DroppedTotal}");
        const int Measured = 50000;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        long loopBefore = rig.Group.AllocatedBytes;
        bool completed = Exchange(Measured);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        long loopAllocated = rig.Group.AllocatedBytes - loopBefore;
        output.WriteLine($"loop thread: {loopAllocated} bytes; process-wide (test side included): {allocated} bytes for {Measured} datagrams and their replies");
        Assert.True(completed, $"stalled: forwarded {counters.Forwarded}, replies {counters.Replies}, dropped {counters.DroppedTotal}");
        Assert.Equal(1, counters.FlowsCreated);
        Assert.Equal(5000 + Measured, counters.Forwarded);
        Assert.Equal(5000 + Measured, counters.Replies);
        // The loop's own thread, exactly: the test's sockets allocate a little per call on this side.
        Assert.Equal(0, loopAllocated);
    }
}
