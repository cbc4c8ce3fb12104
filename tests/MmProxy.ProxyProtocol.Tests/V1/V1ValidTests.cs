using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.V1;

public sealed class V1ValidTests
{
    private const string MaxV6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

    [Theory]
    // Spec 2.1 examples.
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", ProxyFamily.Tcp4, "192.168.0.1:56324", "192.168.0.11:443")]
    [InlineData("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n", ProxyFamily.Tcp4, "255.255.255.255:65535", "255.255.255.255:65535")]
    [InlineData("PROXY TCP6 " + MaxV6 + " " + MaxV6 + " 65535 65535\r\n", ProxyFamily.Tcp6, "[" + MaxV6 + "]:65535", "[" + MaxV6 + "]:65535")]
    [InlineData("PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n", ProxyFamily.Tcp4, "0.0.0.0:0", "10.0.0.1:0")]
    [InlineData("PROXY TCP4 192.0.2.1 198.51.100.2 1 65535\r\n", ProxyFamily.Tcp4, "192.0.2.1:1", "198.51.100.2:65535")]
    [InlineData("PROXY TCP6 2001:db8::1 2001:db8::2 1234 443\r\n", ProxyFamily.Tcp6, "[2001:db8::1]:1234", "[2001:db8::2]:443")]
    [InlineData("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 1 2\r\n", ProxyFamily.Tcp6, "[2001:db8::1]:1", "[::1]:2")]
    [InlineData("PROXY TCP6 :: 0::0 1 2\r\n", ProxyFamily.Tcp6, "[::]:1", "[::]:2")]
    [InlineData("PROXY TCP6 ::ffff:192.0.2.1 ::FFFF:198.51.100.2 80 8080\r\n", ProxyFamily.Tcp6, "[::ffff:192.0.2.1]:80", "[::ffff:198.51.100.2]:8080")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:: ::2:3:4:5:6:7:8 1 2\r\n", ProxyFamily.Tcp6, "[1:2:3:4:5:6:7:0]:1", "[0:2:3:4:5:6:7:8]:2")]
    [InlineData("PROXY TCP6 0001:0db8::0001 1:2:3:4:5:6:1.2.3.4 1 2\r\n", ProxyFamily.Tcp6, "[1:db8::1]:1", "[1:2:3:4:5:6:102:304]:2")]
    public void Tcp_lines_decode(string line, ProxyFamily family, string source, string destination)
    {
        ProxyHeader h = ParseAssert.Complete(line);
        Assert.Equal(ProxyVersion.V1, h.Version);
        Assert.Equal(ProxyCommand.Proxy, h.Command);
        Assert.Equal(family, h.Family);
        Assert.Equal(source, h.Source.ToString());
        Assert.Equal(destination, h.Destination.ToString());
        Assert.True(h.HasClientAddress);
        Assert.False(h.IsDatagram);
        Assert.Empty(h.Tlvs);
        Assert.False(h.HasCrc32C);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN " + MaxV6 + " " + MaxV6 + " 65535 65535\r\n")] // spec's 107-byte worst case
    [InlineData("PROXY UNKNOWN anything at all \t\x01\n goes\r\n")]
    [InlineData("PROXY UNKNOWN \r\n")]
    public void Unknown_accepts_anything_up_to_crlf(string line)
    {
        ProxyHeader h = ParseAssert.Complete(line);
        Assert.Equal(ProxyFamily.Unknown, h.Family);
        Assert.Equal(ProxyAddressKind.None, h.Source.Kind);
        Assert.Equal(ProxyAddressKind.None, h.Destination.Kind);
        Assert.False(h.HasClientAddress);
    }

    [Fact]
    public void Spec_worst_case_is_exactly_107_bytes()
    {
        string line = "PROXY UNKNOWN " + MaxV6 + " " + MaxV6 + " 65535 65535\r\n";
        Assert.Equal(ProxyHeaderParser.V1MaxLength, line.Length);
        ParseAssert.Complete(line);
    }

    [Fact]
    public void Payload_after_the_line_is_not_consumed()
    {
        byte[] input = Bytes.Ascii("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\nGET / HTTP/1.1\r\n\r\n");
        ProxyParseResult r = ProxyHeaderParser.Default.Parse(input);
        Assert.Equal(ProxyParseStatus.Complete, r.Status);
        Assert.Equal(36, r.BytesConsumed);
    }

    [Fact]
    public void Longest_tcp6_line_with_full_addresses_is_104_bytes()
    {
        string line = "PROXY TCP6 " + MaxV6 + " " + MaxV6 + " 65535 65535\r\n";
        Assert.Equal(104, line.Length);
        Assert.Equal(104, ParseAssert.Complete(line).Length);
    }

    [Theory]
    [InlineData("P")]
    [InlineData("PROXY")]
    [InlineData("PROXY ")]
    [InlineData("PROXY TCP")]
    [InlineData("PROXY TCP4 192.0.2.1")]
    [InlineData("PROXY TCP4 192.0.2.1 192.0.2.2 1 2")]
    [InlineData("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r")]
    [InlineData("PROXY UNKNOWN")]
    [InlineData("PROXY UNKNOWN xyz\r")]
    public void Partial_lines_need_more(string partial) => ParseAssert.NeedMore(Bytes.Ascii(partial));
}
