using System.Globalization;
using System.Net;

namespace MmProxy.Configuration;

/// <summary>
/// Reads an allowed-destinations list: per line <c>CIDR</c>, <c>CIDR PORT</c> or <c>CIDR FIRST-LAST</c>,
/// <c>#</c> comments and blank lines allowed; as strict as the allowed-subnets file (host bits masked
/// with a warning, any bad line fails the whole list, an empty list fails: fail closed).
/// </summary>
internal static class AllowedDestinationsLoader
{
    private const string LineHelp = "a line holds a subnet and optionally a port or a range: 127.0.0.1/32, 127.0.0.0/8 8000, 2001:db8::/32 8000-8999";

    public static AllowedDestinationsLoadResult LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return AllowedSubnetsLoader.TryReadList(path, "allowed destinations", out string text, out string? error)
            ? Parse(text.Split('\n'), path, inline: false)
            : AllowedDestinationsLoadResult.Failure(error!, []);
    }

    /// <param name="lines">The file's lines, or the entries of an inline list.</param>
    /// <param name="source">The file name (or listener) used in messages.</param>
    /// <param name="inline">Entries of a list: messages say "entry N" instead of "source:line".</param>
    public static AllowedDestinationsLoadResult Parse(IEnumerable<string> lines, string source, bool inline)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var entries = new List<AllowedDestination>();
        var warnings = new List<string>();
        int number = 0;
        foreach (string rawLine in lines)
        {
            number++;
            string where = inline
                ? string.Create(CultureInfo.InvariantCulture, $"{source}: allowedDestinations entry {number - 1}")
                : string.Create(CultureInfo.InvariantCulture, $"{source}:{number}");
            ReadOnlySpan<char> line = rawLine;
            int hash = line.IndexOf('#');
            line = (hash >= 0 ? line[..hash] : line).Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            int space = line.IndexOfAny(' ', '\t');
            ReadOnlySpan<char> cidr = space < 0 ? line : line[..space];
            ReadOnlySpan<char> ports = space < 0 ? [] : line[(space + 1)..].Trim();
            if (!AllowedSubnetsLoader.TryParseNetwork(cidr, out IPNetwork network, out bool masked, out string? problem))
            {
                return AllowedDestinationsLoadResult.Failure($"{where}: {problem} ({LineHelp})", warnings);
            }

            if (!TryParsePorts(ports, out int first, out int last, out problem))
            {
                return AllowedDestinationsLoadResult.Failure($"{where}: {problem} ({LineHelp})", warnings);
            }

            if (masked)
            {
                warnings.Add($"{where}: {cidr.ToString()} has host bits set; using {network}");
            }

            entries.Add(new AllowedDestination(network, first, last));
        }

        return entries.Count == 0
            ? AllowedDestinationsLoadResult.Failure($"{source}: the allowed destinations list is empty; refusing to start rather than allow every destination or none", warnings)
            : AllowedDestinationsLoadResult.Success(new AllowedDestinations(entries), warnings);
    }

    private static bool TryParsePorts(ReadOnlySpan<char> text, out int first, out int last, out string? problem)
    {
        (first, last, problem) = (1, ushort.MaxValue, null);
        if (text.IsEmpty)
        {
            return true;
        }

        int dash = text.IndexOf('-');
        ReadOnlySpan<char> low = dash < 0 ? text : text[..dash];
        ReadOnlySpan<char> high = dash < 0 ? text : text[(dash + 1)..];
        if (!TryPort(low, out first) || !TryPort(high, out last))
        {
            problem = $"'{text.ToString()}' is not a port (1-65535) or a range FIRST-LAST";
            return false;
        }

        if (last < first)
        {
            problem = $"the range {first}-{last} ends before it starts";
            return false;
        }

        return true;
    }

    private static bool TryPort(ReadOnlySpan<char> text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= ushort.MaxValue
        && (text.Length == 1 || text[0] != '0');
}
