using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Lifecycle;

/// <summary>Assertions shared by the lifecycle tests: a connection relays and the upstream sees the client.</summary>
internal static class LifecycleChecks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Connects through the proxy port with a v1 header naming the client's real endpoint; asserts the upstream saw it.</summary>
    public static async Task<(Socket Client, UpstreamConnection Upstream)> ConnectAsync(TestNetwork net, Upstream upstream, int proxyPort, AddressFamily family = AddressFamily.InterNetwork)
    {
        Socket s = await net.ConnectThroughProxyAsync(family, 0, proxyPort);
        UpstreamConnection seen = await upstream.NextAsync(Timeout);
        var local = (IPEndPoint)s.LocalEndPoint!;
        IPAddress expected = family == AddressFamily.InterNetworkV6 ? net.ClientV6 : net.ClientV4;
        Assert.Equal(new IPEndPoint(expected, local.Port), seen.Remote);
        return (s, seen);
    }

    /// <summary>One round trip through an echo upstream.</summary>
    public static async Task EchoAsync(Socket s, string text)
    {
        byte[] payload = Encoding.ASCII.GetBytes(text);
        await Streams.SendAllAsync(s, payload);
        using var cts = new CancellationTokenSource(Timeout);
        byte[] back = await Streams.ReceiveExactlyAsync(s, payload.Length, cts.Token);
        Assert.Equal(text, Encoding.ASCII.GetString(back));
    }

    /// <summary>Half-closes, expects the echo upstream's end of stream: the connection completed normally.</summary>
    public static async Task FinishAsync(Socket s)
    {
        s.Shutdown(SocketShutdown.Send);
        using var cts = new CancellationTokenSource(Timeout);
        ReceiveResult rest = await Streams.ReceiveAsync(s, ct: cts.Token);
        Assert.Equal(StreamEnd.Eof, rest.End);
        Assert.Equal(0, rest.Bytes);
    }

    /// <summary>A connection the proxy refuses: closed without any byte, and the upstream accepts nothing.</summary>
    public static async Task AssertRefusedAsync(TestNetwork net, Upstream upstream, int proxyPort)
    {
        var proxy = new IPEndPoint(net.ServerV4, proxyPort);
        Socket s;
        try
        {
            s = await net.ConnectFromClientAsync(proxy);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The proxy's reset can beat the end of our connect: refused all the same.
            await upstream.AssertNothingAcceptedAsync(TimeSpan.FromSeconds(1));
            return;
        }

        using Socket owned = s;
        try
        {
            byte[] data = [.. ProxyLines.V1((IPEndPoint)s.LocalEndPoint!, proxy), .. "must not arrive"u8];
            await Streams.SendAllAsync(s, data);
        }
        catch (SocketException)
        {
            // Reset already: what we expect.
        }

        using var cts = new CancellationTokenSource(Timeout);
        ReceiveResult r;
        try
        {
            r = await Streams.ReceiveAsync(s, ct: cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("the proxy kept a connection from a disallowed peer open");
            throw;
        }

        Assert.Equal(0, r.Bytes);
        await upstream.AssertNothingAcceptedAsync(TimeSpan.FromSeconds(1));
    }

    /// <summary>Nothing listens there any more: the connection attempt is refused.</summary>
    public static async Task AssertNotListeningAsync(TestNetwork net, int proxyPort)
    {
        SocketException e = await Assert.ThrowsAnyAsync<SocketException>(() => net.ConnectFromClientAsync(new IPEndPoint(net.ServerV4, proxyPort)));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }
}
