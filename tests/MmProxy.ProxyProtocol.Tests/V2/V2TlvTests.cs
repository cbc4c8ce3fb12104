using System.Buffers.Binary;
using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.V2;

public sealed class V2TlvTests
{
    private static ProxyHeader ParseWith(params byte[][] tlvs) =>
        ParseAssert.Complete(V2Raw.Build(0x21, 0x11, [V2Raw.IPv4Block(), .. tlvs]));

    private static void InvalidWith(ProxyParseError error, params byte[][] tlvs) =>
        ParseAssert.Invalid(V2Raw.Build(0x21, 0x11, [V2Raw.IPv4Block(), .. tlvs]), error);

    [Fact]
    public void Alpn_authority_netns_decode_as_text()
    {
        ProxyHeader h = ParseWith(V2Raw.Tlv(0x01, "h2"), V2Raw.Tlv(0x02, "example.com"), V2Raw.Tlv(0x30, "blue"));
        Assert.Equal(3, h.Tlvs.Count);
        Assert.Equal((ProxyTlvType.Alpn, "ALPN", "h2"), (h.Tlvs[0].Type, h.Tlvs[0].Name, h.Tlvs[0].Text));
        Assert.Equal((ProxyTlvType.Authority, "AUTHORITY", "example.com"), (h.Tlvs[1].Type, h.Tlvs[1].Name, h.Tlvs[1].Text));
        Assert.Equal((ProxyTlvType.Netns, "NETNS", "blue"), (h.Tlvs[2].Type, h.Tlvs[2].Name, h.Tlvs[2].Text));
        Assert.False(h.HasCrc32C);
    }

    [Fact]
    public void Empty_tlv_values_are_fine()
    {
        ProxyHeader h = ParseWith(V2Raw.Tlv(0x01), V2Raw.Tlv(0x04));
        Assert.Equal(0, h.Tlvs[0].Value.Length);
        Assert.Equal("NOOP", h.Tlvs[1].Name);
    }

    [Fact]
    public void Noop_is_kept_and_skipped()
    {
        ProxyHeader h = ParseWith(V2Raw.Tlv(0x04, new byte[10]), V2Raw.Tlv(0x01, "h2"));
        Assert.Equal(ProxyTlvType.Noop, h.Tlvs[0].Type);
        Assert.Equal("h2", h.Tlvs[1].Text);
    }

    [Fact]
    public void Unique_id_up_to_128_bytes()
    {
        byte[] id = Enumerable.Range(0, 128).Select(i => (byte)i).ToArray();
        ProxyHeader h = ParseWith(V2Raw.Tlv(0x05, id));
        Assert.Equal("UNIQUE_ID", h.Tlvs[0].Name);
        Assert.Equal(id, h.Tlvs[0].Value.ToArray());
        InvalidWith(ProxyParseError.UniqueIdTooLong, V2Raw.Tlv(0x05, new byte[129]));
    }

    [Fact]
    public void Unknown_types_are_kept_raw()
    {
        ProxyHeader h = ParseWith(V2Raw.Tlv(0x42, 1, 2, 3), V2Raw.Tlv(0xFF));
        Assert.Equal((ProxyTlvType)0x42, h.Tlvs[0].Type);
        Assert.Equal("UNKNOWN", h.Tlvs[0].Name);
        Assert.Equal(new byte[] { 1, 2, 3 }, h.Tlvs[0].Value.ToArray());
        Assert.Null(h.Tlvs[0].Text);
        Assert.Equal((ProxyTlvType)0xFF, h.Tlvs[1].Type);
    }

    [Fact]
    public void Ssl_with_sub_tlvs_decodes()
    {
        byte[] ssl = V2Raw.Tlv(
            0x20,
            Bytes.Concat(
                [0x07], // client: SSL | CERT_CONN | CERT_SESS
                [0, 0, 0, 0], // verify: OK
                V2Raw.Tlv(0x21, "TLSv1.3"),
                V2Raw.Tlv(0x22, "client.example"),
                V2Raw.Tlv(0x23, "TLS_AES_128_GCM_SHA256"),
                V2Raw.Tlv(0x24, "SHA256"),
                V2Raw.Tlv(0x25, "RSA2048"),
                V2Raw.Tlv(0x26, "X25519"),
                V2Raw.Tlv(0x27, "rsa_pss_rsae_sha256"),
                V2Raw.Tlv(0x28, 0x30, 0x82, 0x01)));
        ProxyTlv tlv = ParseWith(ssl).Tlvs.Single();
        Assert.Equal("SSL", tlv.Name);
        Assert.Equal(ProxySslClientFlags.Ssl | ProxySslClientFlags.CertConnection | ProxySslClientFlags.CertSession, tlv.SslClient);
        Assert.Equal(0u, tlv.SslVerify);
        Assert.Equal(
            ["SSL_VERSION", "SSL_CN", "SSL_CIPHER", "SSL_SIG_ALG", "SSL_KEY_ALG", "SSL_GROUP", "SSL_SIG_SCHEME", "SSL_CLIENT_CERT"],
            tlv.SubTlvs.Select(s => s.Name));
        Assert.Equal("TLSv1.3", tlv.SubTlvs[0].Text);
        Assert.Equal("client.example", tlv.SubTlvs[1].Text);
        Assert.Equal("TLS_AES_128_GCM_SHA256", tlv.SubTlvs[2].Text);
        Assert.Equal("rsa_pss_rsae_sha256", tlv.SubTlvs[6].Text);
        Assert.Equal(new byte[] { 0x30, 0x82, 0x01 }, tlv.SubTlvs[7].Value.ToArray());
        Assert.Null(tlv.SubTlvs[7].Text);
    }

    [Fact]
    public void Ssl_verify_is_big_endian()
    {
        ProxyTlv tlv = ParseWith(V2Raw.Tlv(0x20, 0x01, 0x00, 0x00, 0x01, 0x02)).Tlvs.Single();
        Assert.Equal(ProxySslClientFlags.Ssl, tlv.SslClient);
        Assert.Equal(0x0102u, tlv.SslVerify);
        Assert.Empty(tlv.SubTlvs);
    }

    [Fact]
    public void Ssl_shorter_than_5_bytes_is_invalid() =>
        InvalidWith(ProxyParseError.SslTlvTooShort, V2Raw.Tlv(0x20, 0x01, 0, 0, 0));

    [Fact]
    public void Ssl_sub_tlv_overrun_or_stray_bytes_is_invalid()
    {
        InvalidWith(ProxyParseError.SslSubTlvMalformed, V2Raw.Tlv(0x20, Bytes.Concat([1, 0, 0, 0, 0], Bytes.Hex("21 0005 414243"))));
        InvalidWith(ProxyParseError.SslSubTlvMalformed, V2Raw.Tlv(0x20, Bytes.Concat([1, 0, 0, 0, 0], Bytes.Hex("21 00"))));
    }

    [Fact]
    public void Tlv_overrunning_the_header_is_invalid()
    {
        InvalidWith(ProxyParseError.TlvOverrun, Bytes.Hex("01 0003 6832"));
        InvalidWith(ProxyParseError.TlvOverrun, V2Raw.Tlv(0x01, "h2"), Bytes.Hex("04 FFFF"));
    }

    [Theory]
    [InlineData("01")]
    [InlineData("01 00")]
    [InlineData("00")]
    public void Stray_trailing_bytes_are_invalid(string tail) =>
        InvalidWith(ProxyParseError.TlvTrailingBytes, V2Raw.Tlv(0x01, "h2"), Bytes.Hex(tail));

    [Fact]
    public void Tlvs_follow_ipv6_and_unix_address_blocks()
    {
        ProxyHeader v6 = ParseAssert.Complete(V2Raw.Build(0x21, 0x21, V2Raw.IPv6Block(), V2Raw.Tlv(0x01, "h2")));
        Assert.Equal("h2", v6.Tlvs.Single().Text);
        ProxyHeader unix = ParseAssert.Complete(V2Raw.Build(0x21, 0x32, V2Raw.UnixBlock("/a", "/b"), V2Raw.Tlv(0x02, "x")));
        Assert.Equal("x", unix.Tlvs.Single().Text);
    }

    [Fact]
    public void Find_tlv_returns_the_first_of_a_type()
    {
        ProxyHeader h = ParseWith(V2Raw.Tlv(0x01, "a"), V2Raw.Tlv(0x01, "b"));
        Assert.Equal("a", h.FindTlv(ProxyTlvType.Alpn)!.Text);
        Assert.Null(h.FindTlv(ProxyTlvType.Ssl));
    }

    [Fact]
    public void Tlv_values_do_not_alias_the_input_buffer()
    {
        byte[] input = V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x01, "h2"));
        ProxyHeader h = ParseAssert.Complete(input);
        Array.Clear(input);
        Assert.Equal("h2", h.Tlvs[0].Text);
    }

    [Fact]
    public void Crc32C_value_is_exposed_big_endian()
    {
        byte[] header = V2Raw.WithCrc32C(0x21, 0x11, V2Raw.IPv4Block());
        ProxyTlv tlv = ParseAssert.Complete(header).Tlvs.Single();
        Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(header.Length - 4)), tlv.Crc32C);
    }
}
