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
/// <para>
/// The client's port is reserved at connect time where the kernel allows it (Linux 6.3+, port inside
/// ip_local_port_range): IP_BIND_ADDRESS_NO_PORT + IP_LOCAL_PORT_RANGE = [port, port]. A plain
/// bind() to the port instead makes the port's bind bucket bind-owned for the whole namespace
/// until the connection's TIME_WAIT ends, and connect() then skips that port for every ephemeral
/// choice on the host: measured here, 19,000 such binds made each outgoing connect() of another
/// process 2.4x as expensive (39 → 85–102 µs of system time). Reserved at connect, the port is
/// shared per 4-tuple like any ephemeral port. The caller checks the result:
/// <see cref="UpstreamBindResult.PortAtConnect"/> → on EADDRNOTAVAIL from connect, or when
/// <see cref="HasLocalPort"/> is false after it, open again with <c>plainBind: true</c>.
/// </para>
/// </summary>
internal static class UpstreamBinder
{
    private const int Ipv6V6Only = 26;
    private const int IpLocalPortRange = 51;
    private static volatile bool _portRangeUnsupported;

    /// <param name="family">The target's family; an IPv4 source on an IPv6 socket must be v4-mapped.</param>
    /// <param name="source">The address to bind, or null to leave binding to connect (no spoofing).</param>
    /// <param name="mark">SO_MARK; 0 = none.</param>
    /// <param name="nonBlocking">SOCK_NONBLOCK (the event loop); the socket engine sets it itself.</param>
    /// <param name="plainBind">Bind the port with bind() (after the connect-time reservation failed).</param>
    public static unsafe UpstreamBindResult Open(AddressFamily family, IPEndPoint? source, uint mark, bool nonBlocking, bool plainBind = false)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        int type = SocketNativeMethods.SockStream | SocketNativeMethods.SockCloExec | (nonBlocking ? SocketNativeMethods.SockNonBlock : 0);
        int fd = SocketNativeMethods.Socket(v6 ? SocketNativeMethods.AfInet6 : SocketNativeMethods.AfInet, type, 0);
        if (fd < 0)
        {
            // EMFILE/ENFILE/ENOBUFS: an expected failure under load, reported as a value like the others.
            return UpstreamBindResult.Failure(SocketSetupError.Other, Marshal.GetLastPInvokeError(), "socket()");
        }

        UpstreamBindResult result = Prepare(fd, v6, source, mark, plainBind);
        if (!result.Succeeded)
        {
            _ = DescriptorNativeMethods.Close(fd);
        }

        return result;
    }

    /// <summary>The same socket as a managed Socket (the socket engine), or the failure.</summary>
    public static UpstreamBindResult OpenSocket(AddressFamily family, IPEndPoint? source, uint mark, out Socket? socket, bool plainBind = false)
    {
        UpstreamBindResult result = Open(family, source, mark, nonBlocking: false, plainBind);
        socket = result.Succeeded ? new Socket(new SafeSocketHandle(result.Fd, ownsHandle: true)) : null;
        return result;
    }

    /// <summary>After a connect-time reservation: did the kernel give the socket <paramref name="port"/>?</summary>
    public static unsafe bool HasLocalPort(int fd, int port)
    {
        var bound = default(NativeSocketAddress);
        uint length = NativeSocketAddress.Capacity;
        if (SocketNativeMethods.GetSockName(fd, (byte*)&bound, &length) != 0)
        {
            return false;
        }

        bound.Length = (int)length;
        return bound.Port == port;
    }

    private static unsafe UpstreamBindResult Prepare(int fd, bool v6, IPEndPoint? source, uint mark, bool plainBind)
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

        bool portAtConnect = source.Port != 0 && !plainBind && !_portRangeUnsupported && LocalPortRange.Contains(source.Port)
            && ReservePortAtConnect(fd, source.Port);
        if ((source.Port == 0 || portAtConnect)
            && (errno = SocketNativeMethods.SetInt(fd, LinuxSocketOptions.SolIp, LinuxSocketOptions.IpBindAddressNoPort, 1)) != 0)
        {
            return UpstreamBindResult.Failure(SocketSetupError.Other, errno, "setsockopt(IP_BIND_ADDRESS_NO_PORT)");
        }

        NativeSocketAddress address = NativeSocketAddress.FromIPEndPoint(portAtConnect ? new IPEndPoint(source.Address, 0) : source);
        if (SocketNativeMethods.Bind(fd, (byte*)&address, (uint)address.Length) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return UpstreamBindResult.Failure(
                errno == Errno.EADDRINUSE ? SocketSetupError.AddressInUse : SocketSetupError.Other,
                errno,
                "bind(" + source + ")");
        }

        return portAtConnect ? UpstreamBindResult.Success(fd) with { PortAtConnect = true } : UpstreamBindResult.Success(fd);
    }

    /// <summary>IP_LOCAL_PORT_RANGE = [port, port]; false (and never again) where the kernel lacks it.</summary>
    private static bool ReservePortAtConnect(int fd, int port)
    {
        int range = port | (port << 16);
        int errno = SocketNativeMethods.SetInt(fd, LinuxSocketOptions.SolIp, IpLocalPortRange, range);
        if (errno == 0)
        {
            return true;
        }

        if (errno is Errno.ENOPROTOOPT or Errno.EINVAL)
        {
            _portRangeUnsupported = true;
        }

        return false;
    }
}
