using System.Net;

namespace MmProxy.ProxyProtocol.Tests;

public sealed class AddressTests
{
    [Theory]
    [InlineData("192.0.2.1", 1234, "192.0.2.1:1234")]
    [InlineData("0.0.0.0", 0, "0.0.0.0:0")]
    [InlineData("2001:db8::1", 443, "[2001:db8::1]:443")]
    [InlineData("::", 1, "[::]:1")]
    [InlineData("::1", 1, "[::1]:1")]
    [InlineData("::ffff:192.0.2.1", 80, "[::ffff:192.0.2.1]:80")]
    [InlineData("2001:db8:0:0:1:0:0:1", 80, "[2001:db8::1:0:0:1]:80")]
    [InlineData("2001:0:0:1:0:0:0:1", 80, "[2001:0:0:1::1]:80")]
    [InlineData("1:2:3:4:5:6:7:8", 80, "[1:2:3:4:5:6:7:8]:80")]
    [InlineData("1:0:3:4:5:6:7:8", 80, "[1:0:3:4:5:6:7:8]:80")]
    [InlineData("::1.2.3.4", 80, "[::1.2.3.4]:80")]
    [InlineData("::ffff:0:1.2.3.4", 80, "[::ffff:0:1.2.3.4]:80")]
    [InlineData("fe80::5efe:1.2.3.4", 80, "[fe80::5efe:1.2.3.4]:80")]
    [InlineData("2001:db8:1:2:0:5efe:1.2.3.4", 80, "[2001:db8:1:2:0:5efe:1.2.3.4]:80")]
    [InlineData("::ffff:0.0.0.1", 80, "[::ffff:0:1]:80")]
    public void Formats_like_ip_endpoint(string address, int port, string expected)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        ProxyAddress a = ProxyAddress.FromIPEndPoint(endPoint);
        Assert.Equal(expected, a.ToString());
        Assert.Equal(endPoint.ToString(), a.ToString());
        Assert.Equal(endPoint, a.ToIPEndPoint());
        Assert.Equal((ushort)port, a.Port);
    }

    [Fact]
    public void Random_ipv6_addresses_format_like_ipaddress()
    {
        var random = new Random(42);
        var bytes = new byte[16];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(bytes);
            // Many zero groups, so that compression choices are exercised.
            for (int g = 0; g < 8; g++)
            {
                if (random.Next(2) == 0)
                {
                    bytes[g * 2] = 0;
                    bytes[(g * 2) + 1] = 0;
                }
            }

            var ip = new IPAddress(bytes);
            Assert.Equal(new IPEndPoint(ip, 9).ToString(), ProxyAddress.FromAddressBytes(bytes, 9).ToString());
        }
    }

    [Fact]
    public void Try_format_reports_a_short_buffer()
    {
        ProxyAddress a = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::1]:443"));
        Assert.False(a.TryFormat(new char[5], out _));
        Span<char> buffer = stackalloc char[64];
        Assert.True(a.TryFormat(buffer, out int n));
        Assert.Equal("[2001:db8::1]:443", buffer[..n].ToString());
    }

    [Fact]
    public void Address_bytes_and_kinds()
    {
        ProxyAddress v4 = ProxyAddress.FromAddressBytes([192, 0, 2, 1], 5);
        Assert.Equal(ProxyAddressKind.IPv4, v4.Kind);
        Span<byte> bytes = stackalloc byte[16];
        Assert.True(v4.TryWriteAddressBytes(bytes, out int written));
        Assert.Equal(4, written);
        Assert.Equal(new byte[] { 192, 0, 2, 1 }, bytes[..4].ToArray());
        Assert.False(v4.TryWriteAddressBytes(new byte[3], out _));

        ProxyAddress unix = ProxyAddress.FromUnixPath("/run/x.sock");
        Assert.Equal(ProxyAddressKind.Unix, unix.Kind);
        Assert.Equal("/run/x.sock", unix.ToString());
        Assert.False(unix.TryWriteAddressBytes(bytes, out _));
        Assert.Throws<InvalidOperationException>(() => unix.ToIPAddress());

        Assert.Equal(ProxyAddressKind.None, ProxyAddress.None.Kind);
        Assert.Equal(string.Empty, ProxyAddress.None.ToString());
    }

    [Fact]
    public void Equality()
    {
        ProxyAddress a = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:1"));
        Assert.Equal(a, ProxyAddress.FromAddressBytes([192, 0, 2, 1], 1));
        Assert.NotEqual(a, ProxyAddress.FromAddressBytes([192, 0, 2, 1], 2));
        Assert.NotEqual(a, ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[::ffff:192.0.2.1]:1")));
        Assert.True(ProxyAddress.FromUnixPath("/a") == ProxyAddress.FromUnixPath("/a"));
        Assert.True(ProxyAddress.FromUnixPath("/a") != ProxyAddress.FromUnixPath("/b"));
        Assert.Equal(a.GetHashCode(), ProxyAddress.FromAddressBytes([192, 0, 2, 1], 1).GetHashCode());
    }

    [Fact]
    public void Header_tlvs_are_never_null()
    {
        ProxyHeader empty = default;
        Assert.NotNull(empty.Tlvs);
        Assert.Empty(empty.Tlvs);
    }

    [Fact]
    public void Every_error_has_a_distinct_message()
    {
        ProxyParseError[] errors = Enum.GetValues<ProxyParseError>();
        string[] messages = errors.Select(e => e.ToMessage()).ToArray();
        Assert.DoesNotContain("unknown error", messages);
        Assert.Equal(messages.Length, messages.Distinct().Count());
        Assert.Equal("v1: port out of range", ProxyParseError.V1PortOutOfRange.ToMessage());
        Assert.Equal("v1: TCP4 with IPv6 address", ProxyParseError.V1Tcp4WithIPv6Address.ToMessage());
        Assert.Equal("v1: no CRLF within 107 bytes", ProxyParseError.V1MissingCrlf.ToMessage());
    }
}
