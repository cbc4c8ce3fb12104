namespace MmProxy.Configuration;

/// <summary>The transport proxied by one mmproxy process (go-mmproxy's <c>-p</c>).</summary>
internal enum TransportProtocol
{
    Tcp,
    Udp,
}
