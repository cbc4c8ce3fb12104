using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.ProxyProtocol;

namespace MmProxy.EndToEnd.Tests;

/// <summary>256 MiB each way at the same time; both ends compare SHA-256 of what they got.</summary>
public sealed class LargeTransferTests
{
    private const long Size = 256L << 20;

    /// <summary>Upstream: sends Size bytes while reading Size bytes, then finishes cleanly.</summary>
    private static async Task SendAndReceive(UpstreamConnection c)
    {
        Task send = Streams.SendPatternAsync(c.Socket, Size);
        Task<ReceiveResult> receive = Streams.ReceiveAsync(c.Socket, Size);
        await Task.WhenAll(send, receive);
        c.Received = await receive;
        c.Socket.Shutdown(SocketShutdown.Send);
        _ = await Streams.ReceiveAsync(c.Socket);
        c.Socket.Dispose();
    }

    private static async Task ExchangeAsync(Socket client, Upstream upstream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task send = Streams.SendPatternAsync(client, Size, cts.Token);
        Task<ReceiveResult> receive = Streams.ReceiveAsync(client, Size, cts.Token);
        await Task.WhenAll(send, receive);
        ReceiveResult got = await receive;
        client.Shutdown(SocketShutdown.Send);

        UpstreamConnection seen = await upstream.NextAsync();
        await seen.WaitAsync(TimeSpan.FromSeconds(60));
        string expected = Streams.PatternHash(Size);
        Assert.Equal(Size, got.Bytes);
        Assert.Equal(expected, got.Sha256);
        Assert.Equal(Size, seen.Received!.Bytes);
        Assert.Equal(expected, seen.Received.Sha256);
    }

    [Fact]
    public Task Quarter_GiB_each_way_with_v2_header_from_the_client() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(SendAndReceive);
        await net.StartProxyAsync();
        var server = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using Socket client = await net.ConnectFromClientAsync(server, 42000);
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
            ProxyAddress.FromIPEndPoint((IPEndPoint)client.LocalEndPoint!), ProxyAddress.FromIPEndPoint(server));
        await Streams.SendAllAsync(client, header);

        await ExchangeAsync(client, upstream);
        Assert.Equal(new IPEndPoint(net.ClientV4, 42000), upstream.Accepted[0].Remote);
    });

    [Fact]
    public Task Quarter_GiB_each_way_through_haproxy_ipv6() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(SendAndReceive);
        await net.StartProxyAsync(listen: "127.0.0.1");
        await net.StartHaProxyAsync("127.0.0.1:7000 send-proxy");
        using Socket client = await net.ConnectFromClientAsync(new IPEndPoint(net.ServerV6, TestNetwork.BalancerPort), 42001);

        await ExchangeAsync(client, upstream);
        Assert.Equal(new IPEndPoint(net.ClientV6, 42001), upstream.Accepted[0].Remote);
    });
}
