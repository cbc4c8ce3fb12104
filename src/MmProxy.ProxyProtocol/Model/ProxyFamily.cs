namespace MmProxy.ProxyProtocol;

/// <summary>Address family and transport. <see cref="Unknown"/> is v1 "PROXY UNKNOWN".</summary>
public enum ProxyFamily : byte
{
    Unspec,
    Tcp4,
    Tcp6,
    Udp4,
    Udp6,
    UnixStream,
    UnixDgram,
    Unknown,
}
