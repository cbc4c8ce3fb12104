using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// An ordinary UDP client in the client namespace (no header: `mmproxy send` adds it), talking to
/// the sender at <paramref name="server"/>; <see cref="Local"/> is the endpoint the far end must see.
/// </summary>
internal sealed class PlainUdpClient(TestNetwork net, AddressFamily family, IPEndPoint server) : IDisposable
{
    private readonly byte[] _buffer = new byte[70000];

    public Socket Socket { get; } = TestNetwork.CreateUdpSocket(net.ClientNs, new IPEndPoint(net.Client(family), 0));

    public IPEndPoint Server { get; } = server;

    public IPEndPoint Local => (IPEndPoint)Socket.LocalEndPoint!;

    public static PlainUdpClient To(TestNetwork net, AddressFamily family) =>
        new(net, family, new IPEndPoint(net.Server(family), SendProcess.Port));

    public Task<int> SendAsync(byte[] payload) => Socket.SendToAsync(payload, SocketFlags.None, Server);

    /// <summary>The next datagram and where it came from, or null after <paramref name="timeout"/>.</summary>
    public async Task<(IPEndPoint From, byte[] Data)?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        EndPoint any = Socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        try
        {
            SocketReceiveFromResult r = await Socket.ReceiveFromAsync(_buffer, SocketFlags.None, any, cts.Token);
            return ((IPEndPoint)r.RemoteEndPoint, _buffer.AsSpan(0, r.ReceivedBytes).ToArray());
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Sends <paramref name="payload"/> and returns the reply, which must come from the sender's listening address.</summary>
    public async Task<byte[]> ExchangeAsync(byte[] payload, TimeSpan timeout)
    {
        await SendAsync(payload);
        (IPEndPoint From, byte[] Data)? reply = await ReceiveAsync(timeout);
        Assert.True(reply is not null, $"{Local}: no reply within {timeout.TotalSeconds} s");
        Assert.Equal(Server, reply.Value.From);
        return reply.Value.Data;
    }

    public void Dispose() => Socket.Dispose();
}
