using System.Net;
using System.Text;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

public sealed class UdpDatagramClassifierTests
{
    private static readonly ProxyAddress Client4 = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.10:5353"));
    private static readonly ProxyAddress Server4 = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("198.51.100.1:53"));
    private static readonly ProxyAddress Client6 = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::10]:5353"));
    private static readonly ProxyAddress Server6 = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::1]:53"));
    private static readonly byte[] Payload = Encoding.ASCII.GetBytes("payload");

    private static UdpDatagram Classify(byte[] datagram) => UdpDatagramClassifier.ClassifyV2(ProxyHeaderParser.Default, datagram);

    private static byte[] Concat(byte[] header, byte[] payload) => [.. header, .. payload];

    [Fact]
    public void Udp4_proxy_is_forwarded_from_the_client_with_the_payload_after_the_header()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, Client4, Server4);
        UdpDatagram d = Classify(Concat(header, Payload));
        Assert.Equal(UdpDatagramKind.Proxy, d.Kind);
        Assert.Equal(Client4, d.Client);
        Assert.Equal(header.Length, d.PayloadOffset);
    }

    [Fact]
    public void Udp6_proxy_is_forwarded_from_the_client()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp6, Client6, Server6);
        UdpDatagram d = Classify(Concat(header, Payload));
        Assert.Equal(UdpDatagramKind.Proxy, d.Kind);
        Assert.Equal(Client6, d.Client);
        Assert.Equal(header.Length, d.PayloadOffset);
    }

    [Fact]
    public void Header_with_tlvs_and_crc_leaves_the_payload_intact()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, Client4, Server4,
            [new ProxyTlv(ProxyTlvType.Authority, Encoding.ASCII.GetBytes("example.test"))], crc32c: true);
        byte[] datagram = Concat(header, Payload);
        UdpDatagram d = Classify(datagram);
        Assert.Equal(UdpDatagramKind.Proxy, d.Kind);
        Assert.Equal(Payload, datagram[d.PayloadOffset..]);
    }

    [Fact]
    public void Empty_payload_is_a_valid_datagram()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, Client4, Server4);
        UdpDatagram d = Classify(header);
        Assert.Equal(UdpDatagramKind.Proxy, d.Kind);
        Assert.Equal(header.Length, d.PayloadOffset);
    }

    [Theory]
    [InlineData(ProxyFamily.Unspec)]
    [InlineData(ProxyFamily.Udp4)]
    [InlineData(ProxyFamily.Tcp6)]
    public void Local_is_forwarded_unspoofed_whatever_its_family(ProxyFamily family)
    {
        (ProxyAddress src, ProxyAddress dst) = family switch
        {
            ProxyFamily.Udp4 => (Client4, Server4),
            ProxyFamily.Tcp6 => (Client6, Server6),
            _ => (ProxyAddress.None, ProxyAddress.None),
        };
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Local, family, src, dst);
        UdpDatagram d = Classify(Concat(header, Payload));
        Assert.Equal(UdpDatagramKind.Local, d.Kind);
        Assert.Equal(ProxyAddress.None, d.Client);
        Assert.Equal(header.Length, d.PayloadOffset);
    }

    [Theory]
    [InlineData(ProxyFamily.Tcp4)]
    [InlineData(ProxyFamily.Tcp6)]
    public void Stream_family_is_dropped(ProxyFamily family)
    {
        (ProxyAddress src, ProxyAddress dst) = family == ProxyFamily.Tcp4 ? (Client4, Server4) : (Client6, Server6);
        UdpDatagram d = Classify(Concat(ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, family, src, dst), Payload));
        Assert.Equal(UdpDatagramKind.Dropped, d.Kind);
        Assert.Equal(UdpDropReason.StreamFamily, d.DropReason);
    }

    [Fact]
    public void Unix_stream_is_dropped_as_stream()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.UnixStream, ProxyAddress.FromUnixPath("/a"), ProxyAddress.FromUnixPath("/b"));
        Assert.Equal(UdpDropReason.StreamFamily, Classify(header).DropReason);
    }

    [Fact]
    public void Unix_datagram_and_unspec_proxy_are_dropped_as_unsupported()
    {
        byte[] unix = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.UnixDgram, ProxyAddress.FromUnixPath("/a"), ProxyAddress.FromUnixPath("/b"));
        byte[] unspec = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Unspec, ProxyAddress.None, ProxyAddress.None);
        Assert.Equal(UdpDropReason.UnsupportedFamily, Classify(unix).DropReason);
        Assert.Equal(UdpDropReason.UnsupportedFamily, Classify(unspec).DropReason);
    }

    [Fact]
    public void V1_is_dropped()
    {
        byte[] v1 = ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp4, Client4, Server4);
        UdpDatagram d = Classify(Concat(v1, Payload));
        Assert.Equal(UdpDatagramKind.Dropped, d.Kind);
        Assert.Equal(UdpDropReason.Version1, d.DropReason);
        // A v1 line cut short is still v1, not "truncated v2".
        Assert.Equal(UdpDropReason.Version1, Classify(Encoding.ASCII.GetBytes("PROXY TCP4 192.0.2.1")).DropReason);
    }

    [Fact]
    public void Garbage_is_dropped_as_invalid_with_the_parsers_reason()
    {
        UdpDatagram d = Classify(Encoding.ASCII.GetBytes("\x01\x02 not a header"));
        Assert.Equal(UdpDatagramKind.Dropped, d.Kind);
        Assert.Equal(UdpDropReason.InvalidHeader, d.DropReason);
        Assert.Equal(ProxyParseError.NotProxyProtocol, d.Error);
    }

    [Fact]
    public void Empty_datagram_and_header_cut_short_are_dropped_as_truncated()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp6, Client6, Server6);
        Assert.Equal(UdpDropReason.TruncatedHeader, Classify([]).DropReason);
        for (int cut = 1; cut < header.Length; cut++)
        {
            Assert.Equal(UdpDropReason.TruncatedHeader, Classify(header[..cut]).DropReason);
        }
    }

    [Fact]
    public void Bad_crc_is_invalid()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, Client4, Server4, crc32c: true);
        header[^1] ^= 0xFF;
        UdpDatagram d = Classify(header);
        Assert.Equal(UdpDropReason.InvalidHeader, d.DropReason);
        Assert.Equal(ProxyParseError.Crc32CMismatch, d.Error);
    }

    [Fact]
    public void Random_bytes_never_throw_and_are_never_forwarded_unless_a_valid_header()
    {
        var random = new Random(12345);
        byte[] valid = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, Client4, Server4);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] datagram = i % 2 == 0 ? new byte[random.Next(0, 64)] : Concat(valid, new byte[random.Next(0, 8)]);
            if (i % 2 == 0)
            {
                random.NextBytes(datagram);
            }
            else
            {
                datagram[random.Next(datagram.Length)] = (byte)random.Next(256);
            }
            UdpDatagram d = Classify(datagram);
            if (d.Kind != UdpDatagramKind.Dropped)
            {
                Assert.InRange(d.PayloadOffset, 16, datagram.Length);
            }
        }
    }
}
