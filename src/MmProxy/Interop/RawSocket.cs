using System.Net;
using System.Net.Sockets;

namespace MmProxy.Interop;

/// <summary>
/// Socket calls on raw, non-blocking descriptors that the event loops own (never handed to the
/// runtime's socket engine, whose epoll thread would be woken for every event on them). Addresses
/// are <see cref="NativeSocketAddress"/> values; results are <see cref="SysResult"/> or the errno.
/// </summary>
internal static unsafe class RawSocket
{
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    private const int SockStream = 1;
    private const int SockDgram = 2;
    private const int SockNonBlock = 0x800;
    private const int SockCloExec = 0x80000;
    private const int ShutWr = 1;
    private const int SendFlags = 0x4000 | 0x40; // MSG_NOSIGNAL | MSG_DONTWAIT

    /// <summary>TCP_CLOSE, as tcpi_state reports it after a reset (or after both FINs when we closed second).</summary>
    public const int TcpStateClose = 7;

    /// <summary>A new non-blocking, close-on-exec socket.</summary>
    public static SysResult Create(AddressFamily family, SocketType type) =>
        SysResult.From(LibC.Socket(
            family == AddressFamily.InterNetworkV6 ? AfInet6 : AfInet,
            (type == SocketType.Dgram ? SockDgram : SockStream) | SockNonBlock | SockCloExec,
            0));

    public static Errno Bind(int fd, NativeSocketAddress address) =>
        LibC.Bind(fd, (byte*)&address, (uint)address.Length) == 0 ? Errno.Success : LibC.LastError;

    public static Errno Listen(int fd, int backlog) => LibC.Listen(fd, backlog) == 0 ? Errno.Success : LibC.LastError;

    /// <summary>connect(2); EINPROGRESS for a TCP connect that completes later (EPOLLOUT).</summary>
    public static Errno Connect(int fd, NativeSocketAddress address) =>
        LibC.Connect(fd, (byte*)&address, (uint)address.Length) == 0 ? Errno.Success : LibC.LastError;

    /// <summary>accept4 with a non-blocking, close-on-exec result; the peer's address in <paramref name="peer"/>.</summary>
    public static SysResult Accept(int listenFd, out NativeSocketAddress peer)
    {
        NativeSocketAddress address = default;
        uint length = NativeSocketAddress.Capacity;
        SysResult result = SysResult.From(LibC.Accept4(listenFd, (byte*)&address, &length, SockNonBlock | SockCloExec));
        address.Length = result.Succeeded ? (int)length : 0;
        peer = address;
        return result;
    }

    /// <summary>getsockname(2); false (and an empty address) when it fails.</summary>
    public static bool TryGetLocalAddress(int fd, out NativeSocketAddress local)
    {
        NativeSocketAddress address = default;
        uint length = NativeSocketAddress.Capacity;
        bool ok = LibC.GetSockName(fd, (byte*)&address, &length) == 0;
        address.Length = ok ? (int)length : 0;
        local = address;
        return ok;
    }

    /// <summary>The address a socket is bound to (logs; the port the kernel chose for port 0), or null.</summary>
    public static IPEndPoint? LocalEndPoint(int fd) => TryGetLocalAddress(fd, out NativeSocketAddress local) ? local.ToIPEndPoint() : null;

    public static SysResult Receive(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return SysResult.From(LibC.Recv(fd, p, (nuint)buffer.Length, 0));
        }
    }

    /// <summary>send(2) that never blocks and never raises SIGPIPE.</summary>
    public static SysResult Send(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return SysResult.From(LibC.Send(fd, p, (nuint)buffer.Length, SendFlags));
        }
    }

    public static Errno ShutdownWrite(int fd) => LibC.Shutdown(fd, ShutWr) == 0 ? Errno.Success : LibC.LastError;

    /// <summary>SO_ERROR: the socket's pending error (and clears it); <see cref="Errno.Success"/> when there is none.</summary>
    public static Errno PendingError(int fd)
    {
        Errno errno = SocketOptions.GetInt(fd, SocketOptions.SolSocket, SocketOptions.SoError, out int error);
        return errno != Errno.Success ? errno : (Errno)error;
    }

    /// <summary>The kernel's TCP state (tcpi_state, the first byte of struct tcp_info), or -1 when it cannot be read.</summary>
    public static int TcpState(int fd) =>
        // A 4-byte read is enough: the kernel copies min(optlen, sizeof(tcp_info)).
        SocketOptions.GetInt(fd, SocketOptions.SolTcp, SocketOptions.TcpInfo, out int info) == Errno.Success ? info & 0xFF : -1;

    /// <summary>Closes the descriptor; with <paramref name="reset"/>, with RST instead of FIN (SO_LINGER 0).</summary>
    public static void Close(int fd, bool reset)
    {
        if (reset)
        {
            _ = SocketOptions.SetLingerZero(fd);
        }

        _ = Descriptor.Close(fd);
    }
}
