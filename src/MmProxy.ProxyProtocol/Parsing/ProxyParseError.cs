namespace MmProxy.ProxyProtocol;

/// <summary>Why a header is invalid. <see cref="ProxyParseErrorExtensions.ToMessage"/> gives the text.</summary>
public enum ProxyParseError : byte
{
    None,
    NotProxyProtocol,

    // v1 (spec 2.1)
    V1MissingCrlf,
    V1CrWithoutLf,
    V1InvalidProtocol,
    V1InvalidSeparator,
    V1UnexpectedEndOfLine,
    V1InvalidSourceAddress,
    V1InvalidDestinationAddress,
    V1Tcp4WithIPv6Address,
    V1Tcp6WithIPv4Address,
    V1InvalidSourcePort,
    V1InvalidDestinationPort,
    V1PortLeadingZero,
    V1PortOutOfRange,
    V1UnexpectedField,

    // v2 (spec 2.2)
    V2UnsupportedVersion,
    V2UnsupportedCommand,
    V2UnsupportedFamily,
    V2HeaderTooLarge,
    V2LengthTooShortForAddresses,

    // v2 TLVs (spec 2.2.1-2.2.8)
    TlvOverrun,
    TlvTrailingBytes,
    Crc32CBadLength,
    Crc32CDuplicate,
    Crc32CMismatch,
    UniqueIdTooLong,
    SslTlvTooShort,
    SslSubTlvMalformed,
}
