using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.V2;

/// <summary>
/// TLVs of LOCAL and UNSPEC headers (spec 2.2): the address block is sized by the family byte even
/// for LOCAL ("Receivers MUST always consider this field to skip the appropriate number of bytes"),
/// UNSPEC has none, and what follows is TLVs, checked as in any header.
/// </summary>
public sealed class V2LocalAndUnspecTlvTests
{
    public static TheoryData<byte, byte[], ProxyFamily> AddressBlocks() => new()
    {
        { 0x11, V2Raw.IPv4Block(), ProxyFamily.Tcp4 },
        { 0x12, V2Raw.IPv4Block(), ProxyFamily.Udp4 },
        { 0x21, V2Raw.IPv6Block(), ProxyFamily.Tcp6 },
        { 0x22, V2Raw.IPv6Block(), ProxyFamily.Udp6 },
        { 0x31, V2Raw.UnixBlock("/a", "/b"), ProxyFamily.UnixStream },
        { 0x32, V2Raw.UnixBlock("/a", "/b"), ProxyFamily.UnixDgram },
    };

    [Fact]
    public void Local_unspec_tlvs_follow_the_preamble()
    {
        // What HAProxy sends for a health check: LOCAL, family UNSPEC, no address, then its TLVs.
        byte[] input = V2Raw.WithCrc32C(0x20, 0x00, V2Raw.Tlv(0x05, "check-1"), V2Raw.Tlv(0x02, "www.example.com"));
        ProxyHeader h = ParseAssert.Complete(input);
        Assert.Equal(ProxyCommand.Local, h.Command);
        Assert.Equal(ProxyFamily.Unspec, h.Family);
        Assert.Equal(ProxyAddressKind.None, h.Source.Kind);
        Assert.Equal(["UNIQUE_ID", "AUTHORITY", "CRC32C"], h.Tlvs.Select(t => t.Name));
        Assert.Equal(Bytes.Ascii("check-1"), h.Tlvs[0].Value.ToArray());
        Assert.Equal("www.example.com", h.Tlvs[1].Text);
        Assert.True(h.HasCrc32C);
    }

    [Theory]
    [MemberData(nameof(AddressBlocks))]
    public void Local_tlvs_follow_the_address_block_of_its_family(byte familyByte, byte[] addresses, ProxyFamily family)
    {
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x20, familyByte, addresses, V2Raw.Tlv(0x01, "h2"), V2Raw.Tlv(0x04)));
        Assert.Equal(ProxyCommand.Local, h.Command);
        Assert.Equal(family, h.Family);
        // "discard the protocol block": the addresses are not reported.
        Assert.Equal(ProxyAddressKind.None, h.Source.Kind);
        Assert.Equal(ProxyAddressKind.None, h.Destination.Kind);
        Assert.Equal(["ALPN", "NOOP"], h.Tlvs.Select(t => t.Name));
        Assert.Equal("h2", h.Tlvs[0].Text);
        Assert.False(h.HasCrc32C);
    }

    [Fact]
    public void Local_health_check_with_dummy_ipv4_addresses_and_a_vendor_tlv()
    {
        // AWS NLB health checks: LOCAL with the TCP4 family, placeholder addresses, and TLVs.
        byte[] aws = V2Raw.Tlv(0xEA, Bytes.Concat([0x01], Bytes.Ascii("vpce-08d2bf15fac5001c9")));
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x20, 0x11, new byte[12], aws));
        Assert.Equal("vpce-08d2bf15fac5001c9", h.FindTlv(ProxyTlvType.Aws)!.AwsVpcEndpointId);
    }

    [Theory]
    [MemberData(nameof(AddressBlocks))]
    public void Local_crc32c_is_verified(byte familyByte, byte[] addresses, ProxyFamily family)
    {
        byte[] input = V2Raw.WithCrc32C(0x20, familyByte, addresses, V2Raw.Tlv(0x01, "h2"));
        ProxyHeader h = ParseAssert.Complete(input);
        Assert.Equal(family, h.Family);
        Assert.True(h.HasCrc32C);

        // The checksum covers the whole header, the discarded addresses included.
        byte[] corrupted = (byte[])input.Clone();
        corrupted[17] ^= 0x01;
        ParseAssert.Invalid(corrupted, ProxyParseError.Crc32CMismatch);
    }

    [Fact]
    public void Local_unspec_crc32c_is_verified()
    {
        byte[] input = V2Raw.WithCrc32C(0x20, 0x00, V2Raw.Tlv(0x01, "h2"));
        Assert.True(ParseAssert.Complete(input).HasCrc32C);
        input[^1] ^= 0x80;
        ParseAssert.Invalid(input, ProxyParseError.Crc32CMismatch);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x11)]
    [InlineData(0x21)]
    [InlineData(0x31)]
    public void Local_tlv_overrunning_the_header_is_invalid(byte familyByte)
    {
        byte[] addresses = new byte[ProxyHeaderParser.AddressBlockLength(familyByte)];
        ParseAssert.Invalid(V2Raw.Build(0x20, familyByte, addresses, Bytes.Hex("01 0005 6832")), ProxyParseError.TlvOverrun);
        ParseAssert.Invalid(V2Raw.Build(0x20, familyByte, addresses, V2Raw.Tlv(0x01, "h2"), Bytes.Hex("04 FFFF")), ProxyParseError.TlvOverrun);
    }

    [Theory]
    [InlineData(0x00, "01")]
    [InlineData(0x00, "01 00")]
    [InlineData(0x12, "00")]
    [InlineData(0x22, "04 00")]
    public void Local_stray_bytes_after_the_last_tlv_are_invalid(byte familyByte, string tail)
    {
        byte[] addresses = new byte[ProxyHeaderParser.AddressBlockLength(familyByte)];
        ParseAssert.Invalid(V2Raw.Build(0x20, familyByte, addresses, V2Raw.Tlv(0x01, "h2"), Bytes.Hex(tail)), ProxyParseError.TlvTrailingBytes);
    }

    [Fact]
    public void Local_tlv_values_follow_the_same_rules()
    {
        ParseAssert.Invalid(V2Raw.Build(0x20, 0x00, V2Raw.Tlv(0x03, 0, 0, 0)), ProxyParseError.Crc32CBadLength);
        ParseAssert.Invalid(V2Raw.Build(0x20, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x05, new byte[129])), ProxyParseError.UniqueIdTooLong);
        ParseAssert.Invalid(V2Raw.Build(0x20, 0x21, V2Raw.IPv6Block(), V2Raw.Tlv(0x20, 1, 0, 0, 0)), ProxyParseError.SslTlvTooShort);
        byte[] crc = V2Raw.Tlv(0x03, 0, 0, 0, 0);
        ParseAssert.Invalid(V2Raw.Build(0x20, 0x00, crc, crc), ProxyParseError.Crc32CDuplicate);
    }

    [Theory]
    [InlineData(0x11, "FF FF FF FF FF")]
    [InlineData(0x11, "01 0005 6832")]
    [InlineData(0x12, "04 0000")]
    [InlineData(0x21, "C0000201 C6336402 04D2 01BB")]
    [InlineData(0x31, "00")]
    public void Local_body_shorter_than_its_address_block_is_skipped(byte familyByte, string body)
    {
        // No address block, so no TLV area to read: the body is skipped, as HAProxy skips any LOCAL body.
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x20, familyByte, Bytes.Hex(body)));
        Assert.Equal(ProxyCommand.Local, h.Command);
        Assert.Equal(ProxyAddressKind.None, h.Source.Kind);
        Assert.Empty(h.Tlvs);
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x13)]
    [InlineData(0x41)]
    [InlineData(0xFF)]
    public void Local_with_an_undefined_family_byte_skips_its_body(byte familyByte)
    {
        // The family gives no address block length, so the TLVs cannot be located.
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x20, familyByte, Bytes.Hex("01 0005 6832")));
        Assert.Equal(ProxyFamily.Unspec, h.Family);
        Assert.Empty(h.Tlvs);
        Assert.False(h.HasCrc32C);
    }

    [Fact]
    public void Proxy_unspec_tlvs_follow_the_preamble()
    {
        ProxyHeader h = ParseAssert.Complete(V2Raw.WithCrc32C(0x21, 0x00, V2Raw.Tlv(0x01, "h2"), V2Raw.Tlv(0xE0, new byte[8])));
        Assert.Equal(ProxyCommand.Proxy, h.Command);
        Assert.Equal(ProxyFamily.Unspec, h.Family);
        Assert.Equal(ProxyAddressKind.None, h.Source.Kind);
        Assert.False(h.HasClientAddress);
        Assert.Equal(["ALPN", "GCP", "CRC32C"], h.Tlvs.Select(t => t.Name));
        Assert.Equal(0ul, h.Tlvs[1].GcpPscConnectionId);
        Assert.True(h.HasCrc32C);
    }

    [Fact]
    public void Proxy_unspec_tlvs_are_checked()
    {
        byte[] input = V2Raw.WithCrc32C(0x21, 0x00, V2Raw.Tlv(0x01, "h2"));
        input[20] ^= 0x01;
        ParseAssert.Invalid(input, ProxyParseError.Crc32CMismatch);
        ParseAssert.Invalid(V2Raw.Build(0x21, 0x00, Bytes.Hex("01 0003 6832")), ProxyParseError.TlvOverrun);
        ParseAssert.Invalid(V2Raw.Build(0x21, 0x00, new byte[7]), ProxyParseError.TlvTrailingBytes);
    }

    [Fact]
    public void Local_tlv_values_do_not_alias_the_input_buffer()
    {
        byte[] input = V2Raw.Build(0x20, 0x00, V2Raw.Tlv(0x01, "h2"));
        ProxyHeader h = ParseAssert.Complete(input);
        Array.Clear(input);
        Assert.Equal("h2", h.Tlvs[0].Text);
    }
}
