using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// Identifies a flow: the load balancer's endpoint (the datagram's sender) and the client endpoint
/// its header names (<see cref="ProxyAddress.None"/> for LOCAL). Different clients behind one load
/// balancer socket are different flows. A plain struct: lookups allocate nothing.
/// </summary>
internal readonly struct UdpFlowKey(ProxyAddress balancer, ProxyAddress client) : IEquatable<UdpFlowKey>
{
    public ProxyAddress Balancer { get; } = balancer;

    public ProxyAddress Client { get; } = client;

    /// <summary>LOCAL datagrams: forwarded unspoofed, one flow per load balancer endpoint.</summary>
    public bool IsLocal => Client.Kind == ProxyAddressKind.None;

    public bool Equals(UdpFlowKey other) => Balancer.Equals(other.Balancer) && Client.Equals(other.Client);

    public override bool Equals(object? obj) => obj is UdpFlowKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Balancer, Client);

    public static bool operator ==(UdpFlowKey left, UdpFlowKey right) => left.Equals(right);

    public static bool operator !=(UdpFlowKey left, UdpFlowKey right) => !left.Equals(right);

    public override string ToString() => IsLocal ? $"{Balancer} (LOCAL)" : $"{Balancer} client {Client}";
}
