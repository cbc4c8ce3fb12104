using System.CommandLine;
using System.CommandLine.Parsing;
using MmProxy.Cli;

namespace MmProxy.Tests.Cli;

public sealed class ConfigCommandLineTests
{
    private static ParseResult Parse(params string[] args) =>
        CommandLineApp.Parse(CommandLineApp.CreateRootCommand(new ProxyCommandLine()), args);

    [Theory]
    [InlineData("--config", "/etc/mmproxy.json")]
    [InlineData("-config", "/etc/mmproxy.json")]
    [InlineData("--config", "/etc/mmproxy.json", "-v", "2", "--log-format", "json")]
    [InlineData("--config", "/etc/mmproxy.json", "--quiet", "--metrics", "127.0.0.1:9100")]
    public void Config_combines_with_process_wide_flags(params string[] args)
    {
        ParseResult result = Parse(args);
        Assert.True(result.Errors.Count == 0, string.Join("; ", result.Errors.Select(e => e.Message)));
    }

    [Theory]
    [InlineData("-l", "0.0.0.0:1")]
    [InlineData("-4", "127.0.0.1:1")]
    [InlineData("-6", "[::1]:1")]
    [InlineData("-p", "udp")]
    [InlineData("-allowed-subnets", "x.txt")]
    [InlineData("-listeners", "2")]
    [InlineData("-mark", "1")]
    [InlineData("-close-after", "5")]
    [InlineData("--header-timeout", "5s")]
    [InlineData("--idle-timeout", "5s")]
    [InlineData("--max-udp-flows", "5")]
    public void Listener_flags_and_config_are_a_usage_error_naming_the_flag(string flag, string value)
    {
        ParseResult result = Parse("--config", "/etc/mmproxy.json", flag, value);
        ParseError error = Assert.Single(result.Errors);
        Assert.Contains("cannot be combined with --config", error.Message, StringComparison.Ordinal);
        Assert.Contains(flag.TrimStart('-'), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_error_exits_2()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exitCode = await CommandLineApp.RunAsync(["--config", "/etc/mmproxy.json", "-l", "0.0.0.0:1"], output, error);
        Assert.Equal(2, exitCode);
        Assert.Contains("-l cannot be combined with --config", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broken_config_exits_1_naming_the_field()
    {
        string path = Path.Combine(Path.GetTempPath(), "mmt-cli-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, """{"listeners": [{"name": "w", "listen": "0.0.0.0:1", "mark": -1}]}""");
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            int exitCode = await CommandLineApp.RunAsync(["--config", path], output, error);
            Assert.Equal(1, exitCode);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
