using System.Globalization;

namespace MmProxy.Configuration;

/// <summary>
/// Parses durations given on the command line: plain seconds ("5", "1.5") or a number with a unit
/// suffix: ms, s, m, h ("500ms", "5s", "1m").
/// </summary>
internal static class DurationParser
{
    /// <summary>The longest duration any setting takes.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(365);

    public static bool TryParse(ReadOnlySpan<char> text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return false;
        }

        double unitMilliseconds;
        int unitLength;
        if (text.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            unitMilliseconds = 1;
            unitLength = 2;
        }
        else if (text.EndsWith('s') || text.EndsWith('S'))
        {
            unitMilliseconds = 1000;
            unitLength = 1;
        }
        else if (text.EndsWith('m') || text.EndsWith('M'))
        {
            unitMilliseconds = 60_000;
            unitLength = 1;
        }
        else if (text.EndsWith('h') || text.EndsWith('H'))
        {
            unitMilliseconds = 3_600_000;
            unitLength = 1;
        }
        else
        {
            unitMilliseconds = 1000;
            unitLength = 0;
        }

        ReadOnlySpan<char> number = text[..^unitLength];
        if (number.IsEmpty
            || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount)
            || double.IsNaN(amount) || amount < 0)
        {
            return false;
        }

        double milliseconds = amount * unitMilliseconds;
        if (milliseconds > Max.TotalMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(Math.Round(milliseconds));
        return true;
    }

    /// <summary>Formats for help and log output: "500ms", "5s", "1m30s" style, shortest exact unit.</summary>
    public static string Format(TimeSpan value)
    {
        long ms = (long)value.TotalMilliseconds;
        if (ms % 1000 != 0)
        {
            return ms.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        long seconds = ms / 1000;
        return seconds % 60 == 0 && seconds != 0
            ? (seconds / 60).ToString(CultureInfo.InvariantCulture) + "m"
            : seconds.ToString(CultureInfo.InvariantCulture) + "s";
    }
}
