using MmProxy.EndToEnd.Tests.Hardening.Support;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Hardening;

/// <summary>
/// Start-up under a tiny open-file limit (prlimit execs the proxy: same PID). Found here: below
/// about 90 descriptors the runtime aborted (exit 134: "Too many open files" from the console,
/// "Failed to create the thread pool Gate thread ... OutOfMemoryException", or an assembly that
/// could not be loaded) without saying why. Now it checks the limit first thing and exits 1 naming
/// the limit and the fix. A low soft limit alone is no problem: CoreCLR raises it to the hard limit
/// before Main, as the Go runtime does for go-mmproxy. (Below about 25 the .NET host itself fails
/// before any of mmproxy's code runs.)
/// </summary>
public sealed class OpenFileLimitHardeningTests
{
    [Theory]
    [InlineData(30)]
    [InlineData(60)]
    [InlineData(127)]
    public async Task Too_low_an_open_file_limit_exits_1_naming_the_limit_and_the_fix(int limit)
    {
        Assert.False(ProxyBinary.IsPeer, $"the open-file-limit check is mmproxy's own; the peer {ProxyBinary.Path} has none");
        CommandResult result = await Command.RunAsync("prlimit",
            [$"--nofile={limit}:{limit}", ProxyBinary.Path, "-l", "127.0.0.1:0", "-4", "127.0.0.1:1", "-6", "[::1]:1"],
            TimeSpan.FromSeconds(15));

        Assert.True(result.ExitCode == 1, $"expected exit status 1\n{result}");
        Assert.Contains($"the open file limit (RLIMIT_NOFILE) is {limit}", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("LimitNOFILE=", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("ulimit -n", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("exception", result.StdErr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public Task A_low_soft_limit_is_raised_to_the_hard_limit_and_the_proxy_serves() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        BackgroundProcess proxy = await ProxyLauncher.StartAsync(net, ProxyLauncher.Arguments(),
            wrapper: ["prlimit", "--nofile=60:4096"]);

        string limits = File.ReadAllText($"/proc/{proxy.Id}/limits");
        Assert.Matches(@"Max open files\s+4096\s+4096\s", limits);
        await RelayProbe.AssertRelaysAsync(net, upstream, "with the soft limit raised from 60");
        Assert.False(proxy.HasExited, $"the proxy exited (code {(proxy.HasExited ? proxy.ExitCode : 0)})");
    });
}
