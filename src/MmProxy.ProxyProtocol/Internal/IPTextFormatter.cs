using System.Buffers.Binary;

namespace MmProxy.ProxyProtocol.Internal;

/// <summary>Allocation-free text forms of IP addresses (IPv6 per RFC 5952, lowercase, longest zero run compressed).</summary>
internal static class IPTextFormatter
{
    private const string HexDigits = "0123456789abcdef";

    /// <summary>Writes "a.b.c.d"; destination must hold 15 chars.</summary>
    public static int FormatIPv4(ReadOnlySpan<byte> address, Span<char> destination)
    {
        int n = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                destination[n++] = '.';
            }

            n += FormatDecimal(address[i], destination[n..]);
        }

        return n;
    }

    /// <summary>
    /// Writes the RFC 5952 form; destination must hold 45 chars. Without <paramref name="allowIsatap"/>
    /// the ISATAP mixed form (up to 41 chars) is not used: two of them would not fit a v1 line.
    /// </summary>
    public static int FormatIPv6(ReadOnlySpan<byte> address, Span<char> destination, bool allowIsatap = true)
    {
        Span<ushort> groups = stackalloc ushort[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = BinaryPrimitives.ReadUInt16BigEndian(address[(i * 2)..]);
        }

        // Same choice of mixed (embedded IPv4) form as IPAddress.ToString, so logs read the same.
        bool mapped = HasEmbeddedIPv4(groups, allowIsatap);
        int groupCount = mapped ? 6 : 8;

        int bestStart = -1, bestLength = 0;
        for (int i = 0; i < groupCount;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }

            int start = i;
            while (i < groupCount && groups[i] == 0)
            {
                i++;
            }

            if (i - start > bestLength)
            {
                bestStart = start;
                bestLength = i - start;
            }
        }

        if (bestLength < 2)
        {
            bestStart = -1;
        }

        int n = 0;
        for (int i = 0; i < groupCount; i++)
        {
            if (i == bestStart)
            {
                destination[n++] = ':';
                destination[n++] = ':';
                i += bestLength - 1;
                continue;
            }

            if (i > 0 && i != bestStart + bestLength)
            {
                destination[n++] = ':';
            }

            n += FormatHex(groups[i], destination[n..]);
        }

        if (mapped)
        {
            if (bestStart + bestLength != groupCount)
            {
                destination[n++] = ':';
            }

            n += FormatIPv4(address[12..], destination[n..]);
        }

        return n;
    }

    // IPv4-compatible, IPv4-mapped, SIIT (::ffff:0:a.b.c.d) and ISATAP (…:0:5efe:a.b.c.d).
    private static bool HasEmbeddedIPv4(ReadOnlySpan<ushort> g, bool allowIsatap)
    {
        if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[6] != 0 &&
            ((g[4] == 0 && g[5] is 0 or 0xFFFF) || (g[4] == 0xFFFF && g[5] == 0)))
        {
            return true;
        }

        return allowIsatap && g[4] == 0 && g[5] == 0x5EFE;
    }

    private static int FormatDecimal(byte value, Span<char> destination)
    {
        int n = 0;
        if (value >= 100)
        {
            destination[n++] = (char)('0' + (value / 100));
        }

        if (value >= 10)
        {
            destination[n++] = (char)('0' + (value / 10 % 10));
        }

        destination[n++] = (char)('0' + (value % 10));
        return n;
    }

    private static int FormatHex(ushort value, Span<char> destination)
    {
        int n = 0;
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4)
        {
            int digit = (value >> shift) & 0xF;
            if (digit != 0 || started || shift == 0)
            {
                destination[n++] = HexDigits[digit];
                started = true;
            }
        }

        return n;
    }
}
