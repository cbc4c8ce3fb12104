using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.V2;

/// <summary>
/// Spec 2.2.8: 0xE0-0xEF are "reserved for application-specific data", 0xF0-0xF7 "for temporary
/// experimental use"; the PROXY protocol gives them no layout, so no value there invalidates a
/// header. The cloud vendors' TLVs live in the custom range and are decoded only when their layout
/// matches: GCP 0xE0 (8-byte big-endian PSC connection id), AWS 0xEA (subtype 0x01 + VPC endpoint
/// id in ASCII), Azure 0xEE (subtype 0x01 + 4-byte little-endian private link id).
/// </summary>
public sealed class V2ApplicationTlvTests
{
    public static TheoryData<byte, int> ApplicationTypesAndLengths()
    {
        var data = new TheoryData<byte, int>();
        for (int type = 0xE0; type <= 0xF7; type++)
        {
            foreach (int length in new[] { 0, 1, 4, 5, 8, 9, 300 })
            {
                data.Add((byte)type, length);
            }
        }

        return data;
    }

    private static ProxyTlv Single(byte[] tlv) =>
        ParseAssert.Complete(V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), tlv)).Tlvs.Single();

    [Theory]
    [MemberData(nameof(ApplicationTypesAndLengths))]
    public void Custom_and_experimental_types_accept_any_length(byte type, int length)
    {
        byte[] value = Enumerable.Range(0, length).Select(i => (byte)(0xFF - i)).ToArray();
        ProxyTlv tlv = Single(V2Raw.Tlv(type, value));
        Assert.Equal((ProxyTlvType)type, tlv.Type);
        Assert.Equal(value, tlv.Value.ToArray());
    }

    [Fact]
    public void Application_types_are_accepted_under_a_crc32c_too()
    {
        byte[] input = V2Raw.WithCrc32C(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0xE0), V2Raw.Tlv(0xEA), V2Raw.Tlv(0xEE, 0x01), V2Raw.Tlv(0xF7, 9));
        ProxyHeader h = ParseAssert.Complete(input);
        Assert.True(h.HasCrc32C);
        Assert.Equal(["GCP", "AWS", "AZURE", "UNKNOWN", "CRC32C"], h.Tlvs.Select(t => t.Name));
    }

    [Fact]
    public void Gcp_psc_connection_id_is_big_endian()
    {
        ProxyTlv tlv = Single(V2Raw.Tlv(0xE0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08));
        Assert.Equal("GCP", tlv.Name);
        Assert.Equal(0x0102030405060708ul, tlv.GcpPscConnectionId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(16)]
    public void Gcp_of_another_length_is_kept_raw(int length)
    {
        ProxyTlv tlv = Single(V2Raw.Tlv(0xE0, new byte[length]));
        Assert.Equal("GCP", tlv.Name);
        Assert.Equal(length, tlv.Value.Length);
        Assert.Null(tlv.GcpPscConnectionId);
        Assert.Null(tlv.Text);
    }

    [Fact]
    public void Aws_vpc_endpoint_id()
    {
        ProxyTlv tlv = Single(V2Raw.Tlv(0xEA, Bytes.Concat([0x01], Bytes.Ascii("vpce-08d2bf15fac5001c9"))));
        Assert.Equal("AWS", tlv.Name);
        Assert.Equal((byte)0x01, tlv.VendorSubtype);
        Assert.Equal("vpce-08d2bf15fac5001c9", tlv.AwsVpcEndpointId);
        Assert.Equal("vpce-08d2bf15fac5001c9", tlv.Text);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("01", 0x01)]
    [InlineData("01 76706365 00", 0x01)]
    [InlineData("01 76706365 FF", 0x01)]
    [InlineData("01 7670 2063 65", 0x01)]
    [InlineData("02 AB", 0x02)]
    public void Aws_without_the_endpoint_layout_is_kept_raw(string value, int? subtype)
    {
        ProxyTlv tlv = Single(V2Raw.Tlv(0xEA, Bytes.Hex(value)));
        Assert.Equal("AWS", tlv.Name);
        Assert.Equal(Bytes.Hex(value), tlv.Value.ToArray());
        Assert.Equal((byte?)subtype, tlv.VendorSubtype);
        Assert.Null(tlv.AwsVpcEndpointId);
        Assert.Null(tlv.Text);
    }

    [Fact]
    public void Azure_private_link_id_is_little_endian()
    {
        ProxyTlv tlv = Single(V2Raw.Tlv(0xEE, 0x01, 0x78, 0x56, 0x34, 0x12));
        Assert.Equal("AZURE", tlv.Name);
        Assert.Equal((byte)0x01, tlv.VendorSubtype);
        Assert.Equal(0x12345678u, tlv.AzurePrivateLinkId);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("01", 0x01)]
    [InlineData("01 010203", 0x01)]
    [InlineData("01 0102030405", 0x01)]
    [InlineData("02 01020304", 0x02)]
    public void Azure_without_the_link_id_layout_is_kept_raw(string value, int? subtype)
    {
        ProxyTlv tlv = Single(V2Raw.Tlv(0xEE, Bytes.Hex(value)));
        Assert.Equal("AZURE", tlv.Name);
        Assert.Equal(Bytes.Hex(value), tlv.Value.ToArray());
        Assert.Equal((byte?)subtype, tlv.VendorSubtype);
        Assert.Null(tlv.AzurePrivateLinkId);
    }

    [Fact]
    public void Vendor_views_are_null_on_other_types()
    {
        ProxyTlv custom = Single(V2Raw.Tlv(0xE5, 0x01, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00));
        Assert.Equal("UNKNOWN", custom.Name);
        Assert.Null(custom.VendorSubtype);
        Assert.Null(custom.AwsVpcEndpointId);
        Assert.Null(custom.AzurePrivateLinkId);
        Assert.Null(custom.GcpPscConnectionId);
    }

    [Fact]
    public void Vendor_factories_write_the_layout_the_views_decode()
    {
        ProxyHeader h = ParseAssert.Complete(ProxyHeaderWriter.WriteV2(
            ProxyCommand.Proxy,
            ProxyFamily.Tcp4,
            ProxyAddress.FromAddressBytes([192, 0, 2, 1], 1),
            ProxyAddress.FromAddressBytes([192, 0, 2, 2], 2),
            [ProxyTlv.Gcp(42), ProxyTlv.Aws("vpce-1"), ProxyTlv.Azure(7)]));
        Assert.Equal(42ul, h.FindTlv(ProxyTlvType.Gcp)!.GcpPscConnectionId);
        Assert.Equal("vpce-1", h.FindTlv(ProxyTlvType.Aws)!.AwsVpcEndpointId);
        Assert.Equal(7u, h.FindTlv(ProxyTlvType.Azure)!.AzurePrivateLinkId);
    }
}
