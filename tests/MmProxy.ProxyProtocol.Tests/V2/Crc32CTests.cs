using MmProxy.ProxyProtocol.Internal;
using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.V2;

public sealed class Crc32CTests
{
    [Fact]
    public void Standard_check_value() => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void Reference_implementation_agrees_on_the_check_value() =>
        Assert.Equal(0xE3069283u, V2Raw.ReferenceCrc32C("123456789"u8));

    [Fact]
    public void Matches_the_bitwise_reference_for_every_length_and_alignment()
    {
        var random = new Random(1234);
        var data = new byte[300];
        random.NextBytes(data);
        for (int start = 0; start < 9; start++)
        {
            for (int length = 0; length < 100; length++)
            {
                ReadOnlySpan<byte> slice = data.AsSpan(start, length);
                Assert.Equal(V2Raw.ReferenceCrc32C(slice), Crc32C.Compute(slice));
            }
        }
    }

    [Fact]
    public void Zeroed_field_variant_equals_the_crc_of_the_zeroed_copy()
    {
        byte[] data = Enumerable.Range(0, 64).Select(i => (byte)(i * 7)).ToArray();
        byte[] zeroed = (byte[])data.Clone();
        Array.Clear(zeroed, 21, 4);
        Assert.Equal(Crc32C.Compute(zeroed), Crc32C.ComputeWithZeroedField(data, 21));
    }

    [Fact]
    public void Valid_checksum_is_accepted()
    {
        ProxyHeader h = ParseAssert.Complete(V2Raw.WithCrc32C(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x01, "h2")));
        Assert.True(h.HasCrc32C);
        Assert.Equal(2, h.Tlvs.Count);
    }

    [Fact]
    public void Checksum_can_sit_before_other_tlvs()
    {
        byte[] header = V2Raw.Build(0x21, 0x21, V2Raw.IPv6Block(), V2Raw.Tlv(0x03, 0, 0, 0, 0), V2Raw.Tlv(0x02, "example.com"));
        int valueOffset = 16 + 36 + 3;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(valueOffset), V2Raw.ReferenceCrc32C(header));
        Assert.True(ParseAssert.Complete(header).HasCrc32C);
    }

    [Fact]
    public void Any_corrupted_byte_is_detected()
    {
        byte[] good = V2Raw.WithCrc32C(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x01, "h2"));
        // Bytes whose change keeps the header structurally valid: addresses, ports and the ALPN value.
        foreach (int index in new[] { 16, 19, 24, 27, 31, 32, good.Length - 1, good.Length - 4 })
        {
            byte[] bad = (byte[])good.Clone();
            bad[index] ^= 0x01;
            ParseAssert.Invalid(bad, ProxyParseError.Crc32CMismatch);
        }
    }

    [Fact]
    public void Checksum_length_must_be_4()
    {
        ParseAssert.Invalid(V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x03, 0, 0, 0)), ProxyParseError.Crc32CBadLength);
        ParseAssert.Invalid(V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x03, 0, 0, 0, 0, 0)), ProxyParseError.Crc32CBadLength);
    }

    [Fact]
    public void Two_checksums_are_invalid() =>
        ParseAssert.Invalid(
            V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x03, 0, 0, 0, 0), V2Raw.Tlv(0x03, 0, 0, 0, 0)),
            ProxyParseError.Crc32CDuplicate);

    // Captured from HAProxy 2.6 (server ... send-proxy-v2 proxy-v2-options crc32c,unique-id,authority,ssl)
    // followed by the client's "hello".
    private const string HaproxyCapture =
        "0d0a0d0a000d0a515549540a211100477f0000017f000001a2fa480b03000407f2da4f05002937463030303030313a41" +
        "3246415f37463030303030313a343830425f36423032343032365f30303030200005000000000068656c6c6f";

    [Fact]
    public void Haproxy_generated_checksum_verifies()
    {
        byte[] capture = Convert.FromHexString(HaproxyCapture);
        ProxyParseResult r = ProxyHeaderParser.Default.Parse(capture);
        Assert.Equal(ProxyParseStatus.Complete, r.Status);
        Assert.Equal(capture.Length - 5, r.BytesConsumed);
        Assert.True(r.Header.HasCrc32C);
        Assert.Equal("127.0.0.1:41722", r.Header.Source.ToString());
        Assert.Equal(
            [ProxyTlvType.Crc32C, ProxyTlvType.UniqueId, ProxyTlvType.Ssl],
            r.Header.Tlvs.Select(t => t.Type));

        capture[40] ^= 0x20; // one bit of the unique id
        ParseAssert.Invalid(capture, ProxyParseError.Crc32CMismatch);
    }

    [Fact]
    public void Writer_checksum_verifies_with_the_reference()
    {
        byte[] written = ProxyHeaderWriter.WriteV2(
            ProxyCommand.Proxy, ProxyFamily.Tcp4,
            ProxyAddress.FromAddressBytes([192, 0, 2, 1], 1234), ProxyAddress.FromAddressBytes([198, 51, 100, 2], 443),
            [ProxyTlv.Alpn("h2")], crc32c: true);
        Assert.Equal(V2Raw.WithCrc32C(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x01, "h2")), written);
    }
}
