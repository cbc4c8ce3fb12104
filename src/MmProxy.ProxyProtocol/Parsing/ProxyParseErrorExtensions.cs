namespace MmProxy.ProxyProtocol;

/// <summary>Human-readable reasons (constant strings: no allocation when logging).</summary>
public static class ProxyParseErrorExtensions
{
    public static string ToMessage(this ProxyParseError error) => error switch
    {
        ProxyParseError.None => "no error",
        ProxyParseError.NotProxyProtocol => "not a PROXY protocol header",
        ProxyParseError.V1MissingCrlf => "v1: no CRLF within 107 bytes",
        ProxyParseError.V1CrWithoutLf => "v1: CR not followed by LF",
        ProxyParseError.V1InvalidProtocol => "v1: protocol must be TCP4, TCP6 or UNKNOWN",
        ProxyParseError.V1InvalidSeparator => "v1: fields must be separated by a single space",
        ProxyParseError.V1UnexpectedEndOfLine => "v1: line ends before all fields",
        ProxyParseError.V1InvalidSourceAddress => "v1: invalid source address",
        ProxyParseError.V1InvalidDestinationAddress => "v1: invalid destination address",
        ProxyParseError.V1Tcp4WithIPv6Address => "v1: TCP4 with IPv6 address",
        ProxyParseError.V1Tcp6WithIPv4Address => "v1: TCP6 with IPv4 address",
        ProxyParseError.V1InvalidSourcePort => "v1: invalid source port",
        ProxyParseError.V1InvalidDestinationPort => "v1: invalid destination port",
        ProxyParseError.V1PortLeadingZero => "v1: port with leading zero",
        ProxyParseError.V1PortOutOfRange => "v1: port out of range",
        ProxyParseError.V1UnexpectedField => "v1: unexpected characters after the destination port",
        ProxyParseError.V2UnsupportedVersion => "v2: unsupported version (must be 2)",
        ProxyParseError.V2UnsupportedCommand => "v2: unsupported command (must be LOCAL or PROXY)",
        ProxyParseError.V2UnsupportedFamily => "v2: unsupported address family/transport byte",
        ProxyParseError.V2HeaderTooLarge => "v2: header larger than the configured maximum",
        ProxyParseError.V2LengthTooShortForAddresses => "v2: length shorter than the address block",
        ProxyParseError.TlvOverrun => "v2: TLV overruns the header",
        ProxyParseError.TlvTrailingBytes => "v2: stray bytes after the last TLV",
        ProxyParseError.Crc32CBadLength => "v2: CRC32C TLV length is not 4",
        ProxyParseError.Crc32CDuplicate => "v2: more than one CRC32C TLV",
        ProxyParseError.Crc32CMismatch => "v2: CRC32C mismatch",
        ProxyParseError.UniqueIdTooLong => "v2: UNIQUE_ID TLV longer than 128 bytes",
        ProxyParseError.SslTlvTooShort => "v2: SSL TLV shorter than 5 bytes",
        ProxyParseError.SslSubTlvMalformed => "v2: SSL sub-TLV overruns the SSL TLV or stray bytes",
        _ => "unknown error",
    };
}
