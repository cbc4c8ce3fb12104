namespace MmProxy.ProxyProtocol.Internal;

/// <summary>
/// Strict, allocation-free parsing of ASCII address text as the v1 header carries it
/// (IPAddress.TryParse is lenient about IPv4 forms such as "1" or "01.2.3.4", and allocates).
/// </summary>
internal static class IPTextParser
{
    /// <summary>Four decimal octets 0-255 without leading zeros.</summary>
    public static bool TryParseIPv4(ReadOnlySpan<byte> text, out uint address)
    {
        address = 0;
        int octets = 0;
        int i = 0;
        while (true)
        {
            int start = i;
            int value = 0;
            while (i < text.Length && IsDigit(text[i]))
            {
                if (i > start && text[start] == '0')
                {
                    return false;
                }

                value = (value * 10) + (text[i] - '0');
                if (value > 255)
                {
                    return false;
                }

                i++;
            }

            if (i == start)
            {
                return false;
            }

            address = (address << 8) | (uint)value;
            octets++;
            if (octets == 4)
            {
                return i == text.Length;
            }

            if (i >= text.Length || text[i] != '.')
            {
                return false;
            }

            i++;
        }
    }

    /// <summary>Any RFC 4291 text form: hex groups, one "::", optional dotted IPv4 tail. No zone, no brackets.</summary>
    public static bool TryParseIPv6(ReadOnlySpan<byte> text, out ulong high, out ulong low)
    {
        high = 0;
        low = 0;
        if (text.Length < 2 || text.Length > 45)
        {
            return false;
        }

        Span<ushort> groups = stackalloc ushort[8];
        int count = 0;
        int compressAt = -1;
        int i = 0;
        if (text[0] == ':')
        {
            if (text[1] != ':')
            {
                return false;
            }

            compressAt = 0;
            i = 2;
        }

        while (i < text.Length)
        {
            int start = i;
            int value = 0;
            while (i < text.Length && i - start < 5 && TryHexValue(text[i], out int digit))
            {
                value = (value << 4) | digit;
                i++;
            }

            if (i < text.Length && text[i] == '.')
            {
                // Dotted IPv4 tail: the last 32 bits.
                if (count > 6 || !TryParseIPv4(text[start..], out uint v4))
                {
                    return false;
                }

                groups[count++] = (ushort)(v4 >> 16);
                groups[count++] = (ushort)v4;
                break;
            }

            int digits = i - start;
            if (digits is 0 or > 4 || count == 8)
            {
                return false;
            }

            groups[count++] = (ushort)value;
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != ':')
            {
                return false;
            }

            i++;
            if (i < text.Length && text[i] == ':')
            {
                if (compressAt >= 0)
                {
                    return false;
                }

                compressAt = count;
                i++;
            }
            else if (i == text.Length)
            {
                return false;
            }
        }

        if (compressAt < 0 ? count != 8 : count > 7)
        {
            return false;
        }

        Span<ushort> full = stackalloc ushort[8];
        if (compressAt < 0)
        {
            groups.CopyTo(full);
        }
        else
        {
            int tail = count - compressAt;
            groups[..compressAt].CopyTo(full);
            full.Slice(compressAt, 8 - count).Clear();
            groups.Slice(compressAt, tail).CopyTo(full[(8 - tail)..]);
        }

        for (int g = 0; g < 4; g++)
        {
            high = (high << 16) | full[g];
            low = (low << 16) | full[g + 4];
        }

        return true;
    }

    private static bool IsDigit(byte c) => c is >= (byte)'0' and <= (byte)'9';

    private static bool TryHexValue(byte c, out int value)
    {
        value = c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
