using System.Globalization;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>A port or an inclusive range of ports ("443", "10000-10009").</summary>
internal readonly record struct PortRange(int First, int Count)
{
    public const int MaxCount = 4096;

    public int Last => First + Count - 1;

    public bool IsSingle => Count == 1;

    /// <summary>The port <paramref name="index"/> places after <see cref="First"/>; a single port maps every index onto itself.</summary>
    public int PortAt(int index) => IsSingle ? First : First + index;

    public bool Overlaps(PortRange other) => First <= other.Last && other.First <= Last;

    public static bool TryParse(ReadOnlySpan<char> text, out PortRange range, out string? problem)
    {
        range = default;
        int dash = text.IndexOf('-');
        ReadOnlySpan<char> firstText = dash < 0 ? text : text[..dash];
        ReadOnlySpan<char> lastText = dash < 0 ? text : text[(dash + 1)..];
        if (!TryParsePort(firstText, out int first) || !TryParsePort(lastText, out int last))
        {
            problem = "a port is a number between 0 and 65535, a range is FIRST-LAST (10000-10009)";
            return false;
        }

        if (last < first)
        {
            problem = $"the range {first}-{last} ends before it starts: write it as {last}-{first}";
            return false;
        }

        if (dash >= 0 && first == 0)
        {
            problem = "port 0 (any free port) cannot start a range";
            return false;
        }

        if (last - first + 1 > MaxCount)
        {
            problem = $"the range {first}-{last} has {last - first + 1} ports; at most {MaxCount} are allowed";
            return false;
        }

        range = new PortRange(first, last - first + 1);
        problem = null;
        return true;
    }

    public override string ToString() =>
        IsSingle ? First.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");

    private static bool TryParsePort(ReadOnlySpan<char> text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535 && text.Length <= 5;
}
