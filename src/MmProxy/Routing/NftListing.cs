using System.Globalization;
using System.Text.RegularExpressions;

namespace MmProxy.Routing;

/// <summary>
/// The output of `nft list table inet mmproxy`, parsed: each chain's lines (its "type … hook …"
/// line first, then its rules), normalized so that what we wrote compares equal to what nft prints
/// back (whitespace, "0x00000001" for 0x1, "# handle N").
/// </summary>
internal sealed partial class NftListing
{
    private NftListing(IReadOnlyDictionary<string, IReadOnlyList<string>> chains, IReadOnlyList<string> others)
    {
        Chains = chains;
        Others = others;
    }

    /// <summary>Chain name → its normalized lines, in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Chains { get; }

    /// <summary>Anything in the table that is not a chain (sets, maps, …), by its opening line.</summary>
    public IReadOnlyList<string> Others { get; }

    public static NftListing Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chains = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var others = new List<string>();
        List<string>? chain = null;
        int depth = 0;
        foreach (string raw in text.Split('\n'))
        {
            string line = Normalize(raw);
            if (line.Length == 0)
            {
                continue;
            }

            if (line.EndsWith('{'))
            {
                depth++;
                if (depth == 2 && line.StartsWith("chain ", StringComparison.Ordinal))
                {
                    chain = [];
                    chains[line["chain ".Length..^1].Trim()] = chain;
                }
                else if (depth == 2)
                {
                    others.Add(line[..^1].Trim());
                }

                continue;
            }

            if (line == "}")
            {
                depth--;
                chain = depth < 2 ? null : chain;
                continue;
            }

            if (depth == 2 && chain is not null)
            {
                chain.Add(line);
            }
        }

        return new NftListing(chains, others);
    }

    /// <summary>One line as nft would compare it: single spaces, hex without leading zeros, no handle comment.</summary>
    public static string Normalize(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = HandleComment().Replace(line, string.Empty);
        string[] tokens = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < tokens.Length; i++)
        {
            string token = tokens[i];
            if (token.Length > 2 && token.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && ulong.TryParse(token.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
            {
                tokens[i] = "0x" + value.ToString("x", CultureInfo.InvariantCulture);
            }
        }

        // Older and newer nft may print a transport match the long way.
        return string.Join(' ', tokens)
            .Replace("meta l4proto tcp th dport", "tcp dport", StringComparison.Ordinal)
            .Replace("meta l4proto udp th dport", "udp dport", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\s#\s*handle\s+\d+\s*$")]
    private static partial Regex HandleComment();
}
