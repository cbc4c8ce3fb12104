namespace MmProxy.ProxyProtocol;

/// <summary>What a <see cref="ProxyAddress"/> holds.</summary>
public enum ProxyAddressKind : byte
{
    None,
    IPv4,
    IPv6,
    Unix,
}
