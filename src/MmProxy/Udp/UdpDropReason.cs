namespace MmProxy.Udp;

/// <summary>Why a datagram was not forwarded. Each has its own counter.</summary>
internal enum UdpDropReason : byte
{
    None,

    /// <summary>No valid PROXY header (garbage, bad signature, bad TLVs, …).</summary>
    InvalidHeader,

    /// <summary>The datagram ends inside the header (a datagram cannot be continued).</summary>
    TruncatedHeader,

    /// <summary>A v1 (text) header: v1 has no datagram families.</summary>
    Version1,

    /// <summary>A v2 PROXY header with a STREAM family (TCP4/TCP6/UNIX stream).</summary>
    StreamFamily,

    /// <summary>A v2 PROXY header with UNSPEC or UNIX datagram: no IP client to spoof.</summary>
    UnsupportedFamily,

    /// <summary>v2-first: a headerless datagram from an endpoint that has no session (its header never came, or the session expired).</summary>
    NoSession,

    /// <summary>spp: shorter than the 38-byte SPP header.</summary>
    SppTooShort,

    /// <summary>spp: the datagram does not start with the SPP magic 0x56EC.</summary>
    SppBadMagic,

    /// <summary>spp: a PROXY v2 header came instead (the load balancer sends v2: use --udp-header v2 or v2-first).</summary>
    V2OnSppListener,

    /// <summary>The sender is not in the allowed subnets.</summary>
    NotAllowed,

    /// <summary>The flow table is full (--max-udp-flows): new flows are dropped, existing ones keep going.</summary>
    TableFull,

    /// <summary>The upstream socket for a new flow could not be created, bound or connected.</summary>
    FlowSetupFailed,

    /// <summary>The upstream send would block (EAGAIN/ENOBUFS) or failed.</summary>
    UpstreamSendFailed,
}
