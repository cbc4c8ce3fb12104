using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.V1;

public sealed class V1InvalidTests
{
    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("G")]
    [InlineData("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXX")]
    [InlineData("PROXY\r\n")]
    [InlineData("PROXY\tTCP4")]
    [InlineData("\x16\x03\x01")]
    public void Not_proxy_protocol_as_early_as_a_byte_proves_it(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.NotProxyProtocol);

    [Fact]
    public void Http_is_rejected_on_its_first_byte() =>
        Assert.Equal(ProxyParseStatus.Invalid, ProxyHeaderParser.Default.Parse("G"u8).Status);

    [Theory]
    [InlineData("PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY tcp4 1.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP 1.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP44 1.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY UNKNOWNX\r\n")]
    [InlineData("PROXY unknown\r\n")]
    [InlineData("PROXY UNKNOW\r\n")]
    public void Protocol_must_be_tcp4_tcp6_or_unknown(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1InvalidProtocol);

    [Theory]
    [InlineData("PROXY  TCP4 1.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4  1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1  2\r\n")]
    public void Fields_are_separated_by_exactly_one_space(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1InvalidSeparator);

    [Theory]
    [InlineData("PROXY TCP4\r\n")]
    [InlineData("PROXY \r\n")]
    [InlineData("PROXY TCP4 1.2.3.4\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 \r\n")]
    [InlineData("PROXY TCP6 ::1 ::1 1\r\n")]
    public void Missing_fields_are_invalid(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1UnexpectedEndOfLine);

    [Theory]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\r\n")]
    [InlineData("PROXY UNKNOWN\rfoo\r\n")]
    [InlineData("PROXY UNKNOWN abc\r\r")]
    public void Cr_not_followed_by_lf_is_invalid(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1CrWithoutLf);

    [Theory]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n")]
    public void Anything_after_the_destination_port_but_crlf_is_invalid(string input)
    {
        ProxyParseResult r = ProxyHeaderParser.Default.Parse(Bytes.Ascii(input));
        Assert.Equal(ProxyParseStatus.Invalid, r.Status);
        Assert.Contains(r.Error, new[] { ProxyParseError.V1UnexpectedField, ProxyParseError.V1InvalidDestinationPort });
    }

    [Fact]
    public void Extra_field_reason() =>
        ParseAssert.Invalid("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n", ProxyParseError.V1UnexpectedField);

    [Fact]
    public void Bare_lf_reason() =>
        ParseAssert.Invalid("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n", ProxyParseError.V1InvalidDestinationPort);

    [Theory]
    [InlineData("PROXY TCP4 256.1.1.1 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.04 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 00.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4.5 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1..3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4. 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 a.b.c.d 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.x 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 localhost 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4/8 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP6 2001:db8::1::2 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 2001:db8:::1 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 12345::1 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 :1 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1: ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 [::1] ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 ::ffff:1.2.3.256 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 ::1.2.3.4:5 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:1.2.3.4 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 g::1 ::1 1 2\r\n")]
    public void Invalid_source_addresses(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1InvalidSourceAddress);

    [Theory]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.256 1 2\r\n")]
    [InlineData("PROXY TCP6 ::1 ::1::1 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19 1 2\r\n")]
    public void Invalid_destination_addresses(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1InvalidDestinationAddress);

    [Theory]
    [InlineData("PROXY TCP4 2001:db8::1 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 ::1 1 2\r\n")]
    [InlineData("PROXY TCP4 ::ffff:1.2.3.4 1.2.3.4 1 2\r\n")]
    public void Tcp4_with_an_ipv6_address(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1Tcp4WithIPv6Address);

    [Theory]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 ::1 192.0.2.1 1 2\r\n")]
    public void Tcp6_with_an_ipv4_address(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1Tcp6WithIPv4Address);

    [Theory]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 99999 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 123456\r\n")]
    public void Port_out_of_range(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1PortOutOfRange);

    [Theory]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 00\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 0443\r\n")]
    public void Port_with_leading_zero(string input) =>
        ParseAssert.Invalid(input, ProxyParseError.V1PortLeadingZero);

    [Theory]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n", ProxyParseError.V1InvalidSourcePort)]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1x 2\r\n", ProxyParseError.V1InvalidSourcePort)]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 +1 2\r\n", ProxyParseError.V1InvalidSourcePort)]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 0x1\r\n", ProxyParseError.V1InvalidDestinationPort)]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 a\r\n", ProxyParseError.V1InvalidDestinationPort)]
    public void Ports_are_decimal(string input, ProxyParseError error) => ParseAssert.Invalid(input, error);

    [Fact]
    public void No_crlf_within_107_bytes()
    {
        ParseAssert.Invalid("PROXY UNKNOWN " + new string('x', 200), ProxyParseError.V1MissingCrlf);
        // 106 bytes then CR: the LF would be byte 108.
        ParseAssert.Invalid("PROXY UNKNOWN " + new string('x', 92) + "\r\n", ProxyParseError.V1MissingCrlf);
    }

    [Fact]
    public void A_106_byte_unknown_line_without_crlf_yet_needs_more() =>
        ParseAssert.NeedMore(Bytes.Ascii("PROXY UNKNOWN " + new string('x', 91) + "\r"));

    [Fact]
    public void An_ipv4_mapped_tcp6_line_longer_than_107_bytes_is_invalid()
    {
        const string A = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
        ParseAssert.Invalid("PROXY TCP6 " + A + " " + A + " 65535 65535\r\n", ProxyParseError.V1MissingCrlf);
    }
}
