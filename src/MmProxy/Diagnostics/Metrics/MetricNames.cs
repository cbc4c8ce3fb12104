using System.Text;
using MmProxy.ProxyProtocol;

namespace MmProxy.Diagnostics.Metrics;

/// <summary>Label values derived from enums, computed once (never per scrape or per connection).</summary>
internal static class MetricNames
{
    private static readonly string[] ParseErrorNames = BuildParseErrorNames();

    /// <summary>"V1InvalidSourcePort" → "v1_invalid_source_port", "Crc32CMismatch" → "crc32c_mismatch".</summary>
    public static string ParseError(ProxyParseError error) => ParseErrorNames[(int)error];

    public static string SnakeCase(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        name = name.Replace("IPv", "Ipv", StringComparison.Ordinal);
        var builder = new StringBuilder(name.Length + 8);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (i > 0 && char.IsUpper(c))
            {
                char previous = name[i - 1];
                bool nextIsLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (char.IsLower(previous) || ((char.IsUpper(previous) || char.IsDigit(previous)) && nextIsLower))
                {
                    builder.Append('_');
                }
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    private static string[] BuildParseErrorNames()
    {
        var names = new string[byte.MaxValue + 1];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = "error_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (ProxyParseError error in Enum.GetValues<ProxyParseError>())
        {
            names[(int)error] = SnakeCase(error.ToString());
        }

        return names;
    }
}
