using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using MmProxy.Cli;
using MmProxy.Configuration;
using MmProxy.Configuration.ConfigFile;

namespace MmProxy.Tests.Send;

/// <summary>mmproxy send's command line and the configuration file's "role": "send" listeners read the same settings and refuse the same mistakes.</summary>
public sealed class SendSettingsTests
{
    private static ParseResult Parse(params string[] args) =>
        CommandLineApp.Parse(CommandLineApp.CreateRootCommand(new ProxyCommandLine()), ["send", .. args]);

    private static ConfigLoadResult Config(string fields) =>
        ConfigFileLoader.Parse($$"""{"listeners": [{"listen": "0.0.0.0:8443", {{fields}}}]}""", "/etc/mmproxy/t.json", "/etc/mmproxy");

    [Fact]
    public void Send_flags_give_a_sending_listener_whose_targets_are_the_remote()
    {
        var cli = new ProxyCommandLine(ListenerRole.Send);
        var command = new RootCommand();
        cli.AddTo(command);
        ParseResult parsed = CommandLineApp.Parse(command, ["-p", "udp", "-l", "0.0.0.0:53", "-r", "[2001:db8::1]:5353", "--header", "spp"]);
        Assert.Empty(parsed.Errors);
        ProxyOptions o = cli.ToProxyOptions(parsed);
        Assert.Equal((ListenerRole.Send, TransportProtocol.Udp, SendHeaderFormat.Spp), (o.Role, o.Protocol, o.SendHeader));
        Assert.Equal(IPEndPoint.Parse("[2001:db8::1]:5353"), o.TargetV4);
        Assert.Equal(o.TargetV4, o.TargetV6);
    }

    [Theory]
    [InlineData("--header v1 is TCP only", "-p", "udp", "--header", "v1")]
    [InlineData("--header spp is UDP only", "--header", "spp")]
    [InlineData("TLVs of PROXY v2", "--header", "v1", "--crc32c")]
    [InlineData("TLVs of PROXY v2", "-p", "udp", "--header", "spp", "--unique-id")]
    [InlineData("--remote", "-l", "0.0.0.0:1")]
    [InlineData("--udp-header", "--udp-header", "spp")]
    [InlineData("-4", "-4", "127.0.0.1:1")]
    public void Send_refuses_what_cannot_work_and_says_why(string expected, params string[] args)
    {
        string[] full = args.Contains("-l") ? args : [.. args, "-r", "192.0.2.10:8443"];
        ParseResult parsed = Parse(full);
        Assert.Contains(parsed.Errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_sending_listener_in_the_file_forwards_every_port_to_the_remote()
    {
        ConfigLoadResult loaded = Config("""
            "role": "send", "protocol": "tcp", "remote": "192.0.2.10:8443", "header": "v1"
            """);
        Assert.True(loaded.Succeeded, loaded.Error);
        ProxyOptions o = Assert.Single(loaded.Config!.Units()).Options;
        Assert.Equal((ListenerRole.Send, SendHeaderFormat.V1), (o.Role, o.SendHeader));
        Assert.Equal(IPEndPoint.Parse("192.0.2.10:8443"), o.TargetV4);
        Assert.Equal(o.TargetV4, o.TargetV6);
        Assert.Empty(loaded.Warnings);
    }

    [Theory]
    [InlineData("\"role\": \"relay\"", "\"role\"")]
    [InlineData("\"role\": \"send\"", "\"remote\": missing")]
    [InlineData("\"role\": \"send\", \"remote\": \"192.0.2.10:1\", \"ipv4\": \"127.0.0.1:1\"", "\"ipv4\": belongs to a receiving listener")]
    [InlineData("\"remote\": \"192.0.2.10:1\"", "\"remote\": belongs to a sending listener")]
    [InlineData("\"role\": \"send\", \"protocol\": \"udp\", \"remote\": \"192.0.2.10:1\", \"header\": \"v1\"", "v1 is TCP only")]
    [InlineData("\"role\": \"send\", \"remote\": \"192.0.2.10:1\", \"header\": \"spp\"", "spp is UDP only")]
    [InlineData("\"role\": \"send\", \"remote\": \"192.0.2.10:1\", \"header\": \"v1\", \"crc32c\": true", "TLVs of PROXY v2")]
    public void A_sending_listener_in_the_file_refuses_what_cannot_work(string fields, string expected)
    {
        ConfigLoadResult loaded = Config(fields);
        Assert.False(loaded.Succeeded);
        Assert.Contains(expected, loaded.Error, StringComparison.Ordinal);
    }
}
