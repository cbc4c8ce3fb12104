namespace MmProxy.Tcp;

/// <summary>Why the upstream connection failed.</summary>
internal enum UpstreamConnectError
{
    None,

    /// <summary>The socket could not be prepared (transparent, mark, bind).</summary>
    Setup,

    /// <summary>No answer within --connect-timeout.</summary>
    TimedOut,

    /// <summary>RST to our SYN: nothing listens on the target.</summary>
    Refused,

    /// <summary>Another connect error (unreachable, ...).</summary>
    Other,
}
