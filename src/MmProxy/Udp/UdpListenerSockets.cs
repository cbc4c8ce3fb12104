using System.Net;
using System.Net.Sockets;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Udp;

/// <summary>
/// Opens N UDP sockets on one address (SO_REUSEPORT when N &gt; 1: the kernel hashes each sender's
/// 4-tuple to one socket, so a load balancer endpoint always lands on the same listener), with a
/// large receive buffer. Both engines use these; errors are operator messages with the fix.
/// </summary>
internal static class UdpListenerSockets
{
    // Bursts from the load balancer queue here rather than being dropped by the kernel.
    private const int ReceiveBufferBytes = 4 * 1024 * 1024;
    private const int SoRcvBufForce = 33;

    public static Socket[]? Open(IPEndPoint endPoint, int count, out string? error)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var sockets = new List<Socket>(count);
        error = null;
        try
        {
            for (int i = 0; i < count; i++)
            {
                Socket? socket = OpenOne(endPoint, count > 1, out error);
                if (socket is null)
                {
                    return null;
                }

                sockets.Add(socket);
                if (endPoint.Port == 0 && i == 0 && count > 1)
                {
                    // Port 0: the others must share the port the kernel picked for the first.
                    endPoint = (IPEndPoint)socket.LocalEndPoint!;
                }
            }

            Socket[] result = [.. sockets];
            sockets.Clear();
            return result;
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static Socket? OpenOne(IPEndPoint endPoint, bool reusePort, out string? error)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // [::] takes IPv4 too, as Go does; a specific IPv6 address is unaffected.
                socket.DualMode = endPoint.Address.Equals(IPAddress.IPv6Any);
            }

            // Never SO_REUSEADDR on UDP: on Linux it would let another process share the port.
            int errno = reusePort ? LinuxSocketOptions.SetReusePort(socket) : 0;
            if (errno != 0)
            {
                error = $"cannot prepare the UDP socket for {endPoint}: {Errno.Describe(errno)}";
                socket.Dispose();
                return null;
            }

            // Root (CAP_NET_ADMIN) may exceed net.core.rmem_max; otherwise take what the kernel allows.
            if (LinuxSocketOptions.SetInt(socket, LinuxSocketOptions.SolSocket, SoRcvBufForce, ReceiveBufferBytes) != 0)
            {
                socket.ReceiveBufferSize = ReceiveBufferBytes;
            }

            socket.Bind(endPoint);
            error = null;
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            error = ListenErrorMessages.Describe(endPoint, udp: true, ex.SocketErrorCode, UdpFlow.DescribeError(ex.SocketErrorCode));
            return null;
        }
    }
}
