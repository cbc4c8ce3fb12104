using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// Bytes through the loop's relay: exact both ways at once, with splicing and copy-only; a reader
/// that does not read holds the writer back and still gets every byte; small messages take no pipe.
/// </summary>
public sealed class TcpRelayTransferTests
{
    [Theory]
    [InlineData(4096)]
    [InlineData(0)]
    public async Task Large_transfers_arrive_byte_exact_both_ways_at_once_from_the_exact_client_address(int spliceThreshold)
    {
        await using var rig = TcpLoopRig.Start(o => o.SpliceThreshold = spliceThreshold);
        Assert.Equal(spliceThreshold > 0, rig.Loop.Splicing);
        byte[] up = RandomNumberGenerator.GetBytes(8 * 1024 * 1024 + 17);
        byte[] down = RandomNumberGenerator.GetBytes(6 * 1024 * 1024 + 5);
        (Socket client, Socket server) = await rig.OpenAsync("early");
        using (client)
        using (server)
        {
            Task<byte[]> serverReads = Loopback.ReadToEndAsync(server);
            Task<byte[]> clientReads = Loopback.ReadToEndAsync(client);
            Task clientWrites = Task.Run(async () => { await Loopback.SendAllAsync(client, up); client.Shutdown(SocketShutdown.Send); });
            Task serverWrites = Task.Run(async () => { await Loopback.SendAllAsync(server, down); server.Shutdown(SocketShutdown.Send); });
            await Task.WhenAll(clientWrites, serverWrites).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(SHA256.HashData(up), SHA256.HashData(await serverReads.WaitAsync(Loopback.Deadline)));
            Assert.Equal(SHA256.HashData(down), SHA256.HashData(await clientReads.WaitAsync(Loopback.Deadline)));
        }

        await rig.WaitUntilAsync(() => rig.Counters.Completed == 1 && rig.Counters.Active == 0, "the connection to complete");
        Assert.Equal(up.Length + 5, rig.Counters.BytesToUpstream);
        Assert.Equal(down.Length, rig.Counters.BytesToClient);
        Assert.Equal(0, rig.Counters.Reset);
        Assert.Equal(0, rig.Loop.PipesRented);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(0)]
    public async Task A_reader_that_does_not_read_holds_the_writer_back_and_then_gets_every_byte(int spliceThreshold)
    {
        await using var rig = TcpLoopRig.Start(o => o.SpliceThreshold = spliceThreshold);
        Assert.Equal(spliceThreshold > 0, rig.Loop.Splicing);
        (Socket client, Socket server) = await rig.OpenAsync();
        using (client)
        using (server)
        {
            // The server reads nothing: the socket buffers on the way fill up, and the proxy must
            // park what the upstream cannot take and stop reading (backpressure), not buffer without
            // bound. Filled until, with every event handled, the client cannot send a byte more.
            byte[] chunk = RandomNumberGenerator.GetBytes(256 * 1024 + 3);
            using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long total = Loopback.FillUntilBlocked(client, chunk, sent);
            for (long more = 1; more > 0; total += more)
            {
                await rig.SettleAsync();
                more = Loopback.FillUntilBlocked(client, chunk, sent);
            }

            Assert.True(total > 256 * 1024, $"only {total} bytes went out");
            Assert.Equal(1, rig.Loop.Active);
            Assert.InRange(rig.Loop.PipesRented, 0, 1); // at most the pipe the parked bytes wait in
            client.Shutdown(SocketShutdown.Send);

            (long received, byte[] hash) = await ReadToEndHashedAsync(server);
            Assert.Equal(total, received);
            Assert.Equal(sent.GetHashAndReset(), hash);
            server.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(client));
        }

        await rig.WaitUntilAsync(() => rig.Counters.Completed == 1, "the connection to complete");
        Assert.Equal(0, rig.Loop.PipesRented);
    }

    [Fact]
    public async Task Small_messages_are_copied_and_an_idle_connection_holds_no_pipe()
    {
        await using var rig = TcpLoopRig.Start();
        Assert.True(rig.Loop.Splicing, "pipes do not work here: the relay only copies");
        byte[] burst = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        (Socket client, Socket server) = await rig.OpenAsync();
        using (client)
        using (server)
        {
            await PingPongAsync(client, server, 3);
            await rig.SettleAsync();
            Assert.Equal(0, rig.Loop.PipesRented);

            // A burst larger than the splice threshold is spliced; the pipe goes back once it is through.
            Task<byte[]> serverReads = Loopback.ReadExactlyAsync(server, burst.Length);
            await Loopback.SendAllAsync(client, burst);
            Assert.Equal(burst, await serverReads);
            await rig.SettleAsync();
            Assert.Equal(0, rig.Loop.PipesRented);

            // Small messages again afterwards (the direction went back to copying).
            await PingPongAsync(client, server, 3);
            await rig.SettleAsync();
            Assert.Equal(0, rig.Loop.PipesRented);
            Assert.Equal(1, rig.Loop.Active);

            client.Shutdown(SocketShutdown.Send);
            server.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(client));
        }

        await rig.WaitUntilAsync(() => rig.Counters.Completed == 1, "the connection to complete");
        Assert.Equal(burst.Length + (2 * 3 * 4), rig.Counters.BytesToUpstream);
    }

    [Fact]
    public async Task Several_listeners_share_the_port()
    {
        await using var rig = TcpLoopRig.Start(o => o.Listeners = 3);
        Assert.Equal(3, rig.Loops.Count);
        for (int i = 0; i < 6; i++)
        {
            (Socket client, Socket server) = await rig.OpenAsync("n" + i);
            using (client)
            using (server)
            {
                await Loopback.SendAllAsync(server, Encoding.ASCII.GetBytes("r" + i));
                Assert.Equal("r" + i, Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(client, 2)));
            }
        }

        await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connections to close");
        Assert.Equal(6, rig.Counters.Accepted);
    }

    [Fact]
    public async Task Connections_open_when_the_listener_stops_run_to_their_end()
    {
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync();
        using (client)
        using (server)
        {
            await rig.StopAsync();
            using (var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                SocketException refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(rig.EndPoint).WaitAsync(Loopback.Deadline));
                Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
            }

            await Loopback.SendAllAsync(client, "still"u8.ToArray());
            Assert.Equal("still", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 5)));
            await Loopback.SendAllAsync(server, "here"u8.ToArray());
            Assert.Equal("here", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(client, 4)));
            client.Shutdown(SocketShutdown.Send);
            server.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(client));
            Assert.Empty(await Loopback.ReadToEndAsync(server));
        }

        // The loop's thread ends with its last connection.
        await rig.Loop.Exited.WaitAsync(Loopback.Deadline);
        Assert.Equal(1, rig.Counters.Completed);
        Assert.Equal(0, rig.Counters.Active);
    }

    private static async Task PingPongAsync(Socket client, Socket server, int rounds)
    {
        byte[] ping = "ping"u8.ToArray();
        for (int i = 0; i < rounds; i++)
        {
            await Loopback.SendAllAsync(client, ping);
            Assert.Equal(ping, await Loopback.ReadExactlyAsync(server, ping.Length));
            await Loopback.SendAllAsync(server, ping);
            Assert.Equal(ping, await Loopback.ReadExactlyAsync(client, ping.Length));
        }
    }

    private static async Task<(long Count, byte[] Hash)> ReadToEndHashedAsync(Socket socket)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[256 * 1024];
        long count = 0;
        while (await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Loopback.Deadline) is int n and > 0)
        {
            hash.AppendData(buffer, 0, n);
            count += n;
        }

        return (count, hash.GetHashAndReset());
    }
}
