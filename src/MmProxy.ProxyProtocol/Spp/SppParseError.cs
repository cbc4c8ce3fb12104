namespace MmProxy.ProxyProtocol;

/// <summary>Why a datagram does not start with an SPP header.</summary>
public enum SppParseError : byte
{
    None,

    /// <summary>Shorter than the 38-byte header.</summary>
    TooShort,

    /// <summary>The first two bytes are not 0x56EC.</summary>
    BadMagic,
}
