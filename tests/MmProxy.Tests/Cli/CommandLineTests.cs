using System.CommandLine;
using System.Net;
using MmProxy.Cli;
using MmProxy.Configuration;

namespace MmProxy.Tests.Cli;

public sealed class CommandLineTests
{
    private static ProxyOptions Parse(params string[] args)
    {
        var options = new ProxyCommandLine();
        RootCommand root = CommandLineApp.CreateRootCommand(options);
        ParseResult result = CommandLineApp.Parse(root, args);
        Assert.True(result.Errors.Count == 0, string.Join("; ", result.Errors.Select(e => e.Message)));
        return options.ToProxyOptions(result);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exitCode = await CommandLineApp.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void Defaults_match_go_mmproxy()
    {
        ProxyOptions o = Parse();
        Assert.Equal(TransportProtocol.Tcp, o.Protocol);
        Assert.Equal(IPEndPoint.Parse("0.0.0.0:8443"), o.ListenEndPoint);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:443"), o.TargetV4);
        Assert.Equal(IPEndPoint.Parse("[::1]:443"), o.TargetV6);
        Assert.Null(o.AllowedSubnetsPath);
        Assert.Equal(1, o.Listeners);
        Assert.Equal(0u, o.Mark);
        Assert.Equal(TimeSpan.FromSeconds(60), o.CloseAfter);
        Assert.Equal(Verbosity.Quiet, o.Verbosity);
        Assert.Equal(TimeSpan.FromSeconds(5), o.HeaderTimeout);
        Assert.Equal(4096, o.MaxHeaderSize);
        Assert.Equal(TimeSpan.FromSeconds(5), o.ConnectTimeout);
        Assert.Null(o.IdleTimeout);
        Assert.Null(o.Backlog);
        Assert.Equal(LogFormat.Text, o.LogFormat);
    }

    public static TheoryData<string[]> GoSyntaxes => new()
    {
        { ["-l", "127.0.0.1:9000", "-4", "127.0.0.1:80", "-6", "[::1]:80", "-p", "udp", "-allowed-subnets", "/etc/s", "-listeners", "3", "-mark", "7", "-close-after", "30", "-v", "2"] },
        { ["--l", "127.0.0.1:9000", "--4", "127.0.0.1:80", "--6", "[::1]:80", "--p", "udp", "--allowed-subnets", "/etc/s", "--listeners", "3", "--mark", "7", "--close-after", "30", "--v", "2"] },
        { ["-l=127.0.0.1:9000", "-4=127.0.0.1:80", "-6=[::1]:80", "-p=udp", "-allowed-subnets=/etc/s", "-listeners=3", "-mark=7", "-close-after=30", "-v=2"] },
        { ["--l=127.0.0.1:9000", "--4=127.0.0.1:80", "--6=[::1]:80", "--p=udp", "--allowed-subnets=/etc/s", "--listeners=3", "--mark=7", "--close-after=30", "--v=2"] },
        // mmproxy-rs names
        { ["--listen-addr", "127.0.0.1:9000", "--ipv4", "127.0.0.1:80", "--ipv6", "[::1]:80", "--protocol", "udp", "-a", "/etc/s", "--listeners", "3", "-m", "7", "-c", "30", "-v", "2"] },
        { ["--listen-addr=127.0.0.1:9000", "--ipv4=127.0.0.1:80", "--ipv6=[::1]:80", "--protocol=udp", "--allowed-subnets", "/etc/s", "--listeners", "3", "--mark", "7", "--close-after", "30", "-v", "2"] },
    };

    [Theory]
    [MemberData(nameof(GoSyntaxes))]
    public void Every_flag_syntax_gives_the_same_options(string[] args)
    {
        ProxyOptions o = Parse(args);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9000"), o.ListenEndPoint);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:80"), o.TargetV4);
        Assert.Equal(IPEndPoint.Parse("[::1]:80"), o.TargetV6);
        Assert.Equal(TransportProtocol.Udp, o.Protocol);
        Assert.Equal("/etc/s", o.AllowedSubnetsPath);
        Assert.Equal(3, o.Listeners);
        Assert.Equal(7u, o.Mark);
        Assert.Equal(TimeSpan.FromSeconds(30), o.CloseAfter);
        Assert.Equal(Verbosity.StateChanges, o.Verbosity);
    }

    [Fact]
    public void Our_long_options_parse()
    {
        ProxyOptions o = Parse("--header-timeout", "500ms", "--max-header-size=1024", "--connect-timeout", "2s",
            "--idle-timeout", "1m", "--backlog", "128", "--log-format", "json");
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.HeaderTimeout);
        Assert.Equal(1024, o.MaxHeaderSize);
        Assert.Equal(TimeSpan.FromSeconds(2), o.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), o.IdleTimeout);
        Assert.Equal(128, o.Backlog);
        Assert.Equal(LogFormat.Json, o.LogFormat);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("off")]
    public void Idle_timeout_zero_or_off_disables_it(string value) => Assert.Null(Parse("--idle-timeout", value).IdleTimeout);

    [Theory]
    [InlineData("0x10", 16u)]
    [InlineData("010", 8u)]
    [InlineData("4294967295", 4294967295u)]
    public void Mark_takes_go_integer_forms(string value, uint expected) => Assert.Equal(expected, Parse("-mark", value).Mark);

    [Fact]
    public void Colon_port_listens_on_every_address() =>
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Any, 8443), Parse("-l", ":8443").ListenEndPoint);

    [Fact]
    public void The_last_of_repeated_flags_wins_as_in_go()
    {
        ProxyOptions o = Parse("-v", "1", "-4", "127.0.0.1:1", "--v=2", "--ipv4", "127.0.0.2:2", "-a", "x", "-allowed-subnets=y");
        Assert.Equal(Verbosity.StateChanges, o.Verbosity);
        Assert.Equal(IPEndPoint.Parse("127.0.0.2:2"), o.TargetV4);
        Assert.Equal("y", o.AllowedSubnetsPath);
    }

    [Theory]
    [InlineData(new[] { "-l", "nonsense" }, "-l")]
    [InlineData(new[] { "-4=1.2.3.4" }, "-4")]
    [InlineData(new[] { "-6", "[::1]" }, "-6")]
    [InlineData(new[] { "-p", "sctp" }, "-p")]
    [InlineData(new[] { "-v", "3" }, "-v")]
    [InlineData(new[] { "-v=-1" }, "-v")]
    [InlineData(new[] { "-listeners", "0" }, "--listeners")]
    [InlineData(new[] { "-mark", "4294967296" }, "--mark")]
    [InlineData(new[] { "-mark", "abc" }, "--mark")]
    [InlineData(new[] { "-close-after", "0" }, "--close-after")]
    [InlineData(new[] { "--header-timeout", "5x" }, "--header-timeout")]
    [InlineData(new[] { "--max-header-size", "10" }, "--max-header-size")]
    [InlineData(new[] { "--backlog", "-5" }, "--backlog")]
    [InlineData(new[] { "--log-format", "xml" }, "--log-format")]
    [InlineData(new[] { "-nonsense" }, "-nonsense")]
    [InlineData(new[] { "-l" }, "-l")]
    public async Task Bad_values_exit_2_naming_the_flag(string[] args, string flag)
    {
        (int exitCode, string output, string error) = await RunAsync(args);
        Assert.Equal(2, exitCode);
        Assert.Contains(flag, error, StringComparison.Ordinal);
        Assert.Contains("--help", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, output);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-help")]
    public async Task Help_documents_every_flag_and_exits_0(string flag)
    {
        (int exitCode, string output, _) = await RunAsync(flag);
        Assert.Equal(0, exitCode);
        foreach (string expected in new[]
        {
            "-l, --listen-addr", "-4, --ipv4", "-6, --ipv6", "-p, --protocol", "--allowed-subnets", "-a", "--listeners",
            "--mark", "-m", "--close-after", "-c", "-v", "--header-timeout", "--max-header-size", "--connect-timeout",
            "--idle-timeout", "--backlog", "--log-format", "0.0.0.0:8443", "127.0.0.1:443", "[::1]:443",
        })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        (int exitCode, string output, _) = await RunAsync("--version");
        Assert.Equal(0, exitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("demo")]
    [InlineData("check")]
    [InlineData("routing")]
    public void Subcommands_are_wired_into_the_root_command(string name)
    {
        RootCommand root = CommandLineApp.CreateRootCommand(new ProxyCommandLine());
        Assert.Contains(root.Subcommands, c => c.Name == name);
    }
}
