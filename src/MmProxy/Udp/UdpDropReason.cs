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

    /// <summary>The sender is not in the allowed subnets.</summary>
    NotAllowed,

    /// <summary>The flow table is full (--max-udp-flows): new flows are dropped, existing ones keep going.</summary>
    TableFull,

    /// <summary>The upstream socket for a new flow could not be created, bound or connected.</summary>
    FlowSetupFailed,

    /// <summary>The upstream send would block (EAGAIN/ENOBUFS) or failed.</summary>
    UpstreamSendFailed,
}
