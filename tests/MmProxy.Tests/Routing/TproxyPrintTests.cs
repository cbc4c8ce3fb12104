using System.Net.Sockets;
using MmProxy.Cli;
using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

/// <summary>The exact `ip` and `nft` commands of --tproxy: what print shows is what apply runs.</summary>
public sealed class TproxyPrintTests
{
    private static TproxySpec Spec(string ports, int to = 9000, TproxyProtocols protocols = TproxyProtocols.Tcp, uint mark = 1)
    {
        Assert.True(PortSet.TryParse(ports, out PortSet set, out string error), error);
        return new TproxySpec(set, to, protocols, mark);
    }

    private static async Task<string> PrintAsync(params string[] options)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await CommandLineApp.RunAsync(["routing", "print", .. options], output, error);
        Assert.True(exit == 0, error.ToString());
        return output.ToString();
    }

    [Fact]
    public async Task Print_with_tproxy_for_both_protocols_is_the_whole_script()
    {
        Assert.Equal(
            """
            # mmproxy policy routing: replies to spoofed client addresses return through loopback
            ip -4 rule add from 127.0.0.1/8 iif lo table 123
            ip -4 rule add fwmark 1 table 123
            ip -4 route add local 0.0.0.0/0 dev lo table 123
            ip -6 rule add from ::1/128 iif lo table 123
            ip -6 rule add fwmark 1 table 123
            ip -6 route add local ::/0 dev lo table 123
            # TPROXY: tcp and udp to ports 80,443 (any address) go to the transparent listener on port 9000, marked 0x1: the fwmark rules above deliver them locally
            # one nft transaction that replaces table inet mmproxy as a whole
            nft -f - <<'EOF'
            add table inet mmproxy
            delete table inet mmproxy
            add table inet mmproxy
            add chain inet mmproxy prerouting { type filter hook prerouting priority mangle; policy accept; }
            add rule inet mmproxy prerouting tcp dport { 80, 443 } socket transparent 1 meta mark set 0x1 accept
            add rule inet mmproxy prerouting iifname != "lo" meta nfproto ipv4 tcp dport { 80, 443 } tproxy ip to :9000 meta mark set 0x1 accept
            add rule inet mmproxy prerouting iifname != "lo" meta nfproto ipv6 tcp dport { 80, 443 } tproxy ip6 to :9000 meta mark set 0x1 accept
            add rule inet mmproxy prerouting iifname != "lo" meta nfproto ipv4 udp dport { 80, 443 } tproxy ip to :9000 meta mark set 0x1 accept
            add rule inet mmproxy prerouting iifname != "lo" meta nfproto ipv6 udp dport { 80, 443 } tproxy ip6 to :9000 meta mark set 0x1 accept
            EOF
            # to remove:
            # nft delete table inet mmproxy
            # ip -6 route del local ::/0 dev lo table 123
            # ip -6 rule del fwmark 1 table 123
            # ip -6 rule del from ::1/128 iif lo table 123
            # ip -4 route del local 0.0.0.0/0 dev lo table 123
            # ip -4 rule del fwmark 1 table 123
            # ip -4 rule del from 127.0.0.1/8 iif lo table 123

            """,
            await PrintAsync("--tproxy", "80,443", "--to", "9000", "-p", "both"));
    }

    [Fact]
    public async Task Print_without_tproxy_is_unchanged()
    {
        string text = await PrintAsync();
        Assert.DoesNotContain("nft", text, StringComparison.Ordinal);
        Assert.DoesNotContain("fwmark", text, StringComparison.Ordinal);
        Assert.Equal(10, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Tcp_gets_the_established_shortcut_then_a_tproxy_rule_per_family()
    {
        Assert.Equal(
            [
                "tcp dport 8000-8002 socket transparent 1 meta mark set 0x1 accept",
                "iifname != \"lo\" meta nfproto ipv4 tcp dport 8000-8002 tproxy ip to :9000 meta mark set 0x1 accept",
                "iifname != \"lo\" meta nfproto ipv6 tcp dport 8000-8002 tproxy ip6 to :9000 meta mark set 0x1 accept",
            ],
            new NftTproxyTable(Spec("8000-8002")).Rules.Select(r => r.Text));
    }

    [Fact]
    public void Udp_gets_a_tproxy_rule_per_family_and_no_socket_shortcut()
    {
        var table = new NftTproxyTable(Spec("53,5353", to: 5300, protocols: TproxyProtocols.Udp, mark: 0x20));
        Assert.Equal(
            [
                "iifname != \"lo\" meta nfproto ipv4 udp dport { 53, 5353 } tproxy ip to :5300 meta mark set 0x20 accept",
                "iifname != \"lo\" meta nfproto ipv6 udp dport { 53, 5353 } tproxy ip6 to :5300 meta mark set 0x20 accept",
            ],
            table.Rules.Select(r => r.Text));
        Assert.Equal(["IPv4 udp", "IPv6 udp"], table.Rules.Select(r => r.Label));
    }

    [Fact]
    public async Task Print_for_udp_with_a_mark_and_table_names_them_everywhere()
    {
        string text = await PrintAsync("--tproxy", "53", "--to", "5300", "-p", "udp", "--tproxy-mark", "0x20", "--table", "200");
        Assert.Contains("ip -4 rule add fwmark 32 table 200\n", text, StringComparison.Ordinal);
        Assert.Contains("ip -6 route add local ::/0 dev lo table 200\n", text, StringComparison.Ordinal);
        Assert.Contains("add rule inet mmproxy prerouting iifname != \"lo\" meta nfproto ipv6 udp dport 53 tproxy ip6 to :5300 meta mark set 0x20 accept\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("tcp", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fwmark_rule_is_shared_with_an_equal_mark_and_the_local_route_always()
    {
        var shared = new RoutingRecipe(mark: 1, tproxy: Spec("80"));
        Assert.Equal(
            [
                "ip -4 rule add from 127.0.0.1/8 iif lo table 123",
                "ip -4 rule add fwmark 1 table 123",
                "ip -4 route add local 0.0.0.0/0 dev lo table 123",
            ],
            shared.StepsFor(AddressFamily.InterNetwork).Select(s => s.AddCommand));
        var two = new RoutingRecipe(mark: 5, tproxy: Spec("80"));
        Assert.Equal(8, two.Steps.Count);
        Assert.Single(two.StepsFor(AddressFamily.InterNetworkV6), s => s.Kind == RoutingStepKind.Route);
    }

    [Fact]
    public void Fixes_name_the_apply_command_with_the_tproxy_options()
    {
        var recipe = new RoutingRecipe(table: 200, tproxy: Spec("80,443", protocols: TproxyProtocols.Both, mark: 2));
        Assert.Equal("mmproxy routing apply --table 200 --tproxy 80,443 --to 9000 -p both --tproxy-mark 0x2", recipe.ApplyCommand);
        Assert.Equal(
            "ip -6 rule add fwmark 2 table 200 && ip -6 route add local ::/0 dev lo table 200 (or: mmproxy routing apply --table 200 --tproxy 80,443 --to 9000 -p both --tproxy-mark 0x2)",
            recipe.FixForMark(AddressFamily.InterNetworkV6, 2));
        Assert.Equal("mmproxy routing apply --table 123 --tproxy 80 --to 9000", new RoutingRecipe(tproxy: Spec("80")).ApplyCommand);
    }
}
