namespace MmProxy.ProxyProtocol;

/// <summary>
/// Known TLV types (spec 2.2.1-2.2.8 and the cloud vendors' registered types). Any other byte value
/// is valid too and is kept raw.
/// </summary>
#pragma warning disable CA1028 // The wire type is one byte.
public enum ProxyTlvType : byte
#pragma warning restore CA1028
{
    Alpn = 0x01,
    Authority = 0x02,
    Crc32C = 0x03,
    Noop = 0x04,
    UniqueId = 0x05,
    Ssl = 0x20,
    SslVersion = 0x21,
    SslCn = 0x22,
    SslCipher = 0x23,
    SslSigAlg = 0x24,
    SslKeyAlg = 0x25,
    SslGroup = 0x26,
    SslSigScheme = 0x27,
    SslClientCert = 0x28,
    Netns = 0x30,
    Gcp = 0xE0,
    Aws = 0xEA,
    Azure = 0xEE,
}
