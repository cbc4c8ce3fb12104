namespace MmProxy.Udp;

/// <summary>Outcome of one non-blocking upstream send.</summary>
internal enum UdpSendStatus : byte
{
    Sent,

    /// <summary>The flow expired or was closed meanwhile: look it up again.</summary>
    Closed,

    /// <summary>EAGAIN/ENOBUFS: the socket buffer is full; the datagram is dropped rather than stalling the listener.</summary>
    WouldBlock,

    /// <summary>Any other error (the errno is in the out parameter).</summary>
    Failed,
}
