using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MmProxy.Configuration;

namespace MmProxy.Cli;

/// <summary>
/// Parses go-mmproxy style addresses: "192.0.2.1:443", "[2001:db8::1]:443", ":8443" (every
/// address, dual-stack) and "localhost:443".
/// </summary>
internal static class EndPointParser
{
    /// <summary>
    /// A target: IP:PORT, or an address alone ("127.0.0.1", "::1", "[::1]"), which is port 0: the
    /// port the client connected to (a TPROXY listener).
    /// </summary>
    public static bool TryParseTarget(ReadOnlySpan<char> text, out IPEndPoint? endPoint, out string? problem)
    {
        ReadOnlySpan<char> trimmed = text.Trim();
        bool bracketed = trimmed.Length >= 2 && trimmed[0] == '[' && trimmed[^1] == ']';
        ReadOnlySpan<char> bare = bracketed ? trimmed[1..^1] : trimmed;

        // IPAddress.TryParse also takes "[::1]:443" and "1.2.3.4:80": only a lone address is port-less.
        bool lone = bracketed || !trimmed.Contains('[');
        if (lone && Configuration.StrictIPAddress.TryParse(bare, out IPAddress? address)
            && (bare.Contains(':') == (address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)))
        {
            endPoint = new IPEndPoint(address, 0);
            problem = null;
            return true;
        }

        return TryParse(text, out endPoint, out problem);
    }

    public static bool TryParse(ReadOnlySpan<char> text, out IPEndPoint? endPoint, out string? problem)
    {
        endPoint = null;
        text = text.Trim();
        int colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            problem = "expected IP:PORT, for example 127.0.0.1:443 or [::1]:443";
            return false;
        }

        ReadOnlySpan<char> host = text[..colon];
        ReadOnlySpan<char> portText = text[(colon + 1)..];
        if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port))
        {
            problem = "the port must be a number between 0 and 65535";
            return false;
        }

        IPAddress? address;
        if (host.IsEmpty)
        {
            // Go listens on every address of both families for ":port".
            address = IPAddress.IPv6Any;
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (host.Length >= 2 && host[0] == '[' && host[^1] == ']')
        {
            if (!StrictIPAddress.TryParse(host[1..^1], out address) || address!.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = "the address in brackets is not an IPv6 address";
                return false;
            }
        }
        else if (!StrictIPAddress.TryParse(host, out address) || address!.AddressFamily != AddressFamily.InterNetwork)
        {
            problem = "expected IP:PORT with an IPv4 address or a bracketed IPv6 address, for example 127.0.0.1:443 or [::1]:443";
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        problem = null;
        return true;
    }

    /// <summary>Go's style: IPv6 in brackets.</summary>
    public static string Format(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return endPoint.ToString();
    }
}
