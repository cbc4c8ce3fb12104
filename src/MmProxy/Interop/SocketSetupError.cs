namespace MmProxy.Interop;

/// <summary>Why a socket could not be prepared; each maps to an operator-facing fix.</summary>
internal enum SocketSetupError
{
    None,

    /// <summary>IP_TRANSPARENT/IPV6_TRANSPARENT refused (EPERM): no CAP_NET_ADMIN.</summary>
    TransparentNotPermitted,

    /// <summary>SO_MARK refused (EPERM): no CAP_NET_ADMIN.</summary>
    MarkNotPermitted,

    /// <summary>The local address/port is taken (EADDRINUSE).</summary>
    AddressInUse,

    /// <summary>Any other setsockopt or bind failure; see the errno.</summary>
    Other,
}
