using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests;

/// <summary>Many connections open at the same time, each from its own source port, each verified.</summary>
public sealed class ConcurrencyTests
{
    private static async Task RelayConcurrentlyAsync(TestNetwork net, Upstream upstream, int count)
    {
        var proxy = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        Socket[] sockets = NetworkNamespace.Run(net.ClientNs, () =>
            Enumerable.Range(0, count).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToArray());
        try
        {
            foreach (Socket s in sockets)
            {
                s.Bind(new IPEndPoint(net.ClientV4, 0));
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Task.WhenAll(sockets.Select(s => s.ConnectAsync(proxy, cts.Token).AsTask()));
            IPEndPoint[] clients = [.. sockets.Select(s => (IPEndPoint)s.LocalEndPoint!)];
            Assert.Equal(count, clients.Select(c => c.Port).Distinct().Count());

            // Every connection is open before any data flows; each carries its own payload.
            await Task.WhenAll(sockets.Select(async (s, i) =>
            {
                byte[] payload = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"connection {i} from {clients[i]}; ", 20)));
                byte[] message = [.. ProxyLines.V1(clients[i], proxy), .. payload];
                await Streams.SendAllAsync(s, message, cts.Token);
                byte[] echoed = await Streams.ReceiveExactlyAsync(s, payload.Length, cts.Token);
                Assert.True(payload.AsSpan().SequenceEqual(echoed), $"connection {i} ({clients[i]}) got a wrong echo");
            }));

            IPEndPoint[] seen = [.. upstream.Accepted.Select(c => c.Remote)];
            Assert.Equal(count, seen.Length);
            Assert.Equal(clients.Select(c => c.ToString()).Order(), seen.Select(c => c.ToString()).Order());
        }
        finally
        {
            foreach (Socket s in sockets)
            {
                s.Dispose();
            }
        }
    }

    [Fact]
    public Task Thousand_concurrent_connections_all_relay_correctly() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        await net.StartProxyAsync();
        await RelayConcurrentlyAsync(net, upstream, 1000);
    });

    [Fact]
    public Task Four_listeners_share_the_port_and_all_connections_succeed() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        BackgroundProcess proxy = await net.StartProxyAsync(
            ["-l", "0.0.0.0:7000", "-4", "127.0.0.1:7001", "-6", "[::1]:7001", "-listeners", "4"], listeners: 4);

        string[] lines = await net.ListenersWithProcessesAsync(net.ServerNs, TestNetwork.ProxyPort);
        Assert.True(lines.Length == 4, $"expected 4 listening sockets on :7000, ss shows:\n{string.Join('\n', lines)}");
        Assert.All(lines, l => Assert.Contains($"pid={proxy.Id},", l, StringComparison.Ordinal));

        // The kernel hashes connections over the reuseport group: with 400 connections each of the
        // 4 sockets receives about 100, so a socket nobody accepts on would leave ~25% hanging.
        await RelayConcurrentlyAsync(net, upstream, 400);
        string[] after = await net.ListenersWithProcessesAsync(net.ServerNs, TestNetwork.ProxyPort);
        Assert.All(after, l => Assert.StartsWith("LISTEN 0 ", l, StringComparison.Ordinal)); // accept queues drained
    });
}
