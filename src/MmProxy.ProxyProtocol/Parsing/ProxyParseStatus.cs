namespace MmProxy.ProxyProtocol;

/// <summary>Outcome of one parse attempt over the bytes received so far.</summary>
public enum ProxyParseStatus : byte
{
    NeedMore,
    Invalid,
    Complete,
}
