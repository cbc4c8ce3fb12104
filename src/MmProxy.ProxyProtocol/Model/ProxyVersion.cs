namespace MmProxy.ProxyProtocol;

/// <summary>PROXY protocol version: 1 (text) or 2 (binary).</summary>
public enum ProxyVersion : byte
{
    V1 = 1,
    V2 = 2,
}
