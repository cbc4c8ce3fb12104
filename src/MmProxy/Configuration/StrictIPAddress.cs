using System.Net;
using System.Net.Sockets;

namespace MmProxy.Configuration;

/// <summary>
/// IP address parsing as strict as Go's: IPv4 only as four decimal octets without leading zeros
/// (IPAddress.TryParse also takes "10.1" and "0x7f.1" forms), IPv6 without a zone.
/// </summary>
internal static class StrictIPAddress
{
    public static bool TryParse(ReadOnlySpan<char> text, out IPAddress? address)
    {
        address = null;
        if (text.IsEmpty || text.Contains('%'))
        {
            return false;
        }

        if (text.Contains(':'))
        {
            return IPAddress.TryParse(text, out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }

        return IsDottedQuad(text) && IPAddress.TryParse(text, out address);
    }

    private static bool IsDottedQuad(ReadOnlySpan<char> text)
    {
        int parts = 0;
        foreach (Range range in text.Split('.'))
        {
            ReadOnlySpan<char> part = text[range];
            if (part.IsEmpty || part.Length > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            int value = 0;
            foreach (char c in part)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }

                value = (value * 10) + (c - '0');
            }

            if (value > 255)
            {
                return false;
            }

            parts++;
        }

        return parts == 4;
    }
}
