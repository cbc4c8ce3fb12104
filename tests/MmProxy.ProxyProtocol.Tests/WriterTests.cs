using System.Net;
using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests;

public sealed class WriterTests
{
    private static readonly ProxyAddress V4a = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:1234"));
    private static readonly ProxyAddress V4b = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("198.51.100.2:443"));
    private static readonly ProxyAddress V6a = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::1]:1234"));
    private static readonly ProxyAddress V6b = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::2]:443"));

    [Fact]
    public void V1_lines()
    {
        Assert.Equal("PROXY TCP4 192.0.2.1 198.51.100.2 1234 443\r\n", Ascii(ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp4, V4a, V4b)));
        Assert.Equal("PROXY TCP6 2001:db8::1 2001:db8::2 1234 443\r\n", Ascii(ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp6, V6a, V6b)));
        Assert.Equal("PROXY UNKNOWN\r\n", Ascii(ProxyHeaderWriter.WriteV1(ProxyFamily.Unknown, default, default)));
    }

    [Fact]
    public void V1_isatap_addresses_use_the_hex_form_to_stay_within_107_bytes()
    {
        ProxyAddress isatap = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[ffff:ffff:ffff:ffff:0:5efe:255.255.255.255]:65535"));
        byte[] line = ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp6, isatap, isatap);
        Assert.True(line.Length <= 107);
        Assert.Equal(isatap, ParseAssert.Complete(line).Source);
    }

    [Fact]
    public void V1_try_write_reports_a_short_buffer()
    {
        Assert.False(ProxyHeaderWriter.TryWriteV1(new byte[10], ProxyFamily.Tcp4, V4a, V4b, out int written));
        Assert.Equal(0, written);
        Span<byte> buffer = stackalloc byte[107];
        Assert.True(ProxyHeaderWriter.TryWriteV1(buffer, ProxyFamily.Tcp4, V4a, V4b, out written));
        Assert.Equal(44, written);
    }

    [Fact]
    public void V1_rejects_mismatched_families()
    {
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp4, V6a, V6b));
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp6, V4a, V4b));
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV1(ProxyFamily.Udp4, V4a, V4b));
    }

    [Fact]
    public void V2_matches_hand_built_bytes()
    {
        Assert.Equal(V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block()), ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, V4a, V4b));
        Assert.Equal(V2Raw.Build(0x21, 0x21, V2Raw.IPv6Block()), ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp6, V6a, V6b));
        Assert.Equal(V2Raw.Build(0x20, 0x00), ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, default, default));
        Assert.Equal(
            V2Raw.Build(0x21, 0x31, V2Raw.UnixBlock("/a", "\0b")),
            ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.UnixStream, ProxyAddress.FromUnixPath("/a"), ProxyAddress.FromUnixPath("@b")));
        Assert.Equal(
            V2Raw.Build(0x21, 0x12, V2Raw.IPv4Block(), V2Raw.Tlv(0x01, "h2"), V2Raw.Tlv(0x42, 7)),
            ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, V4a, V4b, [ProxyTlv.Alpn("h2"), new ProxyTlv((ProxyTlvType)0x42, new byte[] { 7 })]));
    }

    [Fact]
    public void V2_tlv_factories_encode_per_spec()
    {
        Assert.Equal(V2Raw.Tlv(0xEA, Bytes.Concat([1], Bytes.Ascii("vpce-1"))), Encode(ProxyTlv.Aws("vpce-1")));
        Assert.Equal(V2Raw.Tlv(0xEE, 1, 0x78, 0x56, 0x34, 0x12), Encode(ProxyTlv.Azure(0x12345678)));
        Assert.Equal(V2Raw.Tlv(0xE0, 1, 2, 3, 4, 5, 6, 7, 8), Encode(ProxyTlv.Gcp(0x0102030405060708)));
        Assert.Equal(
            V2Raw.Tlv(0x20, Bytes.Concat([0x05, 0, 0, 0, 9], V2Raw.Tlv(0x22, "cn"))),
            Encode(ProxyTlv.Ssl(ProxySslClientFlags.Ssl | ProxySslClientFlags.CertSession, 9, [ProxyTlv.FromText(ProxyTlvType.SslCn, "cn")])));
        Assert.Equal(V2Raw.Tlv(0x04, 0, 0), Encode(ProxyTlv.Noop(2)));
        Assert.Equal(V2Raw.Tlv(0x30, "ns"), Encode(ProxyTlv.Netns("ns")));
        Assert.Equal(V2Raw.Tlv(0x02, "a.example"), Encode(ProxyTlv.Authority("a.example")));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProxyTlv.UniqueId(new byte[129]));
    }

    [Fact]
    public void V2_span_form_and_length()
    {
        ProxyTlv[] tlvs = [ProxyTlv.Alpn("h2")];
        int length = ProxyHeaderWriter.GetV2Length(ProxyFamily.Tcp6, tlvs, crc32c: true);
        Assert.Equal(16 + 36 + 5 + 7, length);
        Assert.False(ProxyHeaderWriter.TryWriteV2(new byte[length - 1], ProxyCommand.Proxy, ProxyFamily.Tcp6, V6a, V6b, tlvs, true, out _));
        var buffer = new byte[length + 10];
        Assert.True(ProxyHeaderWriter.TryWriteV2(buffer, ProxyCommand.Proxy, ProxyFamily.Tcp6, V6a, V6b, tlvs, true, out int written));
        Assert.Equal(length, written);
        ProxyHeader h = ParseAssert.Complete(buffer, length);
        Assert.True(h.HasCrc32C);
    }

    [Fact]
    public void V2_rejects_misuse()
    {
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, V6a, V6b));
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Unknown, default, default));
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.UnixStream, ProxyAddress.FromUnixPath(new string('x', 109)), ProxyAddress.FromUnixPath("/")));
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, V4a, V4b, [new ProxyTlv(ProxyTlvType.Crc32C, new byte[4])], crc32c: true));
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, V4a, V4b, [ProxyTlv.Noop(65535)]));
    }

    [Fact]
    public void Local_without_addresses_writes_zeros()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Tcp4, default, default);
        Assert.Equal(V2Raw.Build(0x20, 0x11, new byte[12]), header);
    }

    [Fact]
    public void Write_header_dispatches_on_version()
    {
        ProxyHeader v1 = ParseAssert.Complete("PROXY TCP4 192.0.2.1 198.51.100.2 1234 443\r\n");
        Assert.Equal("PROXY TCP4 192.0.2.1 198.51.100.2 1234 443\r\n", Ascii(ProxyHeaderWriter.Write(v1)));
        byte[] v2 = V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x01, "h2"));
        Assert.Equal(v2, ProxyHeaderWriter.Write(ParseAssert.Complete(v2)));
    }

    private static string Ascii(byte[] bytes) => System.Text.Encoding.ASCII.GetString(bytes);

    private static byte[] Encode(ProxyTlv tlv)
    {
        var buffer = new byte[tlv.EncodedLength];
        Assert.Equal(buffer.Length, tlv.WriteTo(buffer));
        return buffer;
    }
}
