using System.Net.Sockets;
using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

/// <summary>
/// --tproxy against the real kernel and nftables, each test in its own network namespace: the code
/// through wrapper scripts, and the built mmproxy binary through `ip netns exec`. Fails (does not
/// skip) without root or without nft.
/// </summary>
public sealed class TproxyNamespaceTests
{
    private static RoutingRecipe Recipe(TproxyProtocols protocols = TproxyProtocols.Tcp)
    {
        Assert.True(PortSet.TryParse("8000-8002", out PortSet ports, out string error), error);
        return new RoutingRecipe(tproxy: new TproxySpec(ports, 9000, protocols));
    }

    private static TestNamespace Create()
    {
        TestNamespace.RequireNft();
        return TestNamespace.Create();
    }

    private static async Task<(bool Ok, string[] Lines)> RunAsync(Func<RoutingTables, TextWriter, Task<bool>> action, TestNamespace ns)
    {
        using var output = new StringWriter();
        bool ok = await action(new RoutingTables(ns.Ip, ns.Nft), output);
        return (ok, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Snapshot(TestNamespace ns) => ns.Snapshot() + "\n---\n" + ns.NftRuleset();

    [Fact]
    public async Task Apply_for_both_protocols_installs_what_nft_and_ip_show_and_remove_restores_everything()
    {
        using TestNamespace ns = Create();
        RoutingRecipe recipe = Recipe(TproxyProtocols.Both);
        string before = Snapshot(ns);

        (bool ok, string[] lines) = await RunAsync((t, o) => t.ApplyAsync(recipe, o), ns);
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(7, lines.Count(l => l.StartsWith("added ", StringComparison.Ordinal)));
        string table = TestNamespace.Run("ip", "netns", "exec", ns.Name, "nft", "list", "table", "inet", "mmproxy");
        Assert.Contains("type filter hook prerouting priority mangle; policy accept;", table, StringComparison.Ordinal);
        Assert.Contains("tcp dport 8000-8002 socket transparent 1 meta mark set 0x00000001 accept", table, StringComparison.Ordinal);
        Assert.Contains("iifname != \"lo\" meta nfproto ipv4 tcp dport 8000-8002 tproxy ip to :9000 meta mark set 0x00000001 accept", table, StringComparison.Ordinal);
        Assert.Contains("iifname != \"lo\" meta nfproto ipv6 udp dport 8000-8002 tproxy ip6 to :9000 meta mark set 0x00000001 accept", table, StringComparison.Ordinal);
        Assert.Contains("from all fwmark 0x1 lookup 123", ns.Ip_("-4", "rule", "show"), StringComparison.Ordinal);
        Assert.Contains("from all fwmark 0x1 lookup 123", ns.Ip_("-6", "rule", "show"), StringComparison.Ordinal);
        Assert.Contains("local default dev lo", ns.Ip_("-4", "route", "show", "table", "123"), StringComparison.Ordinal);
        Assert.Contains("local default dev lo", ns.Ip_("-6", "route", "show", "table", "123"), StringComparison.Ordinal);
        string applied = Snapshot(ns);

        (ok, lines) = await RunAsync((t, o) => t.ApplyAsync(recipe, o), ns);
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(7, lines.Count(l => l.StartsWith("present ", StringComparison.Ordinal)));
        Assert.Equal(applied, Snapshot(ns));

        (ok, lines) = await RunAsync((t, o) => t.RemoveAsync(recipe, o), ns);
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(7, lines.Count(l => l.StartsWith("removed ", StringComparison.Ordinal)));
        Assert.Equal(before, Snapshot(ns));
        Assert.Equal(1, ns.Exec("nft", "list", "table", "inet", "mmproxy").ExitCode);
    }

    [Fact]
    public async Task The_binary_applies_idempotently_checks_and_removes_in_a_namespace()
    {
        using TestNamespace ns = Create();
        string mmproxy = Path.Combine(AppContext.BaseDirectory, "mmproxy");
        Assert.True(File.Exists(mmproxy), $"no {mmproxy}: build src/MmProxy");
        string[] tproxy = ["--tproxy", "8000-8002", "--to", "9000"];
        string before = Snapshot(ns);

        (int exit, string output) = ns.Exec(mmproxy, ["routing", "apply", .. tproxy]);
        Assert.True(exit == 0, output);
        Assert.Contains("added   nft table inet mmproxy: tcp dport 8000-8002 tproxy to :9000, mark 0x1\n", output, StringComparison.Ordinal);
        Assert.Contains("iifname != \"lo\" meta nfproto ipv6 tcp dport 8000-8002 tproxy ip6 to :9000", ns.NftRuleset(), StringComparison.Ordinal);
        Assert.Contains("from all fwmark 0x1 lookup 123", ns.Ip_("-4", "rule", "show"), StringComparison.Ordinal);
        string applied = Snapshot(ns);

        (exit, output) = ns.Exec(mmproxy, ["routing", "apply", .. tproxy]);
        Assert.True(exit == 0, output);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(7, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("present ", l, StringComparison.Ordinal));
        Assert.Equal(applied, Snapshot(ns));

        // Nothing listens on the targets here: only the TPROXY verdicts matter.
        (_, output) = ns.Exec(mmproxy, ["check", "-4", "127.0.0.1:7001", "-6", "[::1]:7001", "--connect-timeout", "1s", .. tproxy]);
        string[] verdicts = [.. output.Split('\n').Where(l => l.Contains("TPROXY", StringComparison.Ordinal))];
        Assert.Equal(6, verdicts.Length);
        Assert.All(verdicts, l => Assert.StartsWith("OK ", l, StringComparison.Ordinal));
        Assert.Contains(verdicts, l => l.StartsWith("OK      IPv6 fwmark 1 route (TPROXY): packets marked 1 to 2001:db8::1 are delivered locally", StringComparison.Ordinal));

        (exit, output) = ns.Exec(mmproxy, ["routing", "remove", .. tproxy]);
        Assert.True(exit == 0, output);
        Assert.StartsWith("removed nft delete table inet mmproxy\n", output, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(ns));
        Assert.DoesNotContain("mmproxy", ns.NftRuleset(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_fails_with_the_fix_until_apply_and_the_fwmark_routes_follow()
    {
        using TestNamespace ns = Create();
        RoutingRecipe recipe = Recipe();
        var checks = new RoutingChecks(ns.Ip, recipe, ns.Nft);
        CheckResult missing = Assert.Single(await checks.Tproxy!.TableAsync());
        Assert.Equal(CheckStatus.Failed, missing.Status);
        Assert.Equal("mmproxy routing apply --table 123 --tproxy 8000-8002 --to 9000", missing.Fix);
        CheckResult noRoute = await checks.MarkRouteAsync(AddressFamily.InterNetwork, 1, "TPROXY", CancellationToken.None);
        Assert.Equal(CheckStatus.Failed, noRoute.Status);
        Assert.StartsWith("ip -4 rule add fwmark 1 table 123 && ip -4 route add local 0.0.0.0/0 dev lo table 123", noRoute.Fix, StringComparison.Ordinal);

        (bool ok, string[] lines) = await RunAsync((t, o) => t.ApplyAsync(recipe, o), ns);
        Assert.True(ok, string.Join('\n', lines));
        IReadOnlyList<CheckResult> present = await checks.Tproxy.TableAsync();
        Assert.Equal(4, present.Count);
        Assert.All(present, r => Assert.True(r.Status == CheckStatus.Ok, r.ToString()));
        CheckResult v6 = await checks.MarkRouteAsync(AddressFamily.InterNetworkV6, 1, "TPROXY", CancellationToken.None);
        Assert.True(v6.Status == CheckStatus.Ok, v6.ToString());
    }
}
