using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>A FIN from either side is passed on as shutdown(SHUT_WR); the other direction keeps flowing.</summary>
public sealed class TcpRelayHalfCloseTests
{
    [Fact]
    public Task Client_fin_is_passed_on_and_the_upstream_still_answers() => HalfCloseAsync(clientFirst: true);

    [Fact]
    public Task Upstream_fin_is_passed_on_and_the_client_still_sends() => HalfCloseAsync(clientFirst: false);

    /// <summary>One side sends a few bytes and FIN; its peer sees them then EOF, and still answers with a bulk transfer.</summary>
    private static async Task HalfCloseAsync(bool clientFirst)
    {
        await using var rig = TcpLoopRig.Start();
        (Socket client, Socket server) = await rig.OpenAsync();
        byte[] answer = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 1);
        using (client)
        using (server)
        {
            Socket first = clientFirst ? client : server;
            Socket peer = clientFirst ? server : client;
            await Loopback.SendAllAsync(first, "hello"u8.ToArray());
            first.Shutdown(SocketShutdown.Send);
            Assert.Equal("hello", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(peer)));

            await rig.SettleAsync();
            Assert.Equal(1, rig.Loop.Active);
            Assert.Equal(0, rig.Counters.Completed);

            Task<byte[]> firstReads = Loopback.ReadToEndAsync(first);
            await Loopback.SendAllAsync(peer, answer);
            peer.Shutdown(SocketShutdown.Send);
            Assert.Equal(answer, await firstReads);
        }

        await rig.WaitUntilAsync(() => rig.Counters.Completed == 1 && rig.Counters.Active == 0, "the connection to complete");
        Assert.Equal(0, rig.Counters.Reset);
        Assert.Equal(clientFirst ? 5 : answer.Length, rig.Counters.BytesToUpstream);
        Assert.Equal(clientFirst ? answer.Length : 5, rig.Counters.BytesToClient);
        Assert.Equal(0, rig.Loop.PipesRented);
    }
}
