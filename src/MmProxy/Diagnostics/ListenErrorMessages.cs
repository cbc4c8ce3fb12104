using System.Net;
using MmProxy.Interop;

namespace MmProxy.Diagnostics;

/// <summary>Why a listening socket could not be opened, with the fix: one wording for TCP and UDP.</summary>
internal static class ListenErrorMessages
{
    /// <param name="endPoint">The address that could not be bound.</param>
    /// <param name="udp">UDP ("/udp" after the address, `ss -lunp`) or TCP (`ss -ltnp`).</param>
    /// <param name="failure">What failed.</param>
    public static string Describe(IPEndPoint endPoint, bool udp, SocketSetupResult failure)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        string where = udp ? $"{endPoint}/udp" : endPoint.ToString();
        return failure.Errno switch
        {
            Errno.EADDRINUSE =>
                $"cannot listen on {where}: the address is already in use: another process holds it (see `ss -l{(udp ? "u" : "t")}np 'sport = :{endPoint.Port}'`)",
            Errno.EADDRNOTAVAIL =>
                $"cannot listen on {where}: the address is not assigned to any interface of this host",
            Errno.EACCES =>
                $"cannot listen on {where}: permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE",
            _ when failure.Step == "bind()" => $"cannot listen on {where}: {failure.Errno.Describe()}",
            _ => $"cannot prepare the listening socket for {where}: {failure.Step} failed: {failure.Errno.Describe()}",
        };
    }
}
