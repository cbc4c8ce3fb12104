namespace MmProxy.ProxyProtocol;

/// <summary>The <c>client</c> bit field of the PP2_TYPE_SSL TLV (spec 2.2.5).</summary>
[Flags]
public enum ProxySslClientFlags : byte
{
    None = 0,
    Ssl = 0x01,
    CertConnection = 0x02,
    CertSession = 0x04,
}
