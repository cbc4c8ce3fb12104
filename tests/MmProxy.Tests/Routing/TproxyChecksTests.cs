using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

/// <summary>`mmproxy check --tproxy`: the nft table's verdicts, against <see cref="FakeNetwork"/>.</summary>
public sealed class TproxyChecksTests
{
    private const string Fix = "mmproxy routing apply --table 123 --tproxy 8000-8002 --to 9000";

    private static RoutingRecipe Recipe(string ports = "8000-8002", TproxyProtocols protocols = TproxyProtocols.Tcp)
    {
        Assert.True(PortSet.TryParse(ports, out PortSet set, out string error), error);
        return new RoutingRecipe(tproxy: new TproxySpec(set, 9000, protocols));
    }

    private static async Task<string[]> CheckAsync(FakeNetwork net, RoutingRecipe recipe) =>
        [.. (await new TproxyChecks(net.Nft, recipe).TableAsync()).Select(r => r.ToString())];

    private static async Task ApplyAsync(FakeNetwork net, RoutingRecipe recipe)
    {
        using var output = new StringWriter();
        Assert.True(await new RoutingTables(net.Ip, net.Nft).ApplyAsync(recipe, output), output.ToString());
    }

    [Fact]
    public async Task A_missing_table_is_one_failed_line_with_the_apply_command()
    {
        Assert.Equal(
            [$"FAILED  TPROXY table (nft inet mmproxy): missing: nothing diverts tcp to ports 8000-8002 to :9000; fix: {Fix}"],
            await CheckAsync(new FakeNetwork(), Recipe()));
    }

    [Fact]
    public async Task After_apply_the_chain_and_each_rule_are_ok()
    {
        var net = new FakeNetwork();
        await ApplyAsync(net, Recipe());
        Assert.Equal(
            [
                "OK      TPROXY chain prerouting: type filter hook prerouting priority mangle; policy accept;",
                "OK      TPROXY rule (tcp, established connections): tcp dport 8000-8002 socket transparent 1 meta mark set 0x1 accept",
                "OK      TPROXY rule (IPv4 tcp): iifname != \"lo\" meta nfproto ipv4 tcp dport 8000-8002 tproxy ip to :9000 meta mark set 0x1 accept",
                "OK      TPROXY rule (IPv6 tcp): iifname != \"lo\" meta nfproto ipv6 tcp dport 8000-8002 tproxy ip6 to :9000 meta mark set 0x1 accept",
            ],
            await CheckAsync(net, Recipe()));
    }

    [Fact]
    public async Task A_table_applied_for_both_protocols_serves_a_tcp_and_a_udp_check()
    {
        var net = new FakeNetwork();
        await ApplyAsync(net, Recipe(protocols: TproxyProtocols.Both));
        string[] tcp = await CheckAsync(net, Recipe());
        string[] udp = await CheckAsync(net, Recipe(protocols: TproxyProtocols.Udp));
        Assert.All(tcp, l => Assert.StartsWith("OK ", l, StringComparison.Ordinal));
        Assert.All(udp, l => Assert.StartsWith("OK ", l, StringComparison.Ordinal));
        Assert.Equal(4, tcp.Length);
        Assert.Equal(3, udp.Length);
    }

    [Fact]
    public async Task Other_ports_are_missing_rules_and_rules_apply_did_not_write()
    {
        var net = new FakeNetwork();
        await ApplyAsync(net, Recipe("8000-8002"));
        string[] lines = await CheckAsync(net, Recipe("8000-8003"));
        Assert.Equal("OK      TPROXY chain prerouting: type filter hook prerouting priority mangle; policy accept;", lines[0]);
        Assert.Equal(
            "FAILED  TPROXY rule (IPv4 tcp): missing: iifname != \"lo\" meta nfproto ipv4 tcp dport 8000-8003 tproxy ip to :9000 meta mark set 0x1 accept; fix: mmproxy routing apply --table 123 --tproxy 8000-8003 --to 9000",
            lines[2]);
        Assert.StartsWith("FAILED  TPROXY table (nft inet mmproxy): holds what apply did not write (other ports or another listener?): tcp dport 8000-8002 socket", lines[^1], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length);
    }

    [Fact]
    public async Task Rules_in_another_order_fail()
    {
        var net = new FakeNetwork();
        await ApplyAsync(net, Recipe());
        (net.NftChain![1], net.NftChain[3]) = (net.NftChain[3], net.NftChain[1]);
        string[] lines = await CheckAsync(net, Recipe());
        Assert.Equal($"FAILED  TPROXY table (nft inet mmproxy): the rules are repeated or in another order; fix: {Fix}", lines[^1]);
    }

    [Fact]
    public async Task Without_nft_the_check_says_install_nftables()
    {
        Assert.Equal(
            ["FAILED  TPROXY table (nft inet mmproxy): cannot check: cannot run nft: No such file or directory (install nftables); fix: install nftables (apt-get install nftables)"],
            await CheckAsync(new FakeNetwork { NftMissing = true }, Recipe()));
    }
}
