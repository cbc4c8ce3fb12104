using System.Net.Sockets;

namespace MmProxy.Routing;

/// <summary>
/// The policy routing mmproxy needs, for IPv4 and IPv6: traffic from loopback (the upstream
/// service's replies to spoofed client addresses) is looked up in table N, where every address is
/// local, so the replies come back to the proxy instead of leaving the host. With --mark, packets
/// carrying the mark are looked up in table N too.
/// </summary>
internal sealed class RoutingRecipe
{
    public const int DefaultTable = 123;

    public RoutingRecipe(int table = DefaultTable, uint mark = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(table, 1);
        Table = table;
        Mark = mark;
        var steps = new List<RoutingStep>();
        foreach (AddressFamily family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
        {
            steps.AddRange(StepsFor(family));
        }

        Steps = steps;
    }

    public int Table { get; }

    public uint Mark { get; }

    /// <summary>In the order apply runs them (remove runs them backwards).</summary>
    public IReadOnlyList<RoutingStep> Steps { get; }

    public IReadOnlyList<RoutingStep> StepsFor(AddressFamily family)
    {
        var steps = new List<RoutingStep> { RoutingStep.LoopbackRule(family, Table) };
        if (Mark != 0)
        {
            steps.Add(RoutingStep.MarkRule(family, Mark, Table));
        }

        steps.Add(RoutingStep.LocalRoute(family, Table));
        return steps;
    }

    /// <summary>The shell commands that fix one family ("ip -4 rule add ... &amp;&amp; ip -4 route add ...").</summary>
    public string FixFor(AddressFamily family, bool markRuleOnly = false)
    {
        var commands = new List<string>();
        foreach (RoutingStep step in StepsFor(family))
        {
            if (!markRuleOnly || step.Kind == RoutingStepKind.Route || step.AddArguments.Contains("fwmark"))
            {
                commands.Add(step.AddCommand);
            }
        }

        return string.Join(" && ", commands) + $" (or: mmproxy routing apply --table {Table}{(Mark != 0 ? " --mark " + Mark : string.Empty)})";
    }
}
