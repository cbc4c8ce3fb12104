using System.Net;
using System.Net.Sockets;

namespace MmProxy.Interop;

/// <summary>
/// Creates a TCP or UDP socket that can bind a foreign (client) address: IP_TRANSPARENT or
/// IPV6_TRANSPARENT, optional SO_MARK, bound to the given source. A source port of 0 binds with
/// IP_BIND_ADDRESS_NO_PORT so the kernel picks the port at connect time (per 4-tuple, not per address).
/// </summary>
internal static class TransparentSocket
{
    /// <param name="family">The socket's family (the target's); an IPv4 source on an IPv6 socket must be v4-mapped.</param>
    /// <param name="type">Stream or Dgram.</param>
    /// <param name="protocol">Tcp or Udp.</param>
    /// <param name="source">The address to bind, or null to leave binding to connect (no spoofing).</param>
    /// <param name="mark">SO_MARK; 0 = none.</param>
    public static SocketSetupResult Create(AddressFamily family, SocketType type, ProtocolType protocol, IPEndPoint? source, uint mark)
    {
        Socket socket;
        try
        {
            socket = new Socket(family, type, protocol);
        }
        catch (SocketException ex)
        {
            // EMFILE/ENFILE/ENOBUFS: an expected failure under load, reported as a value like the others.
            int errno = Errno.FromSocketError(ex.SocketErrorCode);
            return SocketSetupResult.Failure(SocketSetupError.Other, errno == 0 ? ex.ErrorCode : errno, "socket()");
        }

        try
        {
            SocketSetupResult result = Prepare(socket, source, mark);
            if (!result.Succeeded)
            {
                socket.Dispose();
            }

            return result;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static SocketSetupResult Prepare(Socket socket, IPEndPoint? source, uint mark)
    {
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // v4-mapped sources and targets need a dual-stack socket; harmless for pure IPv6.
            socket.DualMode = true;
        }

        int errno;
        if (mark != 0 && (errno = LinuxSocketOptions.SetMark(socket, mark)) != 0)
        {
            return SocketSetupResult.Failure(
                errno is Errno.EPERM or Errno.EACCES ? SocketSetupError.MarkNotPermitted : SocketSetupError.Other,
                errno,
                "setsockopt(SO_MARK)");
        }

        if (source is null)
        {
            return SocketSetupResult.Success(socket);
        }

        if ((errno = LinuxSocketOptions.SetTransparent(socket)) != 0)
        {
            return SocketSetupResult.Failure(
                errno is Errno.EPERM or Errno.EACCES ? SocketSetupError.TransparentNotPermitted : SocketSetupError.Other,
                errno,
                socket.AddressFamily == AddressFamily.InterNetworkV6 ? "setsockopt(IPV6_TRANSPARENT)" : "setsockopt(IP_TRANSPARENT)");
        }

        if (source.Port == 0 && socket.SocketType == SocketType.Stream
            && (errno = LinuxSocketOptions.SetBindAddressNoPort(socket)) != 0)
        {
            return SocketSetupResult.Failure(SocketSetupError.Other, errno, "setsockopt(IP_BIND_ADDRESS_NO_PORT)");
        }

        try
        {
            socket.Bind(source);
        }
        catch (SocketException ex)
        {
            errno = Errno.FromSocketError(ex.SocketErrorCode);
            return SocketSetupResult.Failure(
                ex.SocketErrorCode == SocketError.AddressAlreadyInUse ? SocketSetupError.AddressInUse : SocketSetupError.Other,
                errno == 0 ? ex.ErrorCode : errno,
                "bind(" + source + ")");
        }

        return SocketSetupResult.Success(socket);
    }
}
