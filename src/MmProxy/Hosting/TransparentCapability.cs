using System.Net.Sockets;
using MmProxy.Interop;

namespace MmProxy.Hosting;

/// <summary>
/// Fails fast when IP_TRANSPARENT is refused, instead of failing every connection later (the host
/// checks it at start-up, before it binds a port).
/// </summary>
internal static class TransparentCapability
{
    public static string? Check()
    {
        Errno errno = TransparentSocket.Probe(AddressFamily.InterNetwork);
        if (errno == Errno.Success)
        {
            return null;
        }

        return errno is Errno.EPERM or Errno.EACCES
            ? $"setsockopt(IP_TRANSPARENT) failed: {errno.Describe()}: run as root or grant CAP_NET_ADMIN (for example setcap cap_net_admin+ep on the binary, or AmbientCapabilities=CAP_NET_ADMIN in the systemd unit)"
            : $"setsockopt(IP_TRANSPARENT) failed: {errno.Describe()}";
    }
}
