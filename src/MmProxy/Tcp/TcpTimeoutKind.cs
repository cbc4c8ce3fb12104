namespace MmProxy.Tcp;

/// <summary>Which timeout of a connection came due.</summary>
internal enum TcpTimeoutKind
{
    /// <summary>--header-timeout: no complete PROXY header in time.</summary>
    Header,

    /// <summary>--connect-timeout: the upstream did not answer in time.</summary>
    Connect,

    /// <summary>--idle-timeout: neither side sent anything for that long.</summary>
    Idle,
}
