using System.Net;
using System.Net.Sockets;

namespace MmProxy.Tests.Udp;

/// <summary>Loopback UDP sockets for the flow tests (no privileges, no namespaces).</summary>
internal static class LoopbackUdp
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    public static Socket Bound(int port = 0)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    public static IPEndPoint EndPointOf(Socket socket) => (IPEndPoint)socket.LocalEndPoint!;

    /// <summary>A loopback port with nothing bound to it (bound once, then released).</summary>
    public static int FreePort()
    {
        using Socket probe = Bound();
        return EndPointOf(probe).Port;
    }

    /// <summary>The next datagram on <paramref name="socket"/>, or null after the deadline.</summary>
    public static async Task<(byte[] Payload, IPEndPoint From)?> ReceiveAsync(Socket socket, TimeSpan? timeout = null)
    {
        byte[] buffer = new byte[70000];
        using var cts = new CancellationTokenSource(timeout ?? Deadline);
        try
        {
            SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            return (buffer.AsSpan(0, r.ReceivedBytes).ToArray(), (IPEndPoint)r.RemoteEndPoint);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Polls <paramref name="condition"/> until true or the deadline (for effects of background loops).</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? Deadline);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(5);
        }
        return true;
    }
}
