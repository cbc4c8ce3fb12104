using System.Net;
using System.Net.Sockets;

namespace MmProxy.Routing;

/// <summary>
/// Client addresses the checks pretend to be: documentation ranges (RFC 5737, RFC 3849) that no
/// real client has, so a check can never collide with real traffic.
/// </summary>
internal static class SpoofedSources
{
    public static readonly IPAddress V4 = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress V6 = IPAddress.Parse("2001:db8::1");

    /// <summary>The address a client of <paramref name="family"/> has when sent to <paramref name="target"/>'s socket.</summary>
    public static IPAddress For(AddressFamily clientFamily, IPEndPoint target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (clientFamily == AddressFamily.InterNetworkV6)
        {
            return V6;
        }

        return target.AddressFamily == AddressFamily.InterNetworkV6 ? V4.MapToIPv6() : V4;
    }
}
