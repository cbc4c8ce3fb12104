using System.Net;
using System.Net.Sockets;

namespace MmProxy.Tests.Udp;

/// <summary>
/// The loop's whole path (recvmmsg, classify, flow lookup, sendmmsg, replies, GSO) allocates nothing
/// per datagram once a flow exists: measured on the loop's own thread (<see cref="MmProxy.Udp.UdpLoop.AllocatedBytes"/>).
/// </summary>
public sealed class UdpLoopAllocationTests(ITestOutputHelper output)
{
    private const int Batch = 64;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Forwarding_and_replies_on_an_existing_flow_allocate_nothing_per_datagram(bool gso)
    {
        await using var rig = UdpLoopRig.Start(gso: gso);
        Socket balancer = rig.NewBalancer();
        byte[] datagram = UdpLoopRig.Local(new string('x', 100));
        SocketAddress to = rig.EndPoint.Serialize();
        byte[] sink = new byte[2048];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        int timeoutMs = (int)LoopbackUdp.Deadline.TotalMilliseconds;
        rig.Upstream.ReceiveTimeout = timeoutMs;
        balancer.ReceiveTimeout = timeoutMs;

        // In batches of 64 (within every socket buffer): send, echo each upstream, take the replies. Every
        // receive waits on its datagram with the deadline (a timeout throws). Nothing here runs on the loop.
        void Exchange(int batches)
        {
            for (int b = 0; b < batches; b++)
            {
                for (int i = 0; i < Batch; i++)
                {
                    balancer.SendTo(datagram, SocketFlags.None, to);
                }

                for (int i = 0; i < Batch; i++)
                {
                    int n = rig.Upstream.ReceiveFrom(sink, SocketFlags.None, from);
                    rig.Upstream.SendTo(sink.AsSpan(0, n), SocketFlags.None, from);
                }

                for (int i = 0; i < Batch; i++)
                {
                    Assert.Equal(100, balancer.Receive(sink));
                }
            }
        }

        // Flow creation, its log lines, first calls.
        const int WarmUp = 80;
        Exchange(WarmUp);

        // Between these two readings the loop only forwards and replies: no sync requests (completing
        // one is the test's work, not the loop's), no flows opened or closed, nothing logged.
        const int Measured = 640;
        long before = rig.Loop.AllocatedBytes;
        Exchange(Measured);
        Exchange(1); // the loop records its total at the end of each iteration: one more exchange covers the last
        long allocated = rig.Loop.AllocatedBytes - before;

        await rig.SyncAsync();
        const int Datagrams = (WarmUp + Measured + 1) * Batch;
        output.WriteLine($"loop thread: {allocated} bytes for {Measured * Batch} datagrams and their replies (GSO {gso})");
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(Datagrams, rig.Counters.Forwarded);
        Assert.Equal(Datagrams, rig.Counters.Replies);
        Assert.Equal(0, rig.Counters.DroppedTotal);

        // Nothing per datagram, nor per batch: one object each would be 24 bytes or more, 1 MB per datagram
        // here, 15 KB per batch. Not exactly 0: the runtime's tiered compilation with PGO allocates 32 bytes
        // once on the thread running the code when it promotes the loop's methods, which it does on a timer
        // that other tests' JIT activity keeps postponing, so it may fall inside this window.
        Assert.True(allocated < 1024, $"the loop thread allocated {allocated} bytes for {Measured * Batch} datagrams and their replies");
    }
}
