using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// A classified datagram: what to do with it, the client endpoint (PROXY) and where the payload
/// starts. <see cref="Error"/> carries the parser's reason for <see cref="UdpDropReason.InvalidHeader"/>.
/// </summary>
internal readonly record struct UdpDatagram(
    UdpDatagramKind Kind,
    UdpDropReason DropReason,
    ProxyParseError Error,
    ProxyAddress Client,
    int PayloadOffset)
{
    public static UdpDatagram Drop(UdpDropReason reason, ProxyParseError error = ProxyParseError.None) =>
        new(UdpDatagramKind.Dropped, reason, error, default, 0);
}
