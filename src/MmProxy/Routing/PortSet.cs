using System.Globalization;

namespace MmProxy.Routing;

/// <summary>
/// The ports of --tproxy: a port ("443"), a range ("10000-10999") or a comma list of those
/// ("80,443,10000-10999"). Kept sorted with overlapping and adjacent ranges merged, the way nft
/// stores an interval set, so what we write is what `nft list` shows back.
/// </summary>
internal sealed class PortSet
{
    private const string Expected = "expected a port (443), a range (10000-10999) or a comma list of those (80,443,10000-10999)";

    private PortSet(IReadOnlyList<PortRange> ranges) => Ranges = ranges;

    /// <summary>Sorted, disjoint and not adjacent; never empty.</summary>
    public IReadOnlyList<PortRange> Ranges { get; }

    /// <summary>Parses PORTS; on failure <paramref name="error"/> says what is wrong and what is expected.</summary>
    public static bool TryParse(string? text, out PortSet set, out string error)
    {
        set = new PortSet([]);
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "no ports: " + Expected;
            return false;
        }

        var ranges = new List<PortRange>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
            {
                error = $"an empty entry in '{text}': {Expected}";
                return false;
            }

            if (!TryParseRange(part, out PortRange range, out error))
            {
                return false;
            }

            ranges.Add(range);
        }

        set = new PortSet(Merge(ranges));
        return true;
    }

    /// <summary>What nft writes after "dport": "443", "10000-10999" or "{ 80, 443, 10000-10999 }".</summary>
    public string NftExpression => Ranges.Count == 1 ? Ranges[0].ToString() : "{ " + string.Join(", ", Ranges) + " }";

    /// <summary>The canonical command-line form, "80,443,10000-10999".</summary>
    public override string ToString() => string.Join(',', Ranges);

    private static bool TryParseRange(string part, out PortRange range, out string error)
    {
        range = default;
        int dash = part.IndexOf('-', StringComparison.Ordinal);
        string firstText = dash < 0 ? part : part[..dash].Trim();
        string lastText = dash < 0 ? part : part[(dash + 1)..].Trim();
        if (!TryParsePort(firstText, part, out int first, out error) || !TryParsePort(lastText, part, out int last, out error))
        {
            return false;
        }

        if (last < first)
        {
            error = $"the range '{part}' ends before it starts (write {lastText}-{firstText})";
            return false;
        }

        range = new PortRange(first, last);
        return true;
    }

    private static bool TryParsePort(string text, string part, out int port, out string error)
    {
        error = string.Empty;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            // Digits too many for an int are a number out of range, not a typo.
            bool digits = text.Length > 0 && text.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;
            error = digits ? $"'{text}' is not a port: ports are 1 to 65535" : $"'{part}' is not a port or a range: {Expected}";
            return false;
        }

        if (port is < 1 or > 65535)
        {
            error = $"'{text}' is not a port: ports are 1 to 65535";
            return false;
        }

        return true;
    }

    private static List<PortRange> Merge(List<PortRange> ranges)
    {
        ranges.Sort((a, b) => a.First != b.First ? a.First.CompareTo(b.First) : a.Last.CompareTo(b.Last));
        var merged = new List<PortRange>(ranges.Count);
        foreach (PortRange range in ranges)
        {
            if (merged.Count > 0 && range.First <= merged[^1].Last + 1)
            {
                merged[^1] = merged[^1] with { Last = Math.Max(merged[^1].Last, range.Last) };
            }
            else
            {
                merged.Add(range);
            }
        }

        return merged;
    }
}
