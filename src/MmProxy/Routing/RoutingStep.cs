using System.Globalization;
using System.Net.Sockets;

namespace MmProxy.Routing;

/// <summary>
/// One rule or route of the recipe: the `ip` arguments to add, delete and list it, and how to
/// recognise it in the listing (so apply and remove are idempotent).
/// </summary>
internal sealed class RoutingStep
{
    private readonly string? _from;
    private readonly uint _mark;

    private RoutingStep(AddressFamily family, RoutingStepKind kind, int table, string? from, uint mark, string[] selector)
    {
        Family = family;
        Kind = kind;
        Table = table;
        _from = from;
        _mark = mark;
        string familyFlag = family == AddressFamily.InterNetworkV6 ? "-6" : "-4";
        string noun = kind == RoutingStepKind.Rule ? "rule" : "route";
        string tableText = table.ToString(CultureInfo.InvariantCulture);
        AddArguments = [familyFlag, noun, "add", .. selector, "table", tableText];
        DeleteArguments = [familyFlag, noun, "del", .. selector, "table", tableText];
        ShowArguments = [familyFlag, noun, "show", "table", tableText];
        TableRulesArguments = [familyFlag, "rule", "show", "table", tableText];
    }

    public AddressFamily Family { get; }

    public RoutingStepKind Kind { get; }

    public int Table { get; }

    public IReadOnlyList<string> AddArguments { get; }

    public IReadOnlyList<string> DeleteArguments { get; }

    public IReadOnlyList<string> ShowArguments { get; }

    /// <summary>Lists the rules of this family that look up our table (whatever the step's kind).</summary>
    public IReadOnlyList<string> TableRulesArguments { get; }

    public string AddCommand => IpCommand.Format("ip", AddArguments);

    public string DeleteCommand => IpCommand.Format("ip", DeleteArguments);

    /// <summary>"from 127.0.0.1/8 iif lo lookup T" (IPv6: "from ::1/128").</summary>
    public static RoutingStep LoopbackRule(AddressFamily family, int table)
    {
        string from = family == AddressFamily.InterNetworkV6 ? "::1/128" : "127.0.0.1/8";
        return new RoutingStep(family, RoutingStepKind.Rule, table, from, 0, ["from", from, "iif", "lo"]);
    }

    /// <summary>"from ADDRESS iif lo lookup T", for a target on a local, non-loopback address.</summary>
    public static RoutingStep SourceRule(AddressFamily family, string fromPrefix, int table) =>
        new(family, RoutingStepKind.Rule, table, fromPrefix, 0, ["from", fromPrefix, "iif", "lo"]);

    /// <summary>"fwmark N lookup T": packets carrying the --mark are routed by our table.</summary>
    public static RoutingStep MarkRule(AddressFamily family, uint mark, int table) =>
        new(family, RoutingStepKind.Rule, table, null, mark, ["fwmark", mark.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>"local default dev lo" in table T (0.0.0.0/0 or ::/0).</summary>
    public static RoutingStep LocalRoute(AddressFamily family, int table)
    {
        string all = family == AddressFamily.InterNetworkV6 ? "::/0" : "0.0.0.0/0";
        return new RoutingStep(family, RoutingStepKind.Route, table, null, 0, ["local", all, "dev", "lo"]);
    }

    /// <summary>Whether the output of <see cref="ShowArguments"/> contains this step.</summary>
    public int CountIn(string listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        int count = 0;
        foreach (string line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Matches(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)))
            {
                count++;
            }
        }

        return count;
    }

    private bool Matches(string[] tokens)
    {
        if (Kind == RoutingStepKind.Route)
        {
            // "local default dev lo scope host" / "local default dev lo metric 1024 pref medium"
            return tokens.Length >= 4 && tokens[0] == "local" && tokens[1] is "default" or "0.0.0.0/0" or "::/0"
                && ValueAfter(tokens, "dev") == "lo";
        }

        // "32765:	from 127.0.0.1/8 iif lo lookup 123" / "32764:	from all fwmark 0x5 lookup 123"
        if (!IsOurTable(ValueAfter(tokens, "lookup")))
        {
            return false;
        }

        if (_from is not null)
        {
            return SamePrefix(ValueAfter(tokens, "from"), _from) && ValueAfter(tokens, "iif") == "lo"
                && ValueAfter(tokens, "fwmark") is null;
        }

        return ParseMark(ValueAfter(tokens, "fwmark")) == _mark && ValueAfter(tokens, "from") is null or "all"
            && ValueAfter(tokens, "iif") is null;
    }

    private bool IsOurTable(string? value) =>
        value is not null && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int t) && t == Table;

    private static string? ValueAfter(string[] tokens, string key)
    {
        for (int i = 0; i < tokens.Length - 1; i++)
        {
            if (tokens[i] == key)
            {
                return tokens[i + 1];
            }
        }

        return null;
    }

    // `ip` prints a host prefix without its length ("::1", "192.0.2.7").
    private static bool SamePrefix(string? shown, string wanted) =>
        shown is not null && (shown == wanted || shown + (shown.Contains(':', StringComparison.Ordinal) ? "/128" : "/32") == wanted);

    private static uint? ParseMark(string? value)
    {
        if (value is null)
        {
            return null;
        }

        int slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            // "0x5/0xffffffff": a full mask is the same rule.
            if (!value.AsSpan(slash + 1).Equals("0xffffffff", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            value = value[..slash];
        }

        return value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && uint.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint hex)
            ? hex
            : uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint dec) ? dec : null;
    }
}
