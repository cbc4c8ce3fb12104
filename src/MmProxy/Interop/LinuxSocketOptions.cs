using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// Linux socket options .NET does not name. Each setter returns 0 or the errno, read right after
/// the call. Never use SocketOptionName.ReuseAddress: on Linux it sets SO_REUSEPORT too.
/// </summary>
internal static class LinuxSocketOptions
{
    public const int SolSocket = 1;
    public const int SolIp = 0;
    public const int SolIpv6 = 41;
    public const int SolTcp = 6;

    public const int SoReuseAddr = 2;
    public const int SoReusePort = 15;
    public const int SoMark = 36;
    public const int IpTransparent = 19;
    public const int IpBindAddressNoPort = 24;
    public const int Ipv6Transparent = 75;
    public const int TcpNoDelay = 1;

    public static int SetInt(Socket socket, int level, int optionName, int value)
    {
        ArgumentNullException.ThrowIfNull(socket);
        int v = value;
        int rc = NativeMethods.SetSockOpt(socket.SafeHandle, level, optionName, ref v, sizeof(int));
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public static int GetInt(Socket socket, int level, int optionName, out int value)
    {
        ArgumentNullException.ThrowIfNull(socket);
        value = 0;
        uint length = sizeof(int);
        int rc = NativeMethods.GetSockOpt(socket.SafeHandle, level, optionName, ref value, ref length);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>IP_TRANSPARENT (IPv4) or IPV6_TRANSPARENT (IPv6, also covers v4-mapped binds).</summary>
    public static int SetTransparent(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return socket.AddressFamily == AddressFamily.InterNetworkV6
            ? SetInt(socket, SolIpv6, Ipv6Transparent, 1)
            : SetInt(socket, SolIp, IpTransparent, 1);
    }

    public static int SetMark(Socket socket, uint mark) => SetInt(socket, SolSocket, SoMark, unchecked((int)mark));

    public static int SetReusePort(Socket socket) => SetInt(socket, SolSocket, SoReusePort, 1);

    /// <summary>SO_REUSEADDR alone (rebinding a listen port with connections in TIME_WAIT).</summary>
    public static int SetReuseAddress(Socket socket) => SetInt(socket, SolSocket, SoReuseAddr, 1);

    /// <summary>Defers the ephemeral port choice to connect(), so a port-0 bind does not use up ports.</summary>
    public static int SetBindAddressNoPort(Socket socket) => SetInt(socket, SolIp, IpBindAddressNoPort, 1);

    public static int SetNoDelay(Socket socket) => SetInt(socket, SolTcp, TcpNoDelay, 1);
}
