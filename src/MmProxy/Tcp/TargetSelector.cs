using System.Net;
using System.Net.Sockets;

namespace MmProxy.Tcp;

/// <summary>
/// Picks the target by the client's address family (IPv4 → -4, IPv6 → -6) and the address to bind.
/// An IPv4 client sent to an IPv6 target is bound as ::ffff:a.b.c.d; a v4-mapped client counts as
/// IPv4; an IPv6 client cannot be sent to an IPv4 target. Without a client address (LOCAL, UNKNOWN,
/// UNSPEC) the target follows the load balancer's family and nothing is spoofed, so health checks work.
/// </summary>
internal sealed class TargetSelector
{
    private readonly IPEndPoint _targetV4;
    private readonly IPEndPoint _targetV6;

    public TargetSelector(IPEndPoint targetV4, IPEndPoint targetV6)
    {
        ArgumentNullException.ThrowIfNull(targetV4);
        ArgumentNullException.ThrowIfNull(targetV6);
        _targetV4 = targetV4;
        _targetV6 = targetV6;
    }

    /// <param name="client">The header's source address, or null when the header carries none.</param>
    /// <param name="peer">The load balancer's address (used when there is no client address).</param>
    public TargetSelection Select(IPEndPoint? client, IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (client is null)
        {
            return new TargetSelection(IsIPv4(peer.Address) ? _targetV4 : _targetV6, null, null);
        }

        return ForTarget(client, IsIPv4(client.Address) ? _targetV4 : _targetV6);
    }

    /// <summary>The bind address for <paramref name="client"/> towards a given <paramref name="target"/> (a dynamic destination, a TPROXY port).</summary>
    public static TargetSelection ForTarget(IPEndPoint client, IPEndPoint target)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(target);
        bool clientIsV4 = IsIPv4(client.Address);
        bool targetIsV6Socket = target.AddressFamily == AddressFamily.InterNetworkV6;
        if (clientIsV4)
        {
            IPAddress v4 = client.Address.IsIPv4MappedToIPv6 ? client.Address.MapToIPv4() : client.Address;
            IPAddress bind = targetIsV6Socket ? v4.MapToIPv6() : v4;
            return new TargetSelection(target, bind.Equals(client.Address) ? client : new IPEndPoint(bind, client.Port), null);
        }

        if (!targetIsV6Socket)
        {
            return new TargetSelection(target, null,
                $"the IPv6 client {client} cannot connect to the IPv4 target {target} from its own address: give -6 an IPv6 address");
        }

        return new TargetSelection(target, client, null);
    }

    private static bool IsIPv4(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6;
}
