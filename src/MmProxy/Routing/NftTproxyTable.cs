using System.Globalization;

namespace MmProxy.Routing;

/// <summary>
/// The nftables side of --tproxy: a table of our own, <c>inet mmproxy</c>, whose prerouting chain
/// (priority mangle) sends new connections and datagrams to the ports to the transparent listener
/// (<c>tproxy ip to :PORT</c>, <c>tproxy ip6 to :PORT</c>) and marks them so the fwmark rule
/// delivers them locally. TCP packets of connections already accepted by a transparent socket take
/// a shortcut (<c>socket transparent 1</c>) before the tproxy lookup. The table is ours as a whole:
/// apply replaces it in one transaction, remove deletes it.
/// </summary>
internal sealed class NftTproxyTable
{
    public const string TableName = "inet mmproxy";
    public const string ChainName = "prerouting";
    public const string ChainSpec = "type filter hook prerouting priority mangle; policy accept;";

    public NftTproxyTable(TproxySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        string ports = spec.Ports.NftExpression;
        string mark = "meta mark set " + spec.MarkHex + " accept";
        string to = ":" + spec.ListenPort.ToString(CultureInfo.InvariantCulture);
        var rules = new List<NftRule>();
        if ((spec.Protocols & TproxyProtocols.Tcp) != 0)
        {
            rules.Add(new NftRule("tcp, established connections", $"tcp dport {ports} socket transparent 1 {mark}"));
        }

        foreach (string protocol in new[] { "tcp", "udp" })
        {
            if ((spec.Protocols & (protocol == "tcp" ? TproxyProtocols.Tcp : TproxyProtocols.Udp)) == 0)
            {
                continue;
            }

            // Not from loopback: the proxy's own upstream connections (a port-less target is one of these
            // ports) pass prerouting on lo and must reach the service, not come back to the proxy.
            rules.Add(new NftRule($"IPv4 {protocol}", $"iifname != \"lo\" meta nfproto ipv4 {protocol} dport {ports} tproxy ip to {to} {mark}"));
            rules.Add(new NftRule($"IPv6 {protocol}", $"iifname != \"lo\" meta nfproto ipv6 {protocol} dport {ports} tproxy ip6 to {to} {mark}"));
        }

        Rules = rules;
        var script = new List<string>
        {
            // add + delete + add: replaces the table whether or not it exists, in one transaction.
            "add table " + TableName,
            "delete table " + TableName,
            "add table " + TableName,
            $"add chain {TableName} {ChainName} {{ {ChainSpec} }}",
        };
        foreach (NftRule rule in rules)
        {
            script.Add($"add rule {TableName} {ChainName} {rule.Text}");
        }

        Script = script;
    }

    public static IReadOnlyList<string> ListArguments { get; } = ["list", "table", "inet", "mmproxy"];

    /// <summary>`nft -f -`: <see cref="ScriptText"/> on standard input, one transaction.</summary>
    public static IReadOnlyList<string> ApplyArguments { get; } = ["-f", "-"];

    public static IReadOnlyList<string> DeleteArguments { get; } = ["delete", "table", "inet", "mmproxy"];

    public static string DeleteCommand => IpCommand.Format("nft", DeleteArguments);

    public TproxySpec Spec { get; }

    /// <summary>The chain's rules in order, as `nft list` prints them.</summary>
    public IReadOnlyList<NftRule> Rules { get; }

    /// <summary>The nft commands apply runs, one per line.</summary>
    public IReadOnlyList<string> Script { get; }

    public string ScriptText => string.Join('\n', Script) + "\n";

    /// <summary>For apply's lines: "nft table inet mmproxy: tcp dport { 80, 443 } to :9000, mark 0x1".</summary>
    public string Summary =>
        $"nft table {TableName}: {Spec.ProtocolsText} dport {Spec.Ports.NftExpression} tproxy to :{Spec.ListenPort.ToString(CultureInfo.InvariantCulture)}, mark {Spec.MarkHex}";

    /// <summary>Compares a listing of our table (null: no such table) with what apply writes.</summary>
    public NftTableDiff Compare(NftListing? listing)
    {
        if (listing is null)
        {
            return NftTableDiff.Absent;
        }

        var expected = new List<string> { NftListing.Normalize(ChainSpec) };
        expected.AddRange(Rules.Select(r => NftListing.Normalize(r.Text)));
        IReadOnlyList<string> actual = listing.Chains.TryGetValue(ChainName, out IReadOnlyList<string>? lines) ? lines : [];
        var missing = expected.Where(l => !actual.Contains(l)).ToList();
        var unexpected = actual.Where(l => !expected.Contains(l)).ToList();
        foreach ((string chain, IReadOnlyList<string> other) in listing.Chains)
        {
            if (chain != ChainName)
            {
                unexpected.Add($"chain {chain} ({other.Count} lines)");
            }
        }

        unexpected.AddRange(listing.Others);
        bool outOfOrder = missing.Count == 0 && unexpected.Count == 0 && !actual.SequenceEqual(expected);
        return new NftTableDiff(true, missing, unexpected, outOfOrder);
    }
}
