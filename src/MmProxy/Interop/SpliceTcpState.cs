using System.Net.Sockets;

namespace MmProxy.Interop;

/// <summary>The kernel's TCP state of a socket (tcpi_state, the first byte of struct tcp_info).</summary>
internal static class SpliceTcpState
{
    private const int TcpInfo = 11;

    /// <summary>TCP_CLOSE: after a reset (or after both FINs when we closed second).</summary>
    public const int Close = 7;

    /// <summary>The state, or -1 when it cannot be read (socket closed).</summary>
    public static int Get(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        try
        {
            // A 4-byte read is enough: the kernel copies min(optlen, sizeof(tcp_info)).
            return LinuxSocketOptions.GetInt(socket, LinuxSocketOptions.SolTcp, TcpInfo, out int value) == 0 ? value & 0xFF : -1;
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }
}
