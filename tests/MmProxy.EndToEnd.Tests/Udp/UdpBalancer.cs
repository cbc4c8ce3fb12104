using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>
/// One load-balancer endpoint (a Spectrum edge's socket for one client session): a UDP socket in the
/// client namespace that sends datagrams exactly as given (headers are the test's business) and
/// receives what the proxy sends back to it.
/// </summary>
internal sealed class UdpBalancer : IDisposable
{
    private readonly byte[] _buffer = new byte[70000];

    public UdpBalancer(TestNetwork net, IPEndPoint proxy)
    {
        ArgumentNullException.ThrowIfNull(net);
        Proxy = proxy;
        Socket = TestNetwork.CreateUdpSocket(net.ClientNs, new IPEndPoint(net.Client(proxy.AddressFamily), 0));
    }

    public IPEndPoint Proxy { get; }

    public Socket Socket { get; }

    /// <summary>The endpoint the proxy sees as the sender (what v2-first sessions are keyed by).</summary>
    public IPEndPoint EndPoint => (IPEndPoint)Socket.LocalEndPoint!;

    /// <summary>Sends the parts concatenated as one datagram.</summary>
    public Task<int> SendAsync(params byte[][] parts) => Socket.SendToAsync(parts.SelectMany(p => p).ToArray(), SocketFlags.None, Proxy);

    /// <summary>The next datagram back, or null after <paramref name="timeout"/>.</summary>
    public async Task<byte[]?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            int n = await Socket.ReceiveAsync(_buffer, SocketFlags.None, cts.Token);
            return _buffer.AsSpan(0, n).ToArray();
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The next datagram back; fails the test naming <paramref name="what"/> when none comes within <paramref name="timeout"/>.</summary>
    public async Task<byte[]> ExpectAsync(string what, TimeSpan timeout)
    {
        byte[]? reply = await ReceiveAsync(timeout);
        Assert.True(reply is not null, $"no reply to {what} on the balancer socket {EndPoint} within {timeout.TotalSeconds} s");
        return reply;
    }

    public void Dispose() => Socket.Dispose();
}
