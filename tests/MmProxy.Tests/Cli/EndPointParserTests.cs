using System.Net;
using MmProxy.Cli;

namespace MmProxy.Tests.Cli;

public sealed class EndPointParserTests
{
    [Theory]
    [InlineData("127.0.0.1:443", "127.0.0.1:443")]
    [InlineData("[::1]:443", "[::1]:443")]
    [InlineData("[2001:db8::5]:0", "[2001:db8::5]:0")]
    [InlineData(":8443", "[::]:8443")]
    [InlineData("localhost:80", "127.0.0.1:80")]
    [InlineData("0.0.0.0:65535", "0.0.0.0:65535")]
    public void Parses_go_addresses(string text, string expected)
    {
        Assert.True(EndPointParser.TryParse(text, out IPEndPoint? endPoint, out string? problem), problem);
        Assert.Equal(expected, endPoint!.ToString());
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:0")]
    [InlineData("::1", "[::1]:0")]
    [InlineData("[::1]", "[::1]:0")]
    [InlineData("127.0.0.1:8080", "127.0.0.1:8080")]
    [InlineData("[::1]:443", "[::1]:443")]
    public void A_target_may_be_an_address_alone_which_is_port_0(string text, string expected)
    {
        Assert.True(EndPointParser.TryParseTarget(text, out IPEndPoint? endPoint, out string? problem), problem);
        Assert.Equal(expected, endPoint!.ToString());
    }

    [Theory]
    [InlineData("443")] // a port typed without its address is not 0.0.1.187
    [InlineData("127.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("fe80::1%lo")]
    public void A_port_less_target_is_a_strict_address(string text) =>
        Assert.False(EndPointParser.TryParseTarget(text, out _, out _));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("::1:443")]
    [InlineData("[127.0.0.1]:443")]
    [InlineData("example.com:443")]
    [InlineData("1.2.3:443")]
    [InlineData("[::1]:")]
    public void Rejects_other_forms(string text)
    {
        Assert.False(EndPointParser.TryParse(text, out _, out string? problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }
}
