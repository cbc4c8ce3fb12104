using System.Net;
using System.Net.Sockets;

namespace MmProxy.Interop;

/// <summary>
/// The one builder of spoofing sockets, used by the TCP and UDP loops and by <c>mmproxy check</c>:
/// socket() (non-blocking, close-on-exec), dual-stack for IPv6, SO_MARK, TCP_NODELAY for TCP,
/// IP_TRANSPARENT / IPV6_TRANSPARENT, then bind to the client's address. The caller connects.
/// <para>
/// A TCP client's port is reserved at connect time where the kernel allows it (Linux 6.3+, port
/// inside ip_local_port_range): IP_BIND_ADDRESS_NO_PORT + IP_LOCAL_PORT_RANGE = [port, port]. A plain
/// bind() to the port instead makes the port's bind bucket bind-owned for the whole namespace
/// until the connection's TIME_WAIT ends, and connect() then skips that port for every ephemeral
/// choice on the host: measured here, 19,000 such binds made each outgoing connect() of another
/// process 2.4x as expensive (39 → 85–102 µs of system time). Reserved at connect, the port is
/// shared per 4-tuple like any ephemeral port. The caller checks the result:
/// <see cref="SocketSetupResult.PortAtConnect"/> → on EADDRNOTAVAIL from connect, or when
/// <see cref="HasLocalPort"/> is false after it, open again with <c>plainBind: true</c>.
/// Port 0 (no client port, or a fallback) binds with IP_BIND_ADDRESS_NO_PORT, so the kernel picks
/// the port per 4-tuple at connect. UDP binds the client's port as it is.
/// </para>
/// </summary>
internal static class TransparentSocket
{
    private static volatile bool _portRangeUnsupported;

    /// <param name="family">The target's family; an IPv4 source on an IPv6 socket must be v4-mapped.</param>
    /// <param name="type">Stream (TCP) or Dgram (UDP).</param>
    /// <param name="source">The address to bind, or null to leave binding to connect (no spoofing).</param>
    /// <param name="mark">SO_MARK; 0 = none.</param>
    /// <param name="plainBind">TCP: bind the port with bind() (after the connect-time reservation failed).</param>
    public static SocketSetupResult Open(AddressFamily family, SocketType type, IPEndPoint? source, uint mark, bool plainBind = false)
    {
        SysResult created = RawSocket.Create(family, type);
        if (!created.Succeeded)
        {
            // EMFILE/ENFILE/ENOBUFS: an expected failure under load, reported as a value like the others.
            return SocketSetupResult.Failure(SocketSetupError.Other, created.Error, "socket()");
        }

        SocketSetupResult result = Prepare(created.Int, family == AddressFamily.InterNetworkV6, type == SocketType.Stream, source, mark, plainBind);
        if (!result.Succeeded)
        {
            _ = Descriptor.Close(created.Int);
        }

        return result;
    }

    /// <summary>Whether IP_TRANSPARENT (or IPV6_TRANSPARENT) is allowed here: EPERM without CAP_NET_ADMIN; EAFNOSUPPORT without IPv6.</summary>
    public static Errno Probe(AddressFamily family)
    {
        SysResult created = RawSocket.Create(family, SocketType.Stream);
        if (!created.Succeeded)
        {
            return created.Error;
        }

        Errno errno = SocketOptions.SetTransparent(created.Int, family == AddressFamily.InterNetworkV6);
        _ = Descriptor.Close(created.Int);
        return errno;
    }

    /// <summary>Whether SO_MARK is allowed here (EPERM without CAP_NET_ADMIN).</summary>
    public static Errno ProbeMark(uint mark)
    {
        SysResult created = RawSocket.Create(AddressFamily.InterNetwork, SocketType.Stream);
        if (!created.Succeeded)
        {
            return created.Error;
        }

        Errno errno = SocketOptions.SetMark(created.Int, mark);
        _ = Descriptor.Close(created.Int);
        return errno;
    }

    /// <summary>After a connect-time reservation: did the kernel give the socket <paramref name="port"/>?</summary>
    public static bool HasLocalPort(int fd, int port) => RawSocket.TryGetLocalAddress(fd, out NativeSocketAddress bound) && bound.Port == port;

    private static SocketSetupResult Prepare(int fd, bool v6, bool stream, IPEndPoint? source, uint mark, bool plainBind)
    {
        Errno errno;
        if (v6 && (errno = SocketOptions.SetInt(fd, SocketOptions.SolIpv6, SocketOptions.Ipv6V6Only, 0)) != Errno.Success)
        {
            // v4-mapped sources and targets need a dual-stack socket; harmless for pure IPv6.
            return SocketSetupResult.Failure(SocketSetupError.Other, errno, "setsockopt(IPV6_V6ONLY)");
        }

        if (mark != 0 && (errno = SocketOptions.SetMark(fd, mark)) != Errno.Success)
        {
            return SocketSetupResult.Failure(NotPermitted(errno) ? SocketSetupError.MarkNotPermitted : SocketSetupError.Other, errno, "setsockopt(SO_MARK)");
        }

        if (stream && (errno = SocketOptions.SetInt(fd, SocketOptions.SolTcp, SocketOptions.TcpNoDelay, 1)) != Errno.Success)
        {
            return SocketSetupResult.Failure(SocketSetupError.Other, errno, "setsockopt(TCP_NODELAY)");
        }

        if (source is null)
        {
            return SocketSetupResult.Success(fd);
        }

        if ((errno = SocketOptions.SetTransparent(fd, v6)) != Errno.Success)
        {
            return SocketSetupResult.Failure(
                NotPermitted(errno) ? SocketSetupError.TransparentNotPermitted : SocketSetupError.Other,
                errno,
                v6 ? "setsockopt(IPV6_TRANSPARENT)" : "setsockopt(IP_TRANSPARENT)");
        }

        bool portAtConnect = stream && source.Port != 0 && !plainBind && !_portRangeUnsupported && LocalPortRange.Contains(source.Port)
            && ReservePortAtConnect(fd, source.Port);
        if (stream && (source.Port == 0 || portAtConnect)
            && (errno = SocketOptions.SetInt(fd, SocketOptions.SolIp, SocketOptions.IpBindAddressNoPort, 1)) != Errno.Success)
        {
            return SocketSetupResult.Failure(SocketSetupError.Other, errno, "setsockopt(IP_BIND_ADDRESS_NO_PORT)");
        }

        NativeSocketAddress address = NativeSocketAddress.FromIPEndPoint(portAtConnect ? new IPEndPoint(source.Address, 0) : source);
        if ((errno = RawSocket.Bind(fd, address)) != Errno.Success)
        {
            return SocketSetupResult.Failure(
                errno == Errno.EADDRINUSE ? SocketSetupError.AddressInUse : SocketSetupError.Other,
                errno,
                "bind(" + source + ")");
        }

        return SocketSetupResult.Success(fd) with { PortAtConnect = portAtConnect };
    }

    private static bool NotPermitted(Errno errno) => errno is Errno.EPERM or Errno.EACCES;

    /// <summary>IP_LOCAL_PORT_RANGE = [port, port]; false (and never again) where the kernel lacks it.</summary>
    private static bool ReservePortAtConnect(int fd, int port)
    {
        Errno errno = SocketOptions.SetInt(fd, SocketOptions.SolIp, SocketOptions.IpLocalPortRange, port | (port << 16));
        if (errno == Errno.Success)
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
