using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace MmProxy.ProxyProtocol.Tests.Support;

/// <summary>
/// An independent, whole-line reading of spec 2.1 (regular expressions + IPAddress), used to
/// cross-check the streaming parser's accept/reject decision on complete lines.
/// </summary>
internal static partial class ReferenceV1
{
    /// <summary>True/false for a line ending in CRLF within 107 bytes; null when the input has no such line.</summary>
    public static bool? IsValid(byte[] input)
    {
        int crlf = input.AsSpan().IndexOf("\r\n"u8);
        if (crlf < 0 || crlf + 2 > 107)
        {
            return null;
        }

        string line = Encoding.Latin1.GetString(input, 0, crlf);
        if (line.Contains('\r', StringComparison.Ordinal))
        {
            return false;
        }

        if (UnknownLine().IsMatch(line))
        {
            return true;
        }

        Match m = TcpLine().Match(line);
        if (!m.Success)
        {
            return false;
        }

        bool v6 = m.Groups[1].Value == "TCP6";
        return IsAddress(m.Groups[2].Value, v6) && IsAddress(m.Groups[3].Value, v6) && IsPort(m.Groups[4].Value) && IsPort(m.Groups[5].Value);
    }

    private static bool IsAddress(string text, bool v6)
    {
        if (!v6)
        {
            return StrictIPv4().IsMatch(text);
        }

        if (!IPv6Chars().IsMatch(text) || !IPAddress.TryParse(text, out IPAddress? address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        // An embedded IPv4 tail follows the IPv4 rules too (no leading zeros, four octets).
        int lastColon = text.LastIndexOf(':');
        string tail = text[(lastColon + 1)..];
        return !tail.Contains('.', StringComparison.Ordinal) || StrictIPv4().IsMatch(tail);
    }

    private static bool IsPort(string text) => PortText().IsMatch(text) && int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) <= 65535;

    [GeneratedRegex(@"\APROXY UNKNOWN(?:[ ][^\r]*)?\z", RegexOptions.Singleline)]
    private static partial Regex UnknownLine();

    [GeneratedRegex(@"\APROXY (TCP4|TCP6) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+)\z", RegexOptions.Singleline)]
    private static partial Regex TcpLine();

    [GeneratedRegex(@"\A(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\z")]
    private static partial Regex StrictIPv4();

    [GeneratedRegex(@"\A[0-9A-Fa-f:.]+\z")]
    private static partial Regex IPv6Chars();

    [GeneratedRegex(@"\A(?:0|[1-9][0-9]{0,4})\z")]
    private static partial Regex PortText();
}
