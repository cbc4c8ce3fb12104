using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests;

/// <summary>`mmproxy demo` builds its own namespace, runs the proxy and prints a verdict per connection.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_exits_zero_with_a_verdict_per_connection()
    {
        Assert.True(MmProxy.Interop.NetworkNamespace.RunningAsRoot, "the demo test needs root (it creates a network namespace)");
        // A peer has no demo subcommand; go-mmproxy would ignore the word and listen on the host's
        // 0.0.0.0:8443 until killed, so do not run it at all.
        Assert.False(ProxyBinary.IsPeer, $"`demo` is mmproxy's own subcommand; the peer {ProxyBinary.Path} has none");
        CommandResult r = await Command.RunAsync(ProxyBinary.Path, ["demo"], TimeSpan.FromSeconds(30));

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("upstream saw 203.0.113.7:41000 — as sent", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("upstream saw [2001:db8::7]:41001 — as sent", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("upstream saw 198.51.100.23:41002 — as sent", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("upstream saw [2001:db8:beef::23]:41003 — as sent", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("not spoofed, as a LOCAL header requires", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("5/5 verdicts hold", r.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", r.StdOut, StringComparison.Ordinal);

        // The demo removes what it created.
        System.Text.RegularExpressions.Match created = System.Text.RegularExpressions.Regex.Match(r.StdOut, @"ip netns add (\S+)");
        Assert.True(created.Success, "the demo did not print the namespace it created:\n" + r.StdOut);
        CommandResult namespaces = await Command.CheckAsync("ip", "netns", "list");
        Assert.DoesNotContain(created.Groups[1].Value + " ", namespaces.StdOut + " ", StringComparison.Ordinal);
    }
}
