using MmProxy.Configuration.ConfigFile;
using MmProxy.Hosting;

namespace MmProxy.Tests.Hosting;

public sealed class ReloadPlanTests
{
    private static IReadOnlyList<ListenerUnit> Units(string json)
    {
        ConfigLoadResult result = ConfigFileLoader.Parse(json, "t.json", "/");
        Assert.True(result.Succeeded, result.Error);
        return result.Config!.Units();
    }

    [Fact]
    public void Unchanged_ports_are_kept_and_subnet_changes_do_not_reopen()
    {
        var before = Units("""{"listeners": [{"listen": "0.0.0.0:1", "allowedSubnets": ["10.0.0.0/8"]}]}""");
        var after = Units("""{"listeners": [{"name": "renamed", "listen": "0.0.0.0:1", "allowedSubnets": ["192.0.2.0/24"]}]}""");
        ReloadPlan plan = ReloadPlan.Create(before, after);
        Assert.Single(plan.Keep);
        Assert.Empty(plan.Open);
        Assert.Empty(plan.Close);
        Assert.Empty(plan.Reopen);
        Assert.True(plan.Keep[0].New.Subnets.Contains(System.Net.IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Added_removed_and_changed_ports_are_told_apart()
    {
        var before = Units("""
            {"listeners": [{"listen": "0.0.0.0:1"}, {"listen": "0.0.0.0:2"}, {"listen": "0.0.0.0:10-11", "ipv4": "127.0.0.1:20-21"}]}
            """);
        var after = Units("""
            {"listeners": [{"listen": "0.0.0.0:1"}, {"listen": "0.0.0.0:3"}, {"listen": "0.0.0.0:10-12", "ipv4": "127.0.0.1:20-22", "mark": 5}, {"protocol": "udp", "listen": "0.0.0.0:2"}]}
            """);
        ReloadPlan plan = ReloadPlan.Create(before, after);
        Assert.Equal(["tcp 0.0.0.0:1"], plan.Keep.Select(k => k.Old.Key));
        Assert.Equal(["tcp 0.0.0.0:3", "tcp 0.0.0.0:12", "udp 0.0.0.0:2"], plan.Open.Select(u => u.Key));
        Assert.Equal(["tcp 0.0.0.0:2"], plan.Close.Select(u => u.Key));
        Assert.Equal(["tcp 0.0.0.0:10", "tcp 0.0.0.0:11"], plan.Reopen.Select(r => r.New.Key));
    }

    [Fact]
    public void Any_setting_but_subnets_reopens()
    {
        string[] variants =
        [
            """{"listen": "0.0.0.0:1", "ipv4": "127.0.0.1:2"}""",
            """{"listen": "0.0.0.0:1", "ipv6": "[::1]:2"}""",
            """{"listen": "0.0.0.0:1", "mark": 1}""",
            """{"listen": "0.0.0.0:1", "listeners": 2}""",
            """{"listen": "0.0.0.0:1", "headerTimeout": "1s"}""",
            """{"listen": "0.0.0.0:1", "connectTimeout": "1s"}""",
            """{"listen": "0.0.0.0:1", "idleTimeout": "1s"}""",
            """{"listen": "0.0.0.0:1", "maxHeaderSize": 1024}""",
            """{"listen": "0.0.0.0:1", "backlog": 5}""",
            """{"listen": "0.0.0.0:1", "spliceThreshold": 0}""",
            """{"listen": "0.0.0.0:1", "pipeSize": 262144}""",
        ];
        var before = Units("""{"listeners": [{"listen": "0.0.0.0:1"}]}""");
        foreach (string variant in variants)
        {
            ReloadPlan plan = ReloadPlan.Create(before, Units("""{"listeners": [""" + variant + "]}"));
            Assert.True(plan.Reopen.Count == 1, variant);
        }
    }

    [Theory]
    [InlineData("tcp", "\"closeAfter\": \"5s\"")]
    [InlineData("tcp", "\"maxUdpFlows\": 10")]
    [InlineData("tcp", "\"udpGso\": false")]
    [InlineData("tcp", "\"udpHeader\": \"spp\"")]
    [InlineData("udp", "\"spliceThreshold\": 0")]
    [InlineData("udp", "\"pipeSize\": 262144")]
    [InlineData("udp", "\"connectTimeout\": \"1s\"")]
    [InlineData("udp", "\"idleTimeout\": \"1s\"")]
    [InlineData("udp", "\"backlog\": 5")]
    public void A_setting_of_the_other_protocol_does_not_reopen(string protocol, string field)
    {
        var before = Units($$"""{"listeners": [{"protocol": "{{protocol}}", "listen": "0.0.0.0:1"}]}""");
        ReloadPlan plan = ReloadPlan.Create(before, Units($$"""{"listeners": [{"protocol": "{{protocol}}", "listen": "0.0.0.0:1", {{field}}}]}"""));
        Assert.Single(plan.Keep);
        Assert.Empty(plan.Reopen);
    }

    [Fact]
    public void A_changed_allowed_destinations_list_keeps_the_listener_its_list_is_swapped()
    {
        const string Listener = """{"listeners": [{"listen": "0.0.0.0:1", "dynamicDestination": true, "allowedDestinations": [ENTRY]}]}""";
        var before = Units(Listener.Replace("ENTRY", "\"127.0.0.1/32 80\"", StringComparison.Ordinal));
        ReloadPlan plan = ReloadPlan.Create(before, Units(Listener.Replace("ENTRY", "\"127.0.0.1/32 80-81\"", StringComparison.Ordinal)));
        (ListenerUnit old, ListenerUnit next) = Assert.Single(plan.Keep);
        Assert.Empty(plan.Reopen);
        Assert.NotEqual(old.Options.AllowedDestinations, next.Options.AllowedDestinations);
    }

    [Theory]
    [InlineData("\"closeAfter\": \"5s\"")]
    [InlineData("\"maxUdpFlows\": 10")]
    [InlineData("\"udpGso\": false")]
    [InlineData("\"udpHeader\": \"v2-first\"")]
    [InlineData("\"maxHeaderSize\": 1024")]
    public void A_udp_setting_reopens_a_udp_listener(string field)
    {
        var before = Units("""{"listeners": [{"protocol": "udp", "listen": "0.0.0.0:1"}]}""");
        ReloadPlan plan = ReloadPlan.Create(before, Units($$"""{"listeners": [{"protocol": "udp", "listen": "0.0.0.0:1", {{field}}}]}"""));
        Assert.Single(plan.Reopen);
    }
}
