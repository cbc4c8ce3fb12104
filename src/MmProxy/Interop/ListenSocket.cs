using System.Net;
using System.Net.Sockets;

namespace MmProxy.Interop;

/// <summary>
/// Opens a listening socket as a raw non-blocking descriptor for an event loop: TCP (SO_REUSEADDR,
/// listen, TCP_NODELAY inherited by every accepted socket) or UDP (never SO_REUSEADDR: on Linux it
/// would let another process share the port; a large receive buffer). SO_REUSEPORT when several
/// sockets share the address; [::] takes IPv4 too, as Go does.
/// </summary>
internal static class ListenSocket
{
    // Bursts from the load balancer queue here rather than being dropped by the kernel.
    private const int UdpReceiveBufferBytes = 4 * 1024 * 1024;

    /// <summary>
    /// <paramref name="count"/> sockets on one address (SO_REUSEPORT when more than one; with port 0
    /// the others share the port the kernel picked for the first), owned by the caller; on the first
    /// failure the ones opened are closed again and null is returned with the failure.
    /// </summary>
    public static int[]? OpenMany(IPEndPoint endPoint, SocketType type, int count, int backlog, out IPEndPoint bound, out SocketSetupResult failure, bool transparent = false)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var fds = new List<int>(count);
        bound = endPoint;
        failure = default;
        try
        {
            for (int i = 0; i < count; i++)
            {
                failure = Open(bound, type, reusePort: count > 1, backlog, transparent);
                if (!failure.Succeeded)
                {
                    return null;
                }

                fds.Add(failure.Fd);
                if (bound.Port == 0)
                {
                    bound = RawSocket.LocalEndPoint(failure.Fd) ?? bound;
                }
            }

            int[] opened = [.. fds];
            fds.Clear();
            return opened;
        }
        finally
        {
            foreach (int fd in fds)
            {
                _ = Descriptor.Close(fd);
            }
        }
    }

    /// <summary>The listening descriptor (owned by the caller), or the errno and the step that failed.</summary>
    /// <param name="transparent">IP_TRANSPARENT: the socket takes what a TPROXY rule steers to it, for any local address.</param>
    public static SocketSetupResult Open(IPEndPoint endPoint, SocketType type, bool reusePort, int backlog, bool transparent = false)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        bool v6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        SysResult created = RawSocket.Create(endPoint.AddressFamily, type);
        if (!created.Succeeded)
        {
            return SocketSetupResult.Failure(SocketSetupError.Other, created.Error, "socket()");
        }

        int fd = created.Int;
        SocketSetupResult result = Prepare(fd, endPoint, v6, type == SocketType.Stream, reusePort, backlog, transparent);
        if (!result.Succeeded)
        {
            _ = Descriptor.Close(fd);
        }

        return result;
    }

    private static SocketSetupResult Prepare(int fd, IPEndPoint endPoint, bool v6, bool stream, bool reusePort, int backlog, bool transparent)
    {
        Errno errno;
        if (transparent && (errno = SocketOptions.SetTransparent(fd, v6)) != Errno.Success)
        {
            return SocketSetupResult.Failure(
                errno is Errno.EPERM or Errno.EACCES ? SocketSetupError.TransparentNotPermitted : SocketSetupError.Other,
                errno,
                v6 ? "setsockopt(IPV6_TRANSPARENT)" : "setsockopt(IP_TRANSPARENT)");
        }

        if (v6 && (errno = SocketOptions.SetInt(fd, SocketOptions.SolIpv6, SocketOptions.Ipv6V6Only, endPoint.Address.Equals(IPAddress.IPv6Any) ? 0 : 1)) != Errno.Success)
        {
            return SocketSetupResult.Failure(SocketSetupError.Other, errno, "setsockopt(IPV6_V6ONLY)");
        }

        // SO_REUSEADDR for TCP: rebinding a listen port while old connections sit in TIME_WAIT.
        if (stream && (errno = SocketOptions.SetInt(fd, SocketOptions.SolSocket, SocketOptions.SoReuseAddr, 1)) != Errno.Success)
        {
            return SocketSetupResult.Failure(SocketSetupError.Other, errno, "setsockopt(SO_REUSEADDR)");
        }

        if (reusePort && (errno = SocketOptions.SetInt(fd, SocketOptions.SolSocket, SocketOptions.SoReusePort, 1)) != Errno.Success)
        {
            return SocketSetupResult.Failure(SocketSetupError.Other, errno, "setsockopt(SO_REUSEPORT)");
        }

        if (!stream && SocketOptions.SetInt(fd, SocketOptions.SolSocket, SocketOptions.SoRcvBufForce, UdpReceiveBufferBytes) != Errno.Success)
        {
            // Only root (CAP_NET_ADMIN) may exceed net.core.rmem_max; otherwise take what the kernel allows.
            _ = SocketOptions.SetInt(fd, SocketOptions.SolSocket, SocketOptions.SoRcvBuf, UdpReceiveBufferBytes);
        }

        if ((errno = RawSocket.Bind(fd, NativeSocketAddress.FromIPEndPoint(endPoint))) != Errno.Success)
        {
            return SocketSetupResult.Failure(errno == Errno.EADDRINUSE ? SocketSetupError.AddressInUse : SocketSetupError.Other, errno, "bind()");
        }

        if (stream && (errno = RawSocket.Listen(fd, backlog)) != Errno.Success)
        {
            return SocketSetupResult.Failure(SocketSetupError.Other, errno, "listen()");
        }

        if (stream)
        {
            // Accepted sockets inherit it: one system call less per connection.
            _ = SocketOptions.SetInt(fd, SocketOptions.SolTcp, SocketOptions.TcpNoDelay, 1);
        }

        return SocketSetupResult.Success(fd);
    }
}
