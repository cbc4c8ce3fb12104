namespace MmProxy.ProxyProtocol;

/// <summary>v2 command (low nibble of byte 13). A v1 header is always <see cref="Proxy"/>.</summary>
public enum ProxyCommand : byte
{
    Local = 0,
    Proxy = 1,
}
