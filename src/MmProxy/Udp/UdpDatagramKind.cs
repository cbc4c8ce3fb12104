namespace MmProxy.Udp;

/// <summary>What to do with a received datagram.</summary>
internal enum UdpDatagramKind : byte
{
    /// <summary>A header (v2 with a DGRAM family, or SPP) naming a client: forward spoofed from the client endpoint.</summary>
    Proxy,

    /// <summary>v2 LOCAL: forward unspoofed on a flow keyed by the load balancer endpoint.</summary>
    Local,

    /// <summary>v2-first: no header; the payload belongs to the session of the load balancer endpoint, if it has one.</summary>
    Headerless,

    /// <summary>Not forwarded; see <see cref="UdpDropReason"/>.</summary>
    Dropped,
}
