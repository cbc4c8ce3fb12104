using System.Net;
using System.Net.Sockets;

namespace MmProxy.Diagnostics;

/// <summary>Why a listening socket could not be opened, with the fix: one wording for TCP and UDP.</summary>
internal static class ListenErrorMessages
{
    /// <param name="endPoint">The address that could not be bound.</param>
    /// <param name="udp">UDP ("/udp" after the address, `ss -lunp`) or TCP (`ss -ltnp`).</param>
    /// <param name="error">The bind error.</param>
    /// <param name="otherwise">The description of any other error.</param>
    public static string Describe(IPEndPoint endPoint, bool udp, SocketError error, string otherwise)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        string where = udp ? $"{endPoint}/udp" : endPoint.ToString();
        return error switch
        {
            SocketError.AddressAlreadyInUse =>
                $"cannot listen on {where}: the address is already in use: another process holds it (see `ss -l{(udp ? "u" : "t")}np 'sport = :{endPoint.Port}'`)",
            SocketError.AddressNotAvailable =>
                $"cannot listen on {where}: the address is not assigned to any interface of this host",
            SocketError.AccessDenied =>
                $"cannot listen on {where}: permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE",
            _ => $"cannot listen on {where}: {otherwise}",
        };
    }
}
