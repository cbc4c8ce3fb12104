using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MmProxy.Tests.Udp;

/// <summary>Loopback UDP sockets for the loop tests (no privileges, no namespaces); every wait has a deadline.</summary>
internal static class LoopbackUdp
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public static Socket Bound(int port = 0) => Bound(IPAddress.Loopback, port);

    public static Socket Bound(IPAddress address, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, port));
        return socket;
    }

    public static IPEndPoint EndPointOf(Socket socket) => (IPEndPoint)socket.LocalEndPoint!;

    /// <summary>A port on <paramref name="address"/> with nothing bound to it (bound once, then released).</summary>
    public static int FreePort(IPAddress? address = null)
    {
        using Socket probe = Bound(address ?? IPAddress.Loopback, 0);
        return EndPointOf(probe).Port;
    }

    /// <summary>The next datagram on <paramref name="socket"/>; throws <see cref="TimeoutException"/> past the deadline.</summary>
    public static async Task<(byte[] Payload, IPEndPoint From)> ReceiveAsync(Socket socket, byte[]? buffer = null)
    {
        buffer ??= new byte[65536];
        using var cts = new CancellationTokenSource(Deadline);
        try
        {
            SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            return (buffer.AsSpan(0, r.ReceivedBytes).ToArray(), (IPEndPoint)r.RemoteEndPoint);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no datagram reached {EndPointOf(socket)} within {Deadline.TotalSeconds} s");
        }
    }

    /// <summary>The next datagram as ASCII text, and its sender.</summary>
    public static async Task<(string Text, IPEndPoint From)> ReceiveTextAsync(Socket socket, byte[]? buffer = null)
    {
        (byte[] payload, IPEndPoint from) = await ReceiveAsync(socket, buffer);
        return (Encoding.ASCII.GetString(payload), from);
    }

    public static void SendText(Socket socket, string text, EndPoint to) => socket.SendTo(Encoding.ASCII.GetBytes(text), to);

    /// <summary>Whether a socket holds <paramref name="endPoint"/> (a bind there fails with EADDRINUSE): a flow's upstream socket is still open.</summary>
    public static bool IsInUse(IPEndPoint endPoint)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            probe.Bind(endPoint);
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
    }
}
