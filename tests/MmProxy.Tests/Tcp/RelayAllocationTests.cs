using System.Buffers;
using System.Net.Sockets;
using MmProxy.Tcp;
using MmProxy.Tests.TestSupport;
using MmProxy.Tests.Udp;
using Xunit.Abstractions;

namespace MmProxy.Tests.Tcp;

/// <summary>The relay allocates nothing per read: a ping-pong of small messages, measured process-wide.</summary>
[Collection(ProcessWideMeasurementCollection.Name)]
public sealed class RelayAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Copy_relay_allocates_nothing_per_read()
    {
        (Socket client, Socket proxyClientSide) = await Loopback.CreatePairAsync();
        (Socket proxyUpstreamSide, Socket server) = await Loopback.CreatePairAsync();
        using (client)
        using (server)
        using (var relay = new TcpRelay(proxyClientSide, proxyUpstreamSide, new CopyRelayPump(ArrayPool<byte>.Create(CopyRelayPump.BufferSize, 4))))
        {
            Task<RelayResult> running = relay.RunAsync().AsTask();
            byte[] message = new byte[100];
            byte[] buffer = new byte[100];

            // Socket's ValueTask operations reuse cached event args: the test side allocates nothing either.
            async Task PingPong(int rounds)
            {
                for (int i = 0; i < rounds; i++)
                {
                    await client.SendAsync(message.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    for (int read = 0; read < buffer.Length;)
                    {
                        read += await server.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).ConfigureAwait(false);
                    }

                    await server.SendAsync(message.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    for (int read = 0; read < buffer.Length;)
                    {
                        read += await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).ConfigureAwait(false);
                    }
                }
            }

            await Task.Run(() => PingPong(2000)).WaitAsync(Loopback.Deadline); // JIT tiers, pools, state machine boxes

            // The test host allocates now and then on its own threads; a per-read allocation would
            // show in every batch, so the quietest of several batches is the relay's own count.
            const int Batch = 2000;
            long quietest = long.MaxValue;
            for (int attempt = 0; attempt < 5; attempt++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                await Task.Run(() => PingPong(Batch)).WaitAsync(Loopback.Deadline);
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                output.WriteLine($"{allocated} bytes allocated process-wide for {Batch} round trips");
                quietest = Math.Min(quietest, allocated);
            }

            // 4 reads per round trip (zero-byte wait + read, both directions): one small object per
            // read would be at least 24 bytes each, ~190 KB a batch. A private pool keeps the shared
            // pool's per-thread cache misses (whole 64 KiB arrays) out of the count.
            Assert.True(quietest < Batch * 8, $"{quietest} bytes for {Batch} round trips ({(double)quietest / Batch:F2} per round trip)");

            client.Shutdown(SocketShutdown.Send);
            server.Shutdown(SocketShutdown.Send);
            Assert.True((await running.WaitAsync(Loopback.Deadline)).Completed);
        }
    }
}
