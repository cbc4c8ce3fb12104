using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// The upstream socket of a proxied TCP connection, bound to the client's address: socket(),
/// dual-stack for IPv6, SO_MARK, IP_TRANSPARENT / IPV6_TRANSPARENT, TCP_NODELAY, then bind to the
/// source (port 0: IP_BIND_ADDRESS_NO_PORT, so the kernel picks the port at connect time). The one
/// place both TCP engines take this step; the caller connects.
/// </summary>
internal static class UpstreamBinder
{
    private const int Ipv6V6Only = 26;

    /// <param name="family">The target's family; an IPv4 source on an IPv6 socket must be v4-mapped.</param>
    /// <param name="source">The address to bind, or null to leave binding to connect (no spoofing).</param>
    /// <param name="mark">SO_MARK; 0 = none.</param>
    /// <param name="nonBlocking">SOCK_NONBLOCK (the event loop); the socket engine sets it itself.</param>
    public static unsafe UpstreamBindResult Open(AddressFamily family, IPEndPoint? source, uint mark, bool nonBlocking)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        int type = SocketNativeMethods.SockStream | SocketNativeMethods.SockCloExec | (nonBlocking ? SocketNativeMethods.SockNonBlock : 0);
        int fd = SocketNativeMethods.Socket(v6 ? SocketNativeMethods.AfInet6 : SocketNativeMethods.AfInet, type, 0);
        if (fd < 0)
        {
            // EMFILE/ENFILE/ENOBUFS: an expected failure under load, reported as a value like the others.
            return UpstreamBindResult.Failure(SocketSetupError.Other, Marshal.GetLastPInvokeError(), "socket()");
        }

        UpstreamBindResult result = Prepare(fd, v6, source, mark);
        if (!result.Succeeded)
        {
            _ = SocketNativeMethods.Close(fd);
        }

        return result;
    }

    /// <summary>The same socket as a managed Socket (the socket engine), or the failure.</summary>
    public static UpstreamBindResult OpenSocket(AddressFamily family, IPEndPoint? source, uint mark, out Socket? socket)
    {
        UpstreamBindResult result = Open(family, source, mark, nonBlocking: false);
        socket = result.Succeeded ? new Socket(new SafeSocketHandle(result.Fd, ownsHandle: true)) : null;
        return result;
    }

    private static unsafe UpstreamBindResult Prepare(int fd, bool v6, IPEndPoint? source, uint mark)
    {
        int errno;
        if (v6 && (errno = SocketNativeMethods.SetInt(fd, LinuxSocketOptions.SolIpv6, Ipv6V6Only, 0)) != 0)
        {
            // v4-mapped sources and targets need a dual-stack socket; harmless for pure IPv6.
            return UpstreamBindResult.Failure(SocketSetupError.Other, errno, "setsockopt(IPV6_V6ONLY)");
        }

        if (mark != 0 && (errno = SocketNativeMethods.SetInt(fd, LinuxSocketOptions.SolSocket, LinuxSocketOptions.SoMark, unchecked((int)mark))) != 0)
        {
            return UpstreamBindResult.Failure(
                errno is Errno.EPERM or Errno.EACCES ? SocketSetupError.MarkNotPermitted : SocketSetupError.Other,
                errno,
                "setsockopt(SO_MARK)");
        }

        if ((errno = SocketNativeMethods.SetInt(fd, LinuxSocketOptions.SolTcp, LinuxSocketOptions.TcpNoDelay, 1)) != 0)
        {
            return UpstreamBindResult.Failure(SocketSetupError.Other, errno, "setsockopt(TCP_NODELAY)");
        }

        if (source is null)
        {
            return UpstreamBindResult.Success(fd);
        }

        errno = v6
            ? SocketNativeMethods.SetInt(fd, LinuxSocketOptions.SolIpv6, LinuxSocketOptions.Ipv6Transparent, 1)
            : SocketNativeMethods.SetInt(fd, LinuxSocketOptions.SolIp, LinuxSocketOptions.IpTransparent, 1);
        if (errno != 0)
        {
            return UpstreamBindResult.Failure(
                errno is Errno.EPERM or Errno.EACCES ? SocketSetupError.TransparentNotPermitted : SocketSetupError.Other,
                errno,
                v6 ? "setsockopt(IPV6_TRANSPARENT)" : "setsockopt(IP_TRANSPARENT)");
        }

        if (source.Port == 0
            && (errno = SocketNativeMethods.SetInt(fd, LinuxSocketOptions.SolIp, LinuxSocketOptions.IpBindAddressNoPort, 1)) != 0)
        {
            return UpstreamBindResult.Failure(SocketSetupError.Other, errno, "setsockopt(IP_BIND_ADDRESS_NO_PORT)");
        }

        NativeSocketAddress address = NativeSocketAddress.FromIPEndPoint(source);
        if (SocketNativeMethods.Bind(fd, (byte*)&address, (uint)address.Length) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return UpstreamBindResult.Failure(
                errno == Errno.EADDRINUSE ? SocketSetupError.AddressInUse : SocketSetupError.Other,
                errno,
                "bind(" + source + ")");
        }

        return UpstreamBindResult.Success(fd);
    }
}
