using System.Net.Sockets;
using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

public sealed class RoutingStepTests
{
    [Fact]
    public void Recipe_without_mark_is_the_documented_four_commands()
    {
        var recipe = new RoutingRecipe();
        Assert.Equal(
            [
                "ip -4 rule add from 127.0.0.1/8 iif lo table 123",
                "ip -4 route add local 0.0.0.0/0 dev lo table 123",
                "ip -6 rule add from ::1/128 iif lo table 123",
                "ip -6 route add local ::/0 dev lo table 123",
            ],
            recipe.Steps.Select(s => s.AddCommand));
        Assert.Equal("ip -6 route del local ::/0 dev lo table 123", recipe.Steps[3].DeleteCommand);
        Assert.Equal(["-4", "rule", "show", "table", "123"], recipe.Steps[0].ShowArguments);
    }

    [Fact]
    public void Recipe_with_mark_adds_a_fwmark_rule_per_family()
    {
        var recipe = new RoutingRecipe(table: 200, mark: 5);
        Assert.Equal(6, recipe.Steps.Count);
        Assert.Contains("ip -4 rule add fwmark 5 table 200", recipe.Steps.Select(s => s.AddCommand));
        Assert.Contains("ip -6 rule add fwmark 5 table 200", recipe.Steps.Select(s => s.AddCommand));
    }

    [Fact]
    public void Fix_names_the_commands_and_the_subcommand()
    {
        var recipe = new RoutingRecipe(mark: 7);
        Assert.Equal(
            "ip -4 rule add from 127.0.0.1/8 iif lo table 123 && ip -4 rule add fwmark 7 table 123 && ip -4 route add local 0.0.0.0/0 dev lo table 123 (or: mmproxy routing apply --table 123 --mark 7)",
            recipe.FixFor(AddressFamily.InterNetwork));
        Assert.Equal(
            "ip -6 rule add fwmark 7 table 123 && ip -6 route add local ::/0 dev lo table 123 (or: mmproxy routing apply --table 123 --mark 7)",
            recipe.FixFor(AddressFamily.InterNetworkV6, markRuleOnly: true));
    }

    [Theory]
    [InlineData("32765:\tfrom 127.0.0.1/8 iif lo lookup 123 \n", 1)]
    [InlineData("32765:\tfrom 127.0.0.1/8 iif lo lookup 123\n32764:\tfrom 127.0.0.1/8 iif lo lookup 123\n", 2)]
    [InlineData("32765:\tfrom 127.0.0.1/8 iif lo lookup 124\n", 0)]
    [InlineData("32765:\tfrom 127.0.0.1/8 lookup 123\n", 0)]
    [InlineData("32765:\tfrom 127.0.0.0/8 iif lo lookup 123\n", 0)]
    [InlineData("32764:\tfrom all fwmark 0x5 lookup 123\n", 0)]
    [InlineData("", 0)]
    public void Loopback_rule_is_recognised_in_ip_rule_output(string listing, int expected)
    {
        Assert.Equal(expected, RoutingStep.LoopbackRule(AddressFamily.InterNetwork, 123).CountIn(listing));
    }

    [Theory]
    [InlineData("32765:\tfrom ::1 iif lo lookup 123\n", 1)]
    [InlineData("32765:\tfrom ::1/128 iif lo lookup 123\n", 1)]
    [InlineData("32765:\tfrom ::2 iif lo lookup 123\n", 0)]
    public void IPv6_loopback_rule_is_recognised_with_or_without_prefix_length(string listing, int expected)
    {
        Assert.Equal(expected, RoutingStep.LoopbackRule(AddressFamily.InterNetworkV6, 123).CountIn(listing));
    }

    [Theory]
    [InlineData("32764:\tfrom all fwmark 0x5 lookup 123\n", 1)]
    [InlineData("32764:\tfrom all fwmark 0x5/0xffffffff lookup 123\n", 1)]
    [InlineData("32764:\tfrom all fwmark 0x5/0xff lookup 123\n", 0)]
    [InlineData("32764:\tfrom all fwmark 0x6 lookup 123\n", 0)]
    [InlineData("32764:\tfrom all fwmark 0x5 iif lo lookup 123\n", 0)]
    public void Mark_rule_is_recognised_in_hex(string listing, int expected)
    {
        Assert.Equal(expected, RoutingStep.MarkRule(AddressFamily.InterNetwork, 5, 123).CountIn(listing));
    }

    [Theory]
    [InlineData("local default dev lo scope host \n", 1)]
    [InlineData("local default dev lo metric 1024 pref medium\n", 1)]
    [InlineData("local default dev eth0 scope host\n", 0)]
    [InlineData("default via 192.0.2.254 dev eth0\n", 0)]
    [InlineData("local 192.0.2.0/24 dev lo scope host\n", 0)]
    public void Local_route_is_recognised_in_ip_route_output(string listing, int expected)
    {
        Assert.Equal(expected, RoutingStep.LocalRoute(AddressFamily.InterNetwork, 123).CountIn(listing));
    }

    [Fact]
    public void Check_result_is_one_line_with_the_fix()
    {
        Assert.Equal("OK      IP_TRANSPARENT: allowed", CheckResult.Ok("IP_TRANSPARENT", "allowed").ToString());
        Assert.Equal("FAILED  x: broken; fix: ip rule add", CheckResult.Failed("x", "broken", "ip rule add").ToString());
        Assert.Equal("SKIPPED x: n/a", CheckResult.Skipped("x", "n/a").ToString());
    }
}
