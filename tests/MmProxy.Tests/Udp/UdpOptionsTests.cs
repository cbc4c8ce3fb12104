using System.CommandLine;
using MmProxy.Cli;
using MmProxy.Configuration;

namespace MmProxy.Tests.Udp;

/// <summary>The UDP flags: -p udp, -close-after and --max-udp-flows in every spelling Go accepts.</summary>
public sealed class UdpOptionsTests
{
    private static ParseResult ParseRaw(params string[] args)
    {
        var options = new ProxyCommandLine();
        RootCommand root = CommandLineApp.CreateRootCommand(options);
        return CommandLineApp.Parse(root, args);
    }

    private static ProxyOptions Parse(params string[] args)
    {
        var options = new ProxyCommandLine();
        RootCommand root = CommandLineApp.CreateRootCommand(options);
        ParseResult result = CommandLineApp.Parse(root, args);
        Assert.Empty(result.Errors);
        return options.ToProxyOptions(result);
    }

    [Fact]
    public void Defaults_are_65536_flows_and_60_seconds()
    {
        ProxyOptions o = Parse("-p", "udp");
        Assert.Equal(TransportProtocol.Udp, o.Protocol);
        Assert.Equal(65536, o.MaxUdpFlows);
        Assert.Equal(TimeSpan.FromSeconds(60), o.CloseAfter);
    }

    [Theory]
    [InlineData("--max-udp-flows", "10")]
    [InlineData("-max-udp-flows", "10")]
    [InlineData("--max-udp-flows=10")]
    [InlineData("-max-udp-flows=10")]
    public void Max_udp_flows_in_every_spelling(params string[] flag)
    {
        ProxyOptions o = Parse(["-p", "udp", .. flag, "-close-after", "1"]);
        Assert.Equal(10, o.MaxUdpFlows);
        Assert.Equal(TimeSpan.FromSeconds(1), o.CloseAfter);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("many")]
    public void Max_udp_flows_must_be_a_positive_integer(string value)
    {
        Assert.NotEmpty(ParseRaw("-p", "udp", "--max-udp-flows", value).Errors);
    }
}
