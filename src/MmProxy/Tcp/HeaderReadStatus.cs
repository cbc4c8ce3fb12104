namespace MmProxy.Tcp;

/// <summary>How reading the PROXY header ended.</summary>
internal enum HeaderReadStatus
{
    Complete,

    /// <summary>The parser rejected the bytes (see the parse error).</summary>
    Invalid,

    /// <summary>More than --max-header-size bytes without a complete header.</summary>
    TooLarge,

    /// <summary>No complete header within --header-timeout.</summary>
    TimedOut,

    /// <summary>The peer closed (FIN) before the header was complete.</summary>
    Closed,

    /// <summary>The socket failed (reset) before the header was complete.</summary>
    Failed,
}
