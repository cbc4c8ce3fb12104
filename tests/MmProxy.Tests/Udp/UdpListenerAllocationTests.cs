using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>
/// The whole receive path (listener loop, ReceiveFromAsync with a SocketAddress, handler, flow
/// send) allocates nothing per datagram once a flow exists: measured process-wide over loopback.
/// </summary>
[Collection(ProcessWideMeasurementCollection.Name)]
public sealed class UdpListenerAllocationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Forwarding_on_an_existing_flow_allocates_nothing_per_datagram()
    {
        using Socket upstream = LoopbackUdp.Bound();
        upstream.ReceiveBufferSize = 8 << 20;
        using Socket balancer = LoopbackUdp.Bound();
        var counters = new UdpCounters();
        var context = new UdpFlowContext(TimeSpan.FromMinutes(5), TimeProvider.System, counters, NullLogger.Instance);
        using var table = new UdpFlowTable(16);
        IPEndPoint target = LoopbackUdp.EndPointOf(upstream);
        var handler = new UdpDatagramHandler(ProxyHeaderParser.Default, table,
            new UdpUpstreamOpener(target, new IPEndPoint(IPAddress.IPv6Loopback, target.Port), 0), context);
        UdpListenerGroup? listeners = UdpListenerGroup.Open(new IPEndPoint(IPAddress.Loopback, 0), 1, NullLogger.Instance, TimeProvider.System, out string? error);
        Assert.True(listeners is not null, error);
        await using (listeners)
        {
            listeners.Start(handler, new AllowedSubnetsProvider(AllowedSubnets.AllowAll));
            byte[] datagram = HandlerRig.Local(new string('x', 100));
            SocketAddress to = listeners.EndPoint.Serialize();
            byte[] sink = new byte[2048];

            // Pacing waits must not allocate themselves (no closures, no Task.Delay).
            static void WaitWithoutAllocating(UdpCounters counters, long received)
            {
                long deadline = Environment.TickCount64 + 5000;
                while (counters.Received < received && Environment.TickCount64 < deadline)
                {
                    Thread.Yield();
                }
            }

            async Task SendAsync(int count)
            {
                long target = counters.Received + count;
                for (int i = 0; i < count; i++)
                {
                    balancer.SendTo(datagram, SocketFlags.None, to);
                    if (i % 64 == 63)
                    {
                        // Paced so nothing is dropped for lack of buffer; drain the upstream as we go.
                        WaitWithoutAllocating(counters, target - count + i + 1);
                        while (upstream.Available > 0)
                        {
                            upstream.Receive(sink);
                        }
                    }
                }
                Assert.True(await LoopbackUdp.EventuallyAsync(() => counters.Received >= target), $"received {counters.Received} of {target}");
            }

            await SendAsync(5000); // flow creation, JIT tiers, pools
            const int Measured = 50000;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await SendAsync(Measured);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

            output.WriteLine($"{allocated} bytes allocated process-wide for {Measured} datagrams");
            Assert.Equal(1, counters.FlowsCreated);
            Assert.Equal(5000 + Measured, counters.Forwarded);
            // The runtime allocates a little in the background (about 100 KB here after other tests);
            // one object per datagram would be at least 24 bytes each: 1.2 MB.
            Assert.True(allocated < Measured * 12, $"{allocated} bytes allocated for {Measured} datagrams ({(double)allocated / Measured:F2} per datagram)");
        }
    }
}
