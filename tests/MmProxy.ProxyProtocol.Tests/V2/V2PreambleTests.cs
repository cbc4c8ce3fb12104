using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.V2;

public sealed class V2PreambleTests
{
    [Fact]
    public void Tcp4_proxy_decodes()
    {
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block()));
        Assert.Equal(ProxyVersion.V2, h.Version);
        Assert.Equal(ProxyCommand.Proxy, h.Command);
        Assert.Equal(ProxyFamily.Tcp4, h.Family);
        Assert.Equal("192.0.2.1:1234", h.Source.ToString());
        Assert.Equal("198.51.100.2:443", h.Destination.ToString());
        Assert.Equal(28, h.Length);
        Assert.True(h.HasClientAddress);
        Assert.False(h.IsDatagram);
        Assert.Empty(h.Tlvs);
    }

    [Theory]
    [InlineData(0x11, ProxyFamily.Tcp4, false)]
    [InlineData(0x12, ProxyFamily.Udp4, true)]
    public void Ipv4_families(byte familyByte, ProxyFamily family, bool datagram)
    {
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x21, familyByte, V2Raw.IPv4Block()));
        Assert.Equal(family, h.Family);
        Assert.Equal(datagram, h.IsDatagram);
        Assert.True(h.HasClientAddress);
    }

    [Theory]
    [InlineData(0x21, ProxyFamily.Tcp6, false)]
    [InlineData(0x22, ProxyFamily.Udp6, true)]
    public void Ipv6_families(byte familyByte, ProxyFamily family, bool datagram)
    {
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x21, familyByte, V2Raw.IPv6Block()));
        Assert.Equal(family, h.Family);
        Assert.Equal(datagram, h.IsDatagram);
        Assert.Equal("[2001:db8::1]:1234", h.Source.ToString());
        Assert.Equal("[2001:db8::2]:443", h.Destination.ToString());
        Assert.Equal(52, h.Length);
    }

    [Theory]
    [InlineData(0x31, ProxyFamily.UnixStream, false)]
    [InlineData(0x32, ProxyFamily.UnixDgram, true)]
    public void Unix_families(byte familyByte, ProxyFamily family, bool datagram)
    {
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x21, familyByte, V2Raw.UnixBlock("/run/client.sock", "/run/server.sock")));
        Assert.Equal(family, h.Family);
        Assert.Equal(datagram, h.IsDatagram);
        Assert.False(h.HasClientAddress);
        Assert.Equal(ProxyAddressKind.Unix, h.Source.Kind);
        Assert.Equal("/run/client.sock", h.Source.UnixPath);
        Assert.Equal("/run/server.sock", h.Destination.UnixPath);
        Assert.Equal(232, h.Length);
    }

    [Fact]
    public void Abstract_unix_socket_is_shown_with_an_at_sign()
    {
        var block = V2Raw.UnixBlock("\0abstract", "/full");
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x21, 0x31, block));
        Assert.Equal("@abstract", h.Source.UnixPath);
    }

    [Fact]
    public void Unix_path_of_the_full_108_bytes_is_accepted()
    {
        string path = "/" + new string('p', 107);
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x21, 0x31, V2Raw.UnixBlock(path, "/d")));
        Assert.Equal(path, h.Source.UnixPath);
    }

    [Theory]
    [InlineData(0x00, 0)]
    [InlineData(0x11, 0)]
    [InlineData(0x11, 12)]
    [InlineData(0x12, 12)]
    [InlineData(0x21, 36)]
    [InlineData(0x22, 36)]
    [InlineData(0x31, 216)]
    [InlineData(0x32, 216)]
    public void Local_is_accepted_whatever_its_family_and_its_addresses_are_discarded(byte familyByte, int length)
    {
        byte[] addresses = new byte[length];
        Array.Fill(addresses, (byte)0x2F); // a valid-looking path and non-zero IPs: still not reported
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x20, familyByte, addresses));
        Assert.Equal(ProxyCommand.Local, h.Command);
        Assert.Equal(ProxyAddressKind.None, h.Source.Kind);
        Assert.Equal(ProxyAddressKind.None, h.Destination.Kind);
        Assert.False(h.HasClientAddress);
        Assert.Empty(h.Tlvs);
        Assert.Equal(16 + length, h.Length);
    }

    [Fact]
    public void Unspec_with_proxy_means_no_address()
    {
        ProxyHeader h = ParseAssert.Complete(V2Raw.Build(0x21, 0x00));
        Assert.Equal(ProxyCommand.Proxy, h.Command);
        Assert.Equal(ProxyFamily.Unspec, h.Family);
        Assert.Equal(ProxyAddressKind.None, h.Source.Kind);
        Assert.False(h.HasClientAddress);
        Assert.Equal(16, h.Length);
    }

    [Theory]
    [InlineData(new byte[] { 0x0D, 0x0B })]
    [InlineData(new byte[] { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B })]
    [InlineData(new byte[] { 0x0D, 0x0A, 0x0D, 0x0A, 0x01 })]
    [InlineData(new byte[] { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x71 })]
    public void Signature_mismatch_is_not_proxy_protocol(byte[] input) =>
        ParseAssert.Invalid(input, ProxyParseError.NotProxyProtocol);

    [Theory]
    [InlineData(0x11)]
    [InlineData(0x01)]
    [InlineData(0x31)]
    [InlineData(0xF1)]
    public void Version_must_be_2(byte versionCommand) =>
        ParseAssert.Invalid(V2Raw.Build(versionCommand, 0x11, V2Raw.IPv4Block()), ProxyParseError.V2UnsupportedVersion);

    [Fact]
    public void Bad_version_is_decided_on_byte_13() =>
        ParseAssert.Invalid([.. V2Raw.Signature, 0x11], ProxyParseError.V2UnsupportedVersion);

    [Theory]
    [InlineData(0x22)]
    [InlineData(0x2F)]
    public void Command_must_be_local_or_proxy(byte versionCommand) =>
        ParseAssert.Invalid(V2Raw.Build(versionCommand, 0x11, V2Raw.IPv4Block()), ProxyParseError.V2UnsupportedCommand);

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x02)]
    [InlineData(0x10)]
    [InlineData(0x13)]
    [InlineData(0x23)]
    [InlineData(0x30)]
    [InlineData(0x41)]
    [InlineData(0xFF)]
    public void Family_byte_must_be_a_defined_one_with_proxy(byte familyByte)
    {
        ParseAssert.Invalid(V2Raw.Build(0x21, familyByte, new byte[216]), ProxyParseError.V2UnsupportedFamily);
        ParseAssert.Invalid([.. V2Raw.Signature, 0x21, familyByte], ProxyParseError.V2UnsupportedFamily);

        // LOCAL ignores the family ("discard the protocol block including the family").
        ProxyHeader local = ParseAssert.Complete(V2Raw.Build(0x20, familyByte, new byte[3]));
        Assert.Equal(ProxyCommand.Local, local.Command);
        Assert.Equal(ProxyFamily.Unspec, local.Family);
    }

    [Theory]
    [InlineData(0x11, 11)]
    [InlineData(0x12, 0)]
    [InlineData(0x21, 35)]
    [InlineData(0x22, 12)]
    [InlineData(0x31, 215)]
    [InlineData(0x32, 36)]
    public void Proxy_length_must_cover_the_address_block(byte familyByte, int length)
    {
        byte[] header = V2Raw.Build(0x21, familyByte, new byte[length]);
        ParseAssert.Invalid(header, ProxyParseError.V2LengthTooShortForAddresses);
        // Decided from the length field alone.
        ParseAssert.Invalid(header[..16], ProxyParseError.V2LengthTooShortForAddresses);
    }

    [Fact]
    public void Header_larger_than_the_default_4_KiB_is_invalid_as_soon_as_the_length_is_read()
    {
        Assert.Equal(4096, new ProxyHeaderParserOptions().MaxHeaderSize);
        ParseAssert.Complete(V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x04, new byte[4096 - 16 - 12 - 3])));
        byte[] tooLarge = V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x04, new byte[4096 - 16 - 12 - 3 + 1]));
        ParseAssert.Invalid(tooLarge, ProxyParseError.V2HeaderTooLarge);
        ParseAssert.Invalid(tooLarge[..16], ProxyParseError.V2HeaderTooLarge);
        ParseAssert.Invalid(V2Raw.Build(0x20, 0x00, 0xFFFF, []), ProxyParseError.V2HeaderTooLarge);
    }

    [Fact]
    public void Maximum_header_size_is_configurable()
    {
        var small = new ProxyHeaderParser(new ProxyHeaderParserOptions { MaxHeaderSize = 64 });
        Assert.Equal(64, small.MaxHeaderSize);
        ParseAssert.Complete(V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x04, new byte[33])), parser: small);
        ParseAssert.Invalid(V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x04, new byte[34])), ProxyParseError.V2HeaderTooLarge, small);

        var large = new ProxyHeaderParser(new ProxyHeaderParserOptions { MaxHeaderSize = ProxyHeaderParserOptions.LargestPossibleHeader });
        ParseAssert.Complete(V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x04, new byte[65535 - 12 - 3])), parser: large);
    }

    [Fact]
    public void Maximum_header_size_is_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyHeaderParserOptions { MaxHeaderSize = 15 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyHeaderParserOptions { MaxHeaderSize = 70000 });
    }

    [Fact]
    public void Payload_after_the_header_is_not_consumed()
    {
        byte[] header = V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block());
        ProxyParseResult r = ProxyHeaderParser.Default.Parse([.. header, 0x0D, 0x0A, 1, 2, 3]);
        Assert.Equal(ProxyParseStatus.Complete, r.Status);
        Assert.Equal(header.Length, r.BytesConsumed);
    }

    [Fact]
    public void Incomplete_body_needs_more()
    {
        byte[] header = V2Raw.Build(0x21, 0x21, V2Raw.IPv6Block(), V2Raw.Tlv(0x01, "h2"));
        for (int k = 0; k < header.Length; k++)
        {
            ParseAssert.NeedMore(header[..k]);
        }
    }
}
