using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

/// <summary>apply/remove with --tproxy against <see cref="FakeNetwork"/>: idempotence, sharing, order, failures.</summary>
public sealed class TproxyTablesTests
{
    private static RoutingRecipe Recipe(string ports = "8000-8002", TproxyProtocols protocols = TproxyProtocols.Tcp, uint mark = 0)
    {
        Assert.True(PortSet.TryParse(ports, out PortSet set, out string error), error);
        return new RoutingRecipe(mark: mark, tproxy: new TproxySpec(set, 9000, protocols));
    }

    private static async Task<(bool Ok, string[] Lines)> ApplyAsync(FakeNetwork net, RoutingRecipe recipe)
    {
        using var output = new StringWriter();
        bool ok = await new RoutingTables(net.Ip, net.Nft).ApplyAsync(recipe, output);
        return (ok, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static async Task<(bool Ok, string[] Lines)> RemoveAsync(FakeNetwork net, RoutingRecipe recipe)
    {
        using var output = new StringWriter();
        bool ok = await new RoutingTables(net.Ip, net.Nft).RemoveAsync(recipe, output);
        return (ok, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Apply_adds_the_routing_then_the_nft_table_and_again_changes_nothing()
    {
        var net = new FakeNetwork();
        (bool ok, string[] lines) = await ApplyAsync(net, Recipe());
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(
            [
                "added   ip -4 rule add from 127.0.0.1/8 iif lo table 123",
                "added   ip -4 rule add fwmark 1 table 123",
                "added   ip -4 route add local 0.0.0.0/0 dev lo table 123",
                "added   ip -6 rule add from ::1/128 iif lo table 123",
                "added   ip -6 rule add fwmark 1 table 123",
                "added   ip -6 route add local ::/0 dev lo table 123",
                "added   nft table inet mmproxy: tcp dport 8000-8002 tproxy to :9000, mark 0x1",
            ],
            lines);
        Assert.Equal("nft -f -", net.Changes.Last());
        Assert.Equal(4, net.NftChain!.Count);
        Assert.Contains("iifname != \"lo\" meta nfproto ipv6 tcp dport 8000-8002 tproxy ip6 to :9000 meta mark set 0x00000001 accept", net.NftChain);

        int changes = net.Changes.Count();
        (ok, lines) = await ApplyAsync(net, Recipe());
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(7, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("present ", l, StringComparison.Ordinal));
        Assert.Equal(changes, net.Changes.Count());
    }

    [Fact]
    public async Task The_local_route_of_the_plain_recipe_is_shared_not_duplicated()
    {
        var net = new FakeNetwork();
        Assert.True((await ApplyAsync(net, new RoutingRecipe())).Ok);
        (bool ok, string[] lines) = await ApplyAsync(net, Recipe());
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(3, lines.Count(l => l.StartsWith("added ", StringComparison.Ordinal)));
        Assert.Contains("present ip -4 route add local 0.0.0.0/0 dev lo table 123", lines);
        Assert.Equal(2, net.Routes.Count);
    }

    [Fact]
    public async Task Apply_with_other_ports_replaces_the_table_in_one_transaction()
    {
        var net = new FakeNetwork();
        Assert.True((await ApplyAsync(net, Recipe("8000-8002"))).Ok);
        (bool ok, string[] lines) = await ApplyAsync(net, Recipe("80,443", TproxyProtocols.Both));
        Assert.True(ok, string.Join('\n', lines));
        Assert.StartsWith("changed nft table inet mmproxy: tcp and udp dport { 80, 443 } tproxy to :9000, mark 0x1 (replaced: 5 lines to add (", lines[^1], StringComparison.Ordinal);
        Assert.Contains("3 to drop ('tcp dport 8000-8002 socket transparent 1 meta mark set 0x1 accept', …)", lines[^1], StringComparison.Ordinal);
        Assert.Equal(2, net.Changes.Count(c => c == "nft -f -"));
        Assert.DoesNotContain(net.NftChain!, l => l.Contains("8000", StringComparison.Ordinal));
        Assert.Equal(6, net.NftChain!.Count);
    }

    [Fact]
    public async Task A_rule_added_to_our_table_by_hand_is_replaced_by_apply()
    {
        var net = new FakeNetwork();
        Assert.True((await ApplyAsync(net, Recipe())).Ok);
        net.NftChain!.Add("tcp dport 22 drop");
        (bool ok, string[] lines) = await ApplyAsync(net, Recipe());
        Assert.True(ok, string.Join('\n', lines));
        Assert.EndsWith("(replaced: 1 to drop ('tcp dport 22 drop'))", lines[^1], StringComparison.Ordinal);
        Assert.Equal(4, net.NftChain!.Count);
    }

    [Fact]
    public async Task Remove_takes_the_nft_table_first_then_the_ip_steps_backwards()
    {
        var net = new FakeNetwork();
        Assert.True((await ApplyAsync(net, Recipe())).Ok);
        net.Calls.Clear();
        (bool ok, string[] lines) = await RemoveAsync(net, Recipe());
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(
            [
                "nft delete table inet mmproxy",
                "ip -6 route del local ::/0 dev lo table 123",
                "ip -6 rule del fwmark 1 table 123",
                "ip -6 rule del from ::1/128 iif lo table 123",
                "ip -4 route del local 0.0.0.0/0 dev lo table 123",
                "ip -4 rule del fwmark 1 table 123",
                "ip -4 rule del from 127.0.0.1/8 iif lo table 123",
            ],
            net.Changes);
        Assert.All(lines, l => Assert.StartsWith("removed ", l, StringComparison.Ordinal));
        Assert.Null(net.NftChain);
        Assert.Empty(net.Rules);
        Assert.Empty(net.Routes);

        (ok, lines) = await RemoveAsync(net, Recipe());
        Assert.True(ok, string.Join('\n', lines));
        Assert.All(lines, l => Assert.StartsWith("absent  ", l, StringComparison.Ordinal));
        Assert.Equal("absent  nft delete table inet mmproxy", lines[0]);
    }

    [Fact]
    public async Task Remove_without_tproxy_keeps_the_local_route_the_fwmark_rule_still_needs()
    {
        var net = new FakeNetwork();
        Assert.True((await ApplyAsync(net, Recipe())).Ok);
        (bool ok, string[] lines) = await RemoveAsync(net, new RoutingRecipe());
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(
            [
                "kept    ip -6 route del local ::/0 dev lo table 123: still used by `32762: from all fwmark 0x1 lookup 123`",
                "removed ip -6 rule del from ::1/128 iif lo table 123",
                "kept    ip -4 route del local 0.0.0.0/0 dev lo table 123: still used by `32764: from all fwmark 0x1 lookup 123`",
                "removed ip -4 rule del from 127.0.0.1/8 iif lo table 123",
            ],
            lines);
        Assert.Equal(2, net.Routes.Count);
        Assert.NotNull(net.NftChain);

        // The rest goes with --tproxy; the loopback rules are already gone.
        (ok, lines) = await RemoveAsync(net, Recipe());
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(5, lines.Count(l => l.StartsWith("removed ", StringComparison.Ordinal)));
        Assert.Empty(net.Routes);
        Assert.Empty(net.Rules);
    }

    [Fact]
    public async Task An_equal_mark_shares_the_fwmark_rule()
    {
        var net = new FakeNetwork();
        (bool ok, string[] lines) = await ApplyAsync(net, Recipe(mark: 1));
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(2, net.Rules.Count(r => r.Text.Contains("fwmark", StringComparison.Ordinal)));
        Assert.Single(lines, l => l == "added   ip -4 rule add fwmark 1 table 123");
    }

    [Fact]
    public async Task Without_nft_the_ip_steps_are_done_and_the_table_fails_with_install_nftables()
    {
        var net = new FakeNetwork { NftMissing = true };
        (bool ok, string[] lines) = await ApplyAsync(net, Recipe());
        Assert.False(ok);
        Assert.Equal(6, lines.Count(l => l.StartsWith("added ", StringComparison.Ordinal)));
        Assert.Equal("FAILED  nft table inet mmproxy: tcp dport 8000-8002 tproxy to :9000, mark 0x1: cannot list: cannot run nft: No such file or directory (install nftables)", lines[^1]);

        (ok, lines) = await RemoveAsync(net, Recipe());
        Assert.False(ok);
        Assert.Equal("FAILED  nft delete table inet mmproxy: cannot list: cannot run nft: No such file or directory (install nftables)", lines[0]);
        Assert.Equal(6, lines.Count(l => l.StartsWith("removed ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_script_nft_refuses_is_a_failed_line_with_its_error_and_the_likely_cause()
    {
        var net = new FakeNetwork { NftScriptError = "/dev/stdin:5:1-88: Error: Could not process rule: No such file or directory\nadd rule ..." };
        (bool ok, string[] lines) = await ApplyAsync(net, Recipe());
        Assert.False(ok);
        Assert.Equal(
            "FAILED  nft table inet mmproxy: tcp dport 8000-8002 tproxy to :9000, mark 0x1: /dev/stdin:5:1-88: Error: Could not process rule: No such file or directory (a kernel without TPROXY in nftables? `modprobe nft_tproxy nft_socket`)",
            lines[^1]);
        Assert.Null(net.NftChain);
    }

    [Fact]
    public void The_listing_is_compared_as_nft_prints_it()
    {
        var table = new NftTproxyTable(Recipe("80,443").Tproxy!);
        NftListing listing = NftListing.Parse(
            "table inet mmproxy { # handle 7\n"
            + "\tchain prerouting { # handle 1\n"
            + "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
            + "\t\ttcp dport { 80, 443 } socket transparent 1 meta mark set 0x00000001 accept # handle 3\n"
            + "\t\tiifname != \"lo\" meta nfproto ipv4 meta l4proto tcp th dport { 80, 443 } tproxy ip to :9000 meta mark set 0x00000001 accept # handle 4\n"
            + "\t\tiifname != \"lo\" meta nfproto ipv6 tcp  dport { 80, 443 } tproxy ip6 to :9000 meta mark set 0x00000001 accept # handle 5\n"
            + "\t}\n"
            + "}\n");
        Assert.True(table.Compare(listing).IsSame, table.Compare(listing).Describe());

        NftListing swapped = NftListing.Parse(
            "table inet mmproxy {\n\tchain prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n"
            + string.Concat(table.Rules.Reverse().Select(r => "\t\t" + r.Text + "\n")) + "\t}\n\tset s {\n\t\ttype inet_service\n\t}\n}\n");
        NftTableDiff diff = table.Compare(swapped);
        Assert.False(diff.IsSame);
        Assert.Equal(["set s"], diff.Unexpected);
        Assert.False(table.Compare(null).Exists);
    }
}
