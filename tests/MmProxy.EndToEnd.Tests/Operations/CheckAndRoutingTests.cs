using System.Net;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Operations;

/// <summary>`mmproxy check` and `mmproxy routing apply|remove` against real namespaces.</summary>
public sealed class CheckAndRoutingTests
{
    private static readonly string[] Targets = ["-4", "127.0.0.1:7001", "-6", "[::1]:7001", "--connect-timeout", "1s"];

    private static string[] Lines(CommandResult r) => r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public Task Check_passes_where_the_routing_is_in_place() => E2E.RunAsync(async net =>
    {
        net.StartUpstream(Handlers.Echo);
        CommandResult r = await Command.RunAsync("ip", ["netns", "exec", net.ServerNs, ProxyBinary.Path, "check", .. Targets], TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = Lines(r);
        Assert.Equal(8, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("OK ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("spoofed connect from 192.0.2.1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("spoofed connect from 2001:db8::1", StringComparison.Ordinal));
    });

    [Fact]
    public async Task Check_fails_with_the_fix_until_routing_apply_and_remove_restores_the_tables()
    {
        if (!MmProxy.Interop.NetworkNamespace.RunningAsRoot)
        {
            Assert.Fail("needs root (network namespaces, IP_TRANSPARENT)");
        }

        await using BareNamespace ns = await BareNamespace.CreateAsync();
        ns.Listen(new IPEndPoint(IPAddress.Loopback, 7001));
        ns.Listen(new IPEndPoint(IPAddress.IPv6Loopback, 7001));
        string before = await ns.RoutingSnapshotAsync();

        CommandResult failing = await ns.RunProxyAsync(["check", .. Targets]);
        Assert.True(failing.ExitCode == 1, failing.ToString());
        string[] lines = Lines(failing);
        Assert.Contains(lines, l => l.StartsWith("OK      IP_TRANSPARENT", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("OK      IPv4 target 127.0.0.1:7001 (plain connect)", StringComparison.Ordinal));
        string v4Fix = "fix: ip -4 rule add from 127.0.0.1/8 iif lo table 123 && ip -4 route add local 0.0.0.0/0 dev lo table 123";
        string v6Fix = "fix: ip -6 rule add from ::1/128 iif lo table 123 && ip -6 route add local ::/0 dev lo table 123";
        Assert.Contains(lines, l => l.StartsWith("FAILED  IPv4 return route", StringComparison.Ordinal) && l.Contains(v4Fix, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("FAILED  IPv6 return route", StringComparison.Ordinal) && l.Contains(v6Fix, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("FAILED  IPv4 target 127.0.0.1:7001 (spoofed connect from 192.0.2.1): no reply within 1 s", StringComparison.Ordinal)
            && l.Contains(v4Fix, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("FAILED  IPv6 target [::1]:7001 (spoofed connect from 2001:db8::1): no reply within 1 s", StringComparison.Ordinal));

        CommandResult apply = await ns.RunProxyAsync("routing", "apply");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Equal(4, Lines(apply).Count(l => l.StartsWith("added ", StringComparison.Ordinal)));
        string applied = await ns.RoutingSnapshotAsync();

        CommandResult passing = await ns.RunProxyAsync(["check", .. Targets]);
        Assert.True(passing.ExitCode == 0, passing.ToString());
        Assert.All(Lines(passing), l => Assert.StartsWith("OK ", l, StringComparison.Ordinal));

        CommandResult again = await ns.RunProxyAsync("routing", "apply");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(4, Lines(again).Count(l => l.StartsWith("present ", StringComparison.Ordinal)));
        Assert.Equal(applied, await ns.RoutingSnapshotAsync());

        CommandResult remove = await ns.RunProxyAsync("routing", "remove");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal(before, await ns.RoutingSnapshotAsync());
        CommandResult failingAgain = await ns.RunProxyAsync(["check", .. Targets]);
        Assert.True(failingAgain.ExitCode == 1, failingAgain.ToString());
    }

    [Fact]
    public async Task Routing_with_a_mark_and_table_adds_the_fwmark_rule_and_check_sees_it()
    {
        if (!MmProxy.Interop.NetworkNamespace.RunningAsRoot)
        {
            Assert.Fail("needs root (network namespaces, IP_TRANSPARENT)");
        }

        await using BareNamespace ns = await BareNamespace.CreateAsync();
        ns.Listen(new IPEndPoint(IPAddress.Loopback, 7001));
        ns.Listen(new IPEndPoint(IPAddress.IPv6Loopback, 7001));
        CommandResult failing = await ns.RunProxyAsync(["check", "-mark", "7", "--table", "200", .. Targets]);
        Assert.True(failing.ExitCode == 1, failing.ToString());
        Assert.Contains(Lines(failing), l => l.StartsWith("FAILED  IPv4 fwmark 7 route", StringComparison.Ordinal)
            && l.Contains("ip -4 rule add fwmark 7 table 200", StringComparison.Ordinal));

        CommandResult apply = await ns.RunProxyAsync("routing", "apply", "--mark", "7", "--table", "200");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        CommandResult rules = await Command.CheckAsync("ip", "-n", ns.Name, "-4", "rule", "show");
        Assert.Contains("fwmark 0x7 lookup 200", rules.StdOut, StringComparison.Ordinal);

        CommandResult passing = await ns.RunProxyAsync(["check", "-mark", "7", "--table", "200", .. Targets]);
        Assert.True(passing.ExitCode == 0, passing.ToString());
        Assert.Contains(Lines(passing), l => l.StartsWith("OK      SO_MARK 7", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_target_on_a_local_non_loopback_address_needs_its_own_source_rule()
    {
        if (!MmProxy.Interop.NetworkNamespace.RunningAsRoot)
        {
            Assert.Fail("needs root (network namespaces, IP_TRANSPARENT)");
        }

        await using BareNamespace ns = await BareNamespace.CreateAsync();
        await Command.CheckAsync("ip", "-n", ns.Name, "addr", "add", "198.51.100.250/32", "dev", "lo");
        ns.Listen(new IPEndPoint(IPAddress.Parse("198.51.100.250"), 7001));
        ns.Listen(new IPEndPoint(IPAddress.IPv6Loopback, 7001));
        string[] args = ["check", "-4", "198.51.100.250:7001", "-6", "[::1]:7001", "--connect-timeout", "1s"];
        // The loopback recipe alone does not cover replies sent from 198.51.100.250.
        Assert.Equal(0, (await ns.RunProxyAsync("routing", "apply")).ExitCode);
        CommandResult failing = await ns.RunProxyAsync(args);
        Assert.True(failing.ExitCode == 1, failing.ToString());
        string fix = "fix: ip -4 rule add from 198.51.100.250/32 iif lo table 123 && ip -4 route add local 0.0.0.0/0 dev lo table 123";
        Assert.Contains(Lines(failing), l => l.StartsWith("FAILED  IPv4 return route", StringComparison.Ordinal) && l.EndsWith(fix, StringComparison.Ordinal));
        Assert.Contains(Lines(failing), l => l.StartsWith("FAILED  IPv4 target 198.51.100.250:7001 (spoofed connect", StringComparison.Ordinal) && l.EndsWith(fix, StringComparison.Ordinal));

        await Command.CheckAsync("ip", "-n", ns.Name, "-4", "rule", "add", "from", "198.51.100.250/32", "iif", "lo", "table", "123");
        CommandResult passing = await ns.RunProxyAsync(args);
        Assert.True(passing.ExitCode == 0, passing.ToString());
    }

    [Fact]
    public async Task Proxy_startup_warns_with_the_fix_and_quiet_skips_the_checks()
    {
        if (!MmProxy.Interop.NetworkNamespace.RunningAsRoot)
        {
            Assert.Fail("needs root (network namespaces, IP_TRANSPARENT)");
        }

        await using BareNamespace ns = await BareNamespace.CreateAsync();
        foreach (bool quiet in new[] { false, true })
        {
            string[] args = ["-l", "127.0.0.1:7000", "-4", "127.0.0.1:7001", "-6", "[::1]:7001"];
            BackgroundProcess p = BackgroundProcess.Start("mmproxy", "ip", ["netns", "exec", ns.Name, ProxyBinary.Path, .. args, .. (quiet ? new[] { "--quiet" } : [])]);
            await using (p)
            {
                // Startup itself must not wait for the checks: wait for the "Startup took" line, then for the checks (or their absence).
                await WaitForOutputAsync(p, "Startup took", TimeSpan.FromSeconds(20));
                if (quiet)
                {
                    await Command.CheckAsync("kill", "-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    await p.Exited.WaitAsync(TimeSpan.FromSeconds(20));
                    Assert.True(p.ExitCode == 0, p.Describe());
                    Assert.DoesNotContain("Check ", p.Output, StringComparison.Ordinal);
                }
                else
                {
                    await WaitForOutputAsync(p, "Check FAILED: IPv6 return route", TimeSpan.FromSeconds(20));
                    Assert.Contains("Check OK: IP_TRANSPARENT: allowed", p.Output, StringComparison.Ordinal);
                    Assert.Contains("Check FAILED: IPv4 return route", p.Output, StringComparison.Ordinal);
                    Assert.Contains("fix: ip -4 rule add from 127.0.0.1/8 iif lo table 123", p.Output, StringComparison.Ordinal);
                    Assert.False(p.HasExited, "a failed startup check must only warn\n" + p.Describe());
                }
            }
        }
    }

    internal static async Task WaitForOutputAsync(BackgroundProcess p, string text, TimeSpan timeout)
    {
        if (!await p.WaitForOutputAsync(output => output.Contains(text, StringComparison.Ordinal), timeout))
        {
            Assert.Fail($"no '{text}' in the output within {timeout.TotalSeconds} s{(p.HasExited ? " (process exited)" : string.Empty)}\n{p.Describe()}");
        }
    }
}
