using System.Net;
using System.Net.Sockets;
using MmProxy.ProxyProtocol;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One simulated client behind a datagram load balancer: its own socket in the client namespace
/// (as a UDP relay keeps one socket per client session), sending each payload to the proxy after a
/// PROXY v2 header (ProxyHeaderWriter) that names <see cref="Client"/>; replies come back on it.
/// </summary>
internal sealed class UdpClientSession : IDisposable
{
    private readonly byte[] _header;
    private readonly byte[] _buffer = new byte[70000];

    public UdpClientSession(TestNetwork net, IPEndPoint proxy, IPEndPoint client, ProxyCommand command = ProxyCommand.Proxy)
    {
        ArgumentNullException.ThrowIfNull(net);
        Proxy = proxy;
        Client = client;
        ProxyFamily family = client.AddressFamily == AddressFamily.InterNetworkV6 ? ProxyFamily.Udp6 : ProxyFamily.Udp4;
        IPAddress destination = client.AddressFamily == AddressFamily.InterNetworkV6 ? net.ServerV6 : net.ServerV4;
        _header = ProxyHeaderWriter.WriteV2(command, family, ProxyAddress.FromIPEndPoint(client), ProxyAddress.FromIPEndPoint(new IPEndPoint(destination, proxy.Port)));
        Socket = TestNetwork.CreateUdpSocket(net.ClientNs, new IPEndPoint(net.Client(proxy.AddressFamily), 0));
    }

    public IPEndPoint Proxy { get; }

    /// <summary>The client endpoint the header claims (what the upstream must see).</summary>
    public IPEndPoint Client { get; }

    /// <summary>The balancer-side socket (its endpoint is what the proxy sees as the sender).</summary>
    public Socket Socket { get; }

    public int HeaderLength => _header.Length;

    public async Task SendAsync(ReadOnlyMemory<byte> payload)
    {
        byte[] datagram = new byte[_header.Length + payload.Length];
        _header.CopyTo(datagram, 0);
        payload.Span.CopyTo(datagram.AsSpan(_header.Length));
        await Socket.SendToAsync(datagram, SocketFlags.None, Proxy);
    }

    /// <summary>Sends raw bytes as they are (no header added).</summary>
    public Task<int> SendRawAsync(byte[] datagram) => Socket.SendToAsync(datagram, SocketFlags.None, Proxy);

    /// <summary>The next reply, or null after <paramref name="timeout"/>.</summary>
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

    public void Dispose() => Socket.Dispose();
}
