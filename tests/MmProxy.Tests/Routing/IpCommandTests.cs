using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

public sealed class IpCommandTests
{
    [Fact]
    public void Format_quotes_only_what_the_shell_would_split()
    {
        Assert.Equal("ip -4 rule add from 127.0.0.1/8 iif lo table 123",
            IpCommand.Format("ip", ["-4", "rule", "add", "from", "127.0.0.1/8", "iif", "lo", "table", "123"]));
        Assert.Equal("ip 'a b' '' 'it'\\''s'", IpCommand.Format("ip", ["a b", "", "it's"]));
    }

    [Fact]
    public async Task Runs_ip_and_captures_its_output()
    {
        IpCommandResult result = await new IpCommand().RunAsync("-V");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("iproute2", result.StdOut + result.StdErr, StringComparison.Ordinal);
        Assert.Equal("ip -V", result.CommandLine);
    }

    [Fact]
    public async Task A_failing_command_is_a_result_with_its_error_line()
    {
        IpCommandResult result = await new IpCommand().RunAsync("route", "get", "not-an-address");
        Assert.False(result.Succeeded);
        Assert.NotEqual(0, result.ExitCode);
        Assert.NotEmpty(result.FirstErrorLine);
    }

    [Fact]
    public async Task A_missing_executable_is_a_result_not_an_exception()
    {
        IpCommandResult result = await new IpCommand("/nonexistent/ip").RunAsync("-V");
        Assert.Equal(-1, result.ExitCode);
        Assert.Contains("install iproute2", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hanging_command_is_killed_at_the_deadline()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        IpCommandResult result = await new IpCommand("sleep", TimeSpan.FromMilliseconds(200)).RunAsync("30");
        Assert.Equal(-1, result.ExitCode);
        Assert.Contains("did not finish", result.StdErr, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }
}
