using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// Decides per datagram, independently of any other: a complete v2 header followed by the payload.
/// Accepts PROXY with UDP4/UDP6 and LOCAL (any family; its addresses are ignored, as the spec says).
/// Everything else is dropped with a reason. Pure and allocation-free (headers without TLVs).
/// </summary>
internal static class UdpDatagramClassifier
{
    public static UdpDatagram Classify(ProxyHeaderParser parser, ReadOnlySpan<byte> datagram)
    {
        ArgumentNullException.ThrowIfNull(parser);
        ProxyParseResult result = parser.Parse(datagram);
        switch (result.Status)
        {
            case ProxyParseStatus.Invalid:
                return UdpDatagram.Drop(UdpDropReason.InvalidHeader, result.Error);
            case ProxyParseStatus.NeedMore:
                // A v1 prefix ("PROXY ...") without CRLF is still v1; say so rather than "truncated".
                return datagram.Length > 0 && datagram[0] == (byte)'P'
                    ? UdpDatagram.Drop(UdpDropReason.Version1)
                    : UdpDatagram.Drop(UdpDropReason.TruncatedHeader);
        }

        ProxyHeader header = result.Header;
        if (header.Version != ProxyVersion.V2)
        {
            return UdpDatagram.Drop(UdpDropReason.Version1);
        }

        if (header.Command == ProxyCommand.Local)
        {
            return new UdpDatagram(UdpDatagramKind.Local, UdpDropReason.None, ProxyParseError.None, default, result.BytesConsumed);
        }

        return header.Family switch
        {
            ProxyFamily.Udp4 or ProxyFamily.Udp6 =>
                new UdpDatagram(UdpDatagramKind.Proxy, UdpDropReason.None, ProxyParseError.None, header.Source, result.BytesConsumed),
            ProxyFamily.Tcp4 or ProxyFamily.Tcp6 or ProxyFamily.UnixStream => UdpDatagram.Drop(UdpDropReason.StreamFamily),
            _ => UdpDatagram.Drop(UdpDropReason.UnsupportedFamily),
        };
    }
}
