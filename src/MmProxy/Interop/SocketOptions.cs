namespace MmProxy.Interop;

/// <summary>
/// Socket option levels and names (Linux's numbers, the same on x86-64 and arm64) and int-valued
/// setsockopt/getsockopt on raw descriptors. Each returns the errno (<see cref="Errno.Success"/>: done).
/// </summary>
internal static unsafe class SocketOptions
{
    public const int SolSocket = 1;
    public const int SolIp = 0;
    public const int SolIpv6 = 41;
    public const int SolTcp = 6;
    public const int SolUdp = 17;

    public const int SoReuseAddr = 2;
    public const int SoError = 4;
    public const int SoRcvBuf = 8;
    public const int SoLinger = 13;
    public const int SoReusePort = 15;
    public const int SoRcvBufForce = 33;
    public const int SoMark = 36;
    public const int IpTransparent = 19;
    public const int IpBindAddressNoPort = 24;
    public const int IpLocalPortRange = 51;
    public const int Ipv6V6Only = 26;
    public const int Ipv6Transparent = 75;
    public const int TcpNoDelay = 1;
    public const int TcpInfo = 11;
    public const int UdpSegment = 103;

    public static Errno SetInt(int fd, int level, int name, int value)
    {
        int v = value;
        return LibC.SetSockOpt(fd, level, name, &v, sizeof(int)) == 0 ? Errno.Success : LibC.LastError;
    }

    public static Errno GetInt(int fd, int level, int name, out int value)
    {
        int v = 0;
        uint length = sizeof(int);
        int rc = LibC.GetSockOpt(fd, level, name, &v, &length);
        value = v;
        return rc == 0 ? Errno.Success : LibC.LastError;
    }

    /// <summary>IP_TRANSPARENT (IPv4 socket) or IPV6_TRANSPARENT (IPv6 socket, which also covers v4-mapped binds).</summary>
    public static Errno SetTransparent(int fd, bool ipv6) =>
        ipv6 ? SetInt(fd, SolIpv6, Ipv6Transparent, 1) : SetInt(fd, SolIp, IpTransparent, 1);

    public static Errno SetMark(int fd, uint mark) => SetInt(fd, SolSocket, SoMark, unchecked((int)mark));

    /// <summary>SO_LINGER {on, 0}: the next close sends RST instead of FIN.</summary>
    public static Errno SetLingerZero(int fd)
    {
        int* linger = stackalloc int[2];
        linger[0] = 1;
        linger[1] = 0;
        return LibC.SetSockOpt(fd, SolSocket, SoLinger, linger, 2 * sizeof(int)) == 0 ? Errno.Success : LibC.LastError;
    }
}
