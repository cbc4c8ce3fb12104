using System.Net.Sockets;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>The relay allocates nothing per read: a ping-pong of small messages, measured on the loop's own thread.</summary>
public sealed class TcpRelayAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Relaying_small_messages_allocates_nothing_on_the_loop_thread()
    {
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync("x");
        using (client)
        using (server)
        {
            byte[] message = new byte[100];
            byte[] buffer = new byte[100];
            async Task PingPongAsync(int rounds)
            {
                for (int i = 0; i < rounds; i++)
                {
                    await Loopback.SendAllAsync(client, message);
                    for (int read = 0; read < buffer.Length;)
                    {
                        read += await server.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
                    }

                    await Loopback.SendAllAsync(server, message);
                    for (int read = 0; read < buffer.Length;)
                    {
                        read += await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
                    }
                }
            }

            // Pools, lists, first calls and tiering (the loop method's on-stack replacement, which
            // allocates once) warm up. No sync inside the measurement: completing one posts to the
            // test's synchronization context from the loop thread, which allocates too.
            await PingPongAsync(5000).WaitAsync(TimeSpan.FromSeconds(60));
            long before = rig.Loop.AllocatedBytes;
            const int Rounds = 5000;
            await PingPongAsync(Rounds).WaitAsync(TimeSpan.FromSeconds(60));
            long allocated = rig.Loop.AllocatedBytes - before;
            output.WriteLine($"loop thread: {allocated} bytes for {Rounds} round trips ({2 * Rounds} relayed reads)");

            // One object per read would be at least 24 bytes × 10000; a one-off runtime allocation
            // (tiering) may still land in the window on a slow machine.
            Assert.InRange(allocated, 0, 256);

            client.Shutdown(SocketShutdown.Send);
            server.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(client));
        }

        await rig.WaitUntilAsync(() => rig.Counters.Completed == 1, "the connection to complete");
        Assert.Equal(1 + (5000 + 5000) * 100, rig.Counters.BytesToUpstream);
    }
}
