using System.Text;
using MmProxy.ProxyProtocol;

namespace MmProxy.Diagnostics;

/// <summary>
/// A header address for log messages, formatted only when a message is written. IP addresses are
/// formatted from parsed values; UNIX paths come from the peer and are escaped (non-printable and
/// non-ASCII characters as \xNN, length capped) so they cannot forge log lines.
/// </summary>
internal readonly struct LoggedAddress(ProxyAddress address)
{
    private const int MaxPathChars = 108;

    public override string ToString() => address.Kind switch
    {
        ProxyAddressKind.None => "-",
        ProxyAddressKind.Unix => "unix:" + Escape(address.UnixPath ?? string.Empty),
        _ => address.ToString(),
    };

    internal static string Escape(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxPathChars) + 8);
        int shown = 0;
        foreach (char c in text)
        {
            if (shown++ == MaxPathChars)
            {
                builder.Append("...");
                break;
            }

            if (c is >= ' ' and <= '~' and not '\\' and not '"')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append(@"\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
