namespace MmProxy.Configuration;

/// <summary>How a UDP listener's load balancer carries the client address (<c>--udp-header</c>).</summary>
internal enum UdpHeaderFormat : byte
{
    /// <summary>A PROXY v2 header on every datagram (the spec; dnsdist, caddy-l4, udppp).</summary>
    V2,

    /// <summary>A PROXY v2 header on the first datagram of a session only (Cloudflare Spectrum, frp).</summary>
    V2First,

    /// <summary>A 38-byte Simple Proxy Protocol header on every datagram and every reply (Spectrum, Tencent EdgeOne).</summary>
    Spp,
}
