using System.Net;
using System.Net.Sockets;
using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

/// <summary>apply/remove against the real kernel, each test in its own network namespace.</summary>
public sealed class RoutingTablesTests
{
    private static async Task<(bool Ok, string[] Lines)> RunAsync(Func<RoutingTables, TextWriter, Task<bool>> action, IpCommand ip)
    {
        using var output = new StringWriter();
        bool ok = await action(new RoutingTables(ip), output);
        return (ok, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Apply_installs_every_step_once_and_remove_restores_the_tables()
    {
        using TestNamespace ns = TestNamespace.Create();
        var recipe = new RoutingRecipe(mark: 9);
        string before = ns.Snapshot();

        (bool ok, string[] lines) = await RunAsync((t, o) => t.ApplyAsync(recipe, o), ns.Ip);
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(6, lines.Count(l => l.StartsWith("added ", StringComparison.Ordinal)));
        string applied = ns.Snapshot();
        Assert.Contains("from 127.0.0.1/8 iif lo lookup 123", applied, StringComparison.Ordinal);
        Assert.Contains("from ::1 iif lo lookup 123", applied, StringComparison.Ordinal);
        Assert.Contains("fwmark 0x9 lookup 123", applied, StringComparison.Ordinal);
        Assert.Contains("local default dev lo", applied, StringComparison.Ordinal);

        // Idempotent: a second apply changes nothing.
        (ok, lines) = await RunAsync((t, o) => t.ApplyAsync(recipe, o), ns.Ip);
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(6, lines.Count(l => l.StartsWith("present ", StringComparison.Ordinal)));
        Assert.Equal(applied, ns.Snapshot());

        (ok, lines) = await RunAsync((t, o) => t.RemoveAsync(recipe, o), ns.Ip);
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(6, lines.Count(l => l.StartsWith("removed ", StringComparison.Ordinal)));
        Assert.Equal(before, ns.Snapshot());

        (ok, lines) = await RunAsync((t, o) => t.RemoveAsync(recipe, o), ns.Ip);
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(6, lines.Count(l => l.StartsWith("absent ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Remove_deletes_duplicates_and_leaves_other_entries_of_the_table_alone()
    {
        using TestNamespace ns = TestNamespace.Create();
        ns.Ip_("-4", "route", "add", "unreachable", "198.51.100.0/24", "table", "123");
        ns.Ip_("-4", "rule", "add", "from", "198.51.100.0/24", "lookup", "123");
        string before = ns.Snapshot();
        ns.Ip_("-4", "rule", "add", "from", "127.0.0.1/8", "iif", "lo", "table", "123");
        ns.Ip_("-4", "rule", "add", "from", "127.0.0.1/8", "iif", "lo", "table", "123");

        (bool ok, string[] lines) = await RunAsync((t, o) => t.RemoveAsync(new RoutingRecipe(), o), ns.Ip);
        Assert.True(ok, string.Join('\n', lines));
        Assert.Equal(before, ns.Snapshot());
        Assert.Contains("unreachable 198.51.100.0/24", before, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Return_route_check_fails_with_the_fix_then_passes_after_apply()
    {
        using TestNamespace ns = TestNamespace.Create();
        var recipe = new RoutingRecipe();
        var checks = new RoutingChecks(ns.Ip, recipe);
        var target = new IPEndPoint(IPAddress.Loopback, 443);

        CheckResult missing = await checks.ReturnRouteAsync(AddressFamily.InterNetwork, target);
        Assert.Equal(CheckStatus.Failed, missing.Status);
        Assert.Equal(recipe.FixFor(AddressFamily.InterNetwork), missing.Fix);
        Assert.Contains("ip -4 rule add from 127.0.0.1/8 iif lo table 123", missing.ToString(), StringComparison.Ordinal);

        (bool ok, string[] lines) = await RunAsync((t, o) => t.ApplyAsync(recipe, o), ns.Ip);
        Assert.True(ok, string.Join('\n', lines));
        CheckResult v4 = await checks.ReturnRouteAsync(AddressFamily.InterNetwork, target);
        CheckResult v6 = await checks.ReturnRouteAsync(AddressFamily.InterNetworkV6, new IPEndPoint(IPAddress.IPv6Loopback, 443));
        Assert.True(v4.Status == CheckStatus.Ok, v4.ToString());
        Assert.True(v6.Status == CheckStatus.Ok, v6.ToString());
        Assert.Contains("192.0.2.1", v4.Detail, StringComparison.Ordinal);
        Assert.Contains("2001:db8::1", v6.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mark_route_check_needs_the_fwmark_rule()
    {
        using TestNamespace ns = TestNamespace.Create();
        var checks = new RoutingChecks(ns.Ip, new RoutingRecipe(mark: 5));
        CheckResult missing = await checks.MarkRouteAsync(AddressFamily.InterNetwork, 5);
        Assert.Equal(CheckStatus.Failed, missing.Status);
        Assert.Contains("ip -4 rule add fwmark 5 table 123", missing.Fix, StringComparison.Ordinal);

        ns.Ip_("-4", "rule", "add", "fwmark", "5", "table", "123");
        ns.Ip_("-4", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "123");
        CheckResult present = await checks.MarkRouteAsync(AddressFamily.InterNetwork, 5);
        Assert.True(present.Status == CheckStatus.Ok, present.ToString());
    }

    [Fact]
    public async Task Return_route_check_skips_a_target_on_another_host()
    {
        using TestNamespace ns = TestNamespace.Create();
        var checks = new RoutingChecks(ns.Ip, new RoutingRecipe());
        CheckResult result = await checks.ReturnRouteAsync(AddressFamily.InterNetwork, new IPEndPoint(IPAddress.Parse("198.51.100.7"), 443));
        Assert.Equal(CheckStatus.Skipped, result.Status);
        CheckResult v6ToV4 = await checks.ReturnRouteAsync(AddressFamily.InterNetworkV6, new IPEndPoint(IPAddress.Loopback, 443));
        Assert.Equal(CheckStatus.Skipped, v6ToV4.Status);
    }

    [Fact]
    public async Task Without_ip_the_route_check_fails_with_install_iproute2_not_a_wrong_verdict()
    {
        var checks = new RoutingChecks(new IpCommand("/nonexistent/ip"), new RoutingRecipe());
        CheckResult result = await checks.ReturnRouteAsync(AddressFamily.InterNetwork, new IPEndPoint(IPAddress.Loopback, 443));
        Assert.Equal(CheckStatus.Failed, result.Status);
        Assert.StartsWith("cannot check: cannot run /nonexistent/ip", result.Detail, StringComparison.Ordinal);
        Assert.Equal("install iproute2 (apt-get install iproute2)", result.Fix);
    }
}
