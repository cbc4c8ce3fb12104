namespace MmProxy.Udp;

/// <summary>What to do with a received datagram.</summary>
internal enum UdpDatagramKind : byte
{
    /// <summary>v2 PROXY with a DGRAM family: forward spoofed from the client endpoint.</summary>
    Proxy,

    /// <summary>v2 LOCAL: forward unspoofed on a flow keyed by the load balancer endpoint.</summary>
    Local,

    /// <summary>Not forwarded; see <see cref="UdpDropReason"/>.</summary>
    Dropped,
}
