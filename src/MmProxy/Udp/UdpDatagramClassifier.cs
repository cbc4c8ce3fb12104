using MmProxy.Configuration;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// Decides per datagram, independently of any other, by the listener's header format:
/// <list type="bullet">
/// <item>v2: a complete v2 header followed by the payload; PROXY with UDP4/UDP6, or LOCAL (any
/// family; its addresses are ignored, as the spec says).</item>
/// <item>v2-first: the same when the datagram starts with the 12-byte v2 signature; anything else is
/// headerless payload for the sender's session.</item>
/// <item>spp: the 38-byte SPP header, then the payload.</item>
/// </list>
/// Everything else is dropped with a reason. Pure and allocation-free (headers without TLVs).
/// </summary>
internal static class UdpDatagramClassifier
{
    public static UdpDatagram Classify(ProxyHeaderParser parser, UdpHeaderFormat format, ReadOnlySpan<byte> datagram) => format switch
    {
        UdpHeaderFormat.V2First when !ProxyHeaderParser.StartsWithV2Signature(datagram) =>
            new UdpDatagram(UdpDatagramKind.Headerless, UdpDropReason.None, ProxyParseError.None, default, 0),
        UdpHeaderFormat.Spp => ClassifySpp(datagram),
        _ => ClassifyV2(parser, datagram),
    };

    public static UdpDatagram ClassifyV2(ProxyHeaderParser parser, ReadOnlySpan<byte> datagram)
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

    private static UdpDatagram ClassifySpp(ReadOnlySpan<byte> datagram)
    {
        // A v2 header here means the load balancer and the listener disagree on the format: say so.
        if (ProxyHeaderParser.StartsWithV2Signature(datagram))
        {
            return UdpDatagram.Drop(UdpDropReason.V2OnSppListener);
        }

        SppParseResult result = SppCodec.Parse(datagram);
        return result.Error switch
        {
            SppParseError.None => new UdpDatagram(UdpDatagramKind.Proxy, UdpDropReason.None, ProxyParseError.None, result.Header.Client, SppHeader.Length),
            SppParseError.TooShort => UdpDatagram.Drop(UdpDropReason.SppTooShort),
            _ => UdpDatagram.Drop(UdpDropReason.SppBadMagic),
        };
    }
}
