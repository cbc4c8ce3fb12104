using System.Globalization;
using System.Net.Sockets;

namespace MmProxy.Routing;

/// <summary>
/// The policy routing mmproxy needs, for IPv4 and IPv6: traffic from loopback (the upstream
/// service's replies to spoofed client addresses) is looked up in table N, where every address is
/// local, so the replies come back to the proxy instead of leaving the host. With --mark, packets
/// carrying the mark are looked up in table N too. With --tproxy, packets to the given ports are
/// diverted to the transparent listener by our nft table (<see cref="Nft"/>) and marked, and a
/// fwmark rule for that mark looks them up in table N as well: the local route is shared.
/// </summary>
internal sealed class RoutingRecipe
{
    public const int DefaultTable = 123;

    public RoutingRecipe(int table = DefaultTable, uint mark = 0, TproxySpec? tproxy = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(table, 1);
        Table = table;
        Mark = mark;
        Tproxy = tproxy;
        Nft = tproxy is null ? null : new NftTproxyTable(tproxy);
        var steps = new List<RoutingStep>();
        foreach (AddressFamily family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
        {
            steps.AddRange(StepsFor(family));
        }

        Steps = steps;
    }

    public int Table { get; }

    public uint Mark { get; }

    /// <summary>What --tproxy asked for; null without it.</summary>
    public TproxySpec? Tproxy { get; }

    /// <summary>Our nft table for --tproxy: applied after <see cref="Steps"/>, removed before them.</summary>
    public NftTproxyTable? Nft { get; }

    /// <summary>The `ip` steps in the order apply runs them (remove runs them backwards).</summary>
    public IReadOnlyList<RoutingStep> Steps { get; }

    /// <summary>`mmproxy routing apply` with the options of this recipe.</summary>
    public string ApplyCommand =>
        $"mmproxy routing apply --table {Table.ToString(CultureInfo.InvariantCulture)}"
        + (Mark != 0 ? " --mark " + Mark.ToString(CultureInfo.InvariantCulture) : string.Empty)
        + (Tproxy?.CommandLineOptions ?? string.Empty);

    public IReadOnlyList<RoutingStep> StepsFor(AddressFamily family)
    {
        var steps = new List<RoutingStep> { RoutingStep.LoopbackRule(family, Table) };
        if (Mark != 0)
        {
            steps.Add(RoutingStep.MarkRule(family, Mark, Table));
        }

        if (Tproxy is not null && Tproxy.Mark != Mark)
        {
            steps.Add(RoutingStep.MarkRule(family, Tproxy.Mark, Table));
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

        return string.Join(" && ", commands) + $" (or: {ApplyCommand})";
    }

    /// <summary>The commands that route packets carrying <paramref name="mark"/> locally: its fwmark rule and the local route.</summary>
    public string FixForMark(AddressFamily family, uint mark) =>
        RoutingStep.MarkRule(family, mark, Table).AddCommand + " && " + RoutingStep.LocalRoute(family, Table).AddCommand + $" (or: {ApplyCommand})";
}
