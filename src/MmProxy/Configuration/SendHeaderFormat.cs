namespace MmProxy.Configuration;

/// <summary>The header <c>mmproxy send</c> writes (<c>--header</c>).</summary>
internal enum SendHeaderFormat : byte
{
    /// <summary>PROXY v1 text (TCP only).</summary>
    V1,

    /// <summary>PROXY v2 binary: TCP4/TCP6 on a connection, UDP4/UDP6 on every datagram.</summary>
    V2,

    /// <summary>Simple Proxy Protocol (UDP only): 38 bytes on every datagram, removed from the replies.</summary>
    Spp,
}
