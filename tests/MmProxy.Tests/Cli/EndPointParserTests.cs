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
