using System.CommandLine;
using System.Net;
using MmProxy.Cli;
using MmProxy.Hosting;

namespace MmProxy.Tests.Cli;

/// <summary>--metrics, --quiet and --shutdown-timeout in every spelling a go-mmproxy user may type.</summary>
public sealed class OperationsCommandLineTests
{
    private static (OperationsOptions Options, ParseResult Result) Parse(params string[] args)
    {
        var operations = new OperationsCommandLine();
        var root = new RootCommand();
        new ProxyCommandLine().AddTo(root);
        operations.AddTo(root);
        ParseResult result = CommandLineApp.Parse(root, args);
        // Like the app: options are read only from a parse without errors.
        return (result.Errors.Count == 0 ? operations.ToOperationsOptions(result) : OperationsOptions.Default, result);
    }

    [Fact]
    public void Defaults_are_no_metrics_checks_on_and_a_30_second_drain()
    {
        (OperationsOptions o, ParseResult r) = Parse();
        Assert.Empty(r.Errors);
        Assert.Null(o.MetricsEndPoint);
        Assert.False(o.Quiet);
        Assert.Equal(TimeSpan.FromSeconds(30), o.ShutdownTimeout);
    }

    [Theory]
    [InlineData("--metrics", "127.0.0.1:9100", "--shutdown-timeout", "5s", "--quiet")]
    [InlineData("-metrics", "127.0.0.1:9100", "-shutdown-timeout", "5", "-quiet")]
    [InlineData("--metrics=127.0.0.1:9100", "--shutdown-timeout=5000ms", "--quiet")]
    [InlineData("-metrics=127.0.0.1:9100", "-shutdown-timeout=5s", "-quiet")]
    public void Every_spelling_parses(params string[] args)
    {
        (OperationsOptions o, ParseResult r) = Parse(["-l", "0.0.0.0:8443", .. args]);
        Assert.True(r.Errors.Count == 0, string.Join("; ", r.Errors.Select(e => e.Message)));
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9100"), o.MetricsEndPoint);
        Assert.Equal(TimeSpan.FromSeconds(5), o.ShutdownTimeout);
        Assert.True(o.Quiet);
    }

    [Fact]
    public void Zero_shutdown_timeout_means_close_at_once_and_ipv6_metrics_need_brackets()
    {
        (OperationsOptions o, ParseResult r) = Parse("--shutdown-timeout", "0", "--metrics", "[::1]:9100");
        Assert.Empty(r.Errors);
        Assert.Equal(TimeSpan.Zero, o.ShutdownTimeout);
        Assert.Equal(IPEndPoint.Parse("[::1]:9100"), o.MetricsEndPoint);
    }

    [Theory]
    [InlineData("--metrics", "9100", "--metrics: invalid address '9100'")]
    [InlineData("--metrics", "::1:9100", "--metrics: invalid address '::1:9100'")]
    [InlineData("--shutdown-timeout", "soon", "--shutdown-timeout: invalid duration 'soon'")]
    public void Invalid_values_are_usage_errors_that_name_the_flag(string flag, string value, string message)
    {
        (_, ParseResult r) = Parse(flag, value);
        Assert.Contains(r.Errors, e => e.Message.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Check_and_routing_subcommands_take_go_style_flags()
    {
        RootCommand root = CommandLineApp.CreateRootCommand(new ProxyCommandLine());
        Assert.Empty(CommandLineApp.Parse(root, ["check", "-l", "0.0.0.0:8443", "-4", "127.0.0.1:443", "-mark", "7", "-allowed-subnets", "/etc/x", "--table", "200"]).Errors);
        Assert.Empty(CommandLineApp.Parse(root, ["check", "-mark=7", "-listen-addr=0.0.0.0:8443"]).Errors);
        Assert.Empty(CommandLineApp.Parse(root, ["routing", "apply", "--table", "200", "--mark", "0x10"]).Errors);
        Assert.Empty(CommandLineApp.Parse(root, ["routing", "print"]).Errors);
        Assert.NotEmpty(CommandLineApp.Parse(root, ["routing", "apply", "--table", "254"]).Errors);
        Assert.NotEmpty(CommandLineApp.Parse(root, ["routing", "apply", "--table", "0"]).Errors);
        Assert.NotEmpty(CommandLineApp.Parse(root, ["routing", "bogus"]).Errors);
    }
}
