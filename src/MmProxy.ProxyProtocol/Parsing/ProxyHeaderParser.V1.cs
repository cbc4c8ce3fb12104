using System.Buffers;
using MmProxy.ProxyProtocol.Internal;

namespace MmProxy.ProxyProtocol;

/// <summary>v1 (spec 2.1): one left-to-right scan that stops at the first byte that decides.</summary>
public sealed partial class ProxyHeaderParser
{
    /// <summary>Spec 2.1: the line is at most 107 bytes, CRLF included.</summary>
    public const int V1MaxLength = 107;

    // Longest IPv6 text form ("ffff:…:255.255.255.255").
    private const int MaxAddressTextLength = 45;

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    private static ProxyParseResult ParseV1(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, V1Prefix.Length);
        if (!data[..n].SequenceEqual(V1Prefix[..n]))
        {
            return ProxyParseResult.Invalid(ProxyParseError.NotProxyProtocol);
        }

        if (!TryV1Protocol(data, out int pos, out bool v6, out bool unknown, out ProxyParseError stop))
        {
            return Stop(stop);
        }

        if (unknown)
        {
            return ParseV1Unknown(data, pos);
        }

        if (!TryV1Address(data, ref pos, v6, source: true, out ulong srcHigh, out ulong srcLow, out stop) ||
            !TryV1Address(data, ref pos, v6, source: false, out ulong dstHigh, out ulong dstLow, out stop) ||
            !TryV1Port(data, ref pos, source: true, out ushort srcPort, out stop) ||
            !TryV1Port(data, ref pos, source: false, out ushort dstPort, out stop))
        {
            return Stop(stop);
        }

        // pos is just after the CR that ended the destination port.
        if (!TryGetV1(data, pos, out byte c, out stop))
        {
            return Stop(stop);
        }

        if (c != '\n')
        {
            return ProxyParseResult.Invalid(ProxyParseError.V1CrWithoutLf);
        }

        return ProxyParseResult.Complete(new ProxyHeader
        {
            Version = ProxyVersion.V1,
            Command = ProxyCommand.Proxy,
            Family = v6 ? ProxyFamily.Tcp6 : ProxyFamily.Tcp4,
            Source = v6 ? ProxyAddress.FromIPv6(srcHigh, srcLow, srcPort) : ProxyAddress.FromIPv4((uint)srcHigh, srcPort),
            Destination = v6 ? ProxyAddress.FromIPv6(dstHigh, dstLow, dstPort) : ProxyAddress.FromIPv4((uint)dstHigh, dstPort),
            Length = pos + 1,
        });
    }

    // "TCP4 " / "TCP6 " (pos after the SP), or "UNKNOWN" (pos at the SP or CR after it).
    private static bool TryV1Protocol(ReadOnlySpan<byte> data, out int pos, out bool v6, out bool unknown, out ProxyParseError stop)
    {
        v6 = false;
        unknown = false;
        pos = V1Prefix.Length;

        // Common case first; the loop below decides the same for these bytes.
        if (data.Length > 10 && data[10] == ' ' && data[6] == 'T' && data[7] == 'C' && data[8] == 'P' && data[9] is (byte)'4' or (byte)'6')
        {
            v6 = data[9] == '6';
            pos = 11;
            stop = ProxyParseError.None;
            return true;
        }

        int start = pos;
        byte c;
        while (true)
        {
            if (!TryGetV1(data, pos, out c, out stop))
            {
                return false;
            }

            if (c is (byte)' ' or (byte)'\r')
            {
                break;
            }

            ReadOnlySpan<byte> partial = data[start..(pos + 1)];
            if (!"TCP4"u8.StartsWith(partial) && !"TCP6"u8.StartsWith(partial) && !"UNKNOWN"u8.StartsWith(partial))
            {
                return Fail(ProxyParseError.V1InvalidProtocol, out stop);
            }

            pos++;
        }

        ReadOnlySpan<byte> protocol = data[start..pos];
        if (protocol.SequenceEqual("UNKNOWN"u8))
        {
            unknown = true;
            return true;
        }

        if (protocol.IsEmpty)
        {
            return Fail(c == ' ' ? ProxyParseError.V1InvalidSeparator : ProxyParseError.V1UnexpectedEndOfLine, out stop);
        }

        if (!protocol.SequenceEqual("TCP4"u8) && !protocol.SequenceEqual("TCP6"u8))
        {
            return Fail(ProxyParseError.V1InvalidProtocol, out stop);
        }

        if (c == '\r')
        {
            return Fail(ProxyParseError.V1UnexpectedEndOfLine, out stop);
        }

        v6 = protocol[3] == '6';
        pos++;
        return true;
    }

    // "PROXY UNKNOWN" then anything up to CRLF; pos is at the SP or CR after UNKNOWN.
    private static ProxyParseResult ParseV1Unknown(ReadOnlySpan<byte> data, int pos)
    {
        while (true)
        {
            if (!TryGetV1(data, pos, out byte c, out ProxyParseError stop))
            {
                return Stop(stop);
            }

            if (c == '\r')
            {
                if (!TryGetV1(data, pos + 1, out c, out stop))
                {
                    return Stop(stop);
                }

                return c != '\n'
                    ? ProxyParseResult.Invalid(ProxyParseError.V1CrWithoutLf)
                    : ProxyParseResult.Complete(new ProxyHeader
                    {
                        Version = ProxyVersion.V1,
                        Command = ProxyCommand.Proxy,
                        Family = ProxyFamily.Unknown,
                        Length = pos + 2,
                    });
            }

            pos++;
        }
    }

    // An address token up to its SP. For IPv4 the value is in the low 32 bits of high.
    private static bool TryV1Address(
        ReadOnlySpan<byte> data, ref int pos, bool v6, bool source, out ulong high, out ulong low, out ProxyParseError stop)
    {
        high = 0;
        low = 0;
        ProxyParseError invalid = source ? ProxyParseError.V1InvalidSourceAddress : ProxyParseError.V1InvalidDestinationAddress;
        int start = pos;

        // Vectorized form of the byte-by-byte rule: the first byte that is not an address character
        // decides (SP ends the token, CR ends the line early, anything else is invalid); the 46th
        // address character is invalid; running out first means the 107-byte limit or NeedMore.
        int available = Math.Min(data.Length, V1MaxLength) - start;
        if (available <= 0)
        {
            return Fail(start >= V1MaxLength ? ProxyParseError.V1MissingCrlf : NeedMoreSentinel, out stop);
        }

        ReadOnlySpan<byte> window = data.Slice(start, Math.Min(available, MaxAddressTextLength + 1));
        int length = window.IndexOfAnyExcept(AddressChars);
        if (length < 0)
        {
            return Fail(
                window.Length > MaxAddressTextLength ? invalid
                : start + window.Length >= V1MaxLength ? ProxyParseError.V1MissingCrlf
                : NeedMoreSentinel,
                out stop);
        }

        switch (window[length])
        {
            case (byte)' ' when length == 0:
                return Fail(ProxyParseError.V1InvalidSeparator, out stop);
            case (byte)' ':
                break;
            case (byte)'\r':
                return Fail(ProxyParseError.V1UnexpectedEndOfLine, out stop);
            default:
                return Fail(invalid, out stop);
        }

        pos = start + length;
        stop = ProxyParseError.None;
        ReadOnlySpan<byte> text = data[start..pos];
        pos++;
        if (v6)
        {
            if (IPTextParser.TryParseIPv6(text, out high, out low))
            {
                return true;
            }

            return Fail(IPTextParser.TryParseIPv4(text, out _) ? ProxyParseError.V1Tcp6WithIPv4Address : invalid, out stop);
        }

        if (IPTextParser.TryParseIPv4(text, out uint v4))
        {
            high = v4;
            return true;
        }

        return Fail(IPTextParser.TryParseIPv6(text, out _, out _) ? ProxyParseError.V1Tcp4WithIPv6Address : invalid, out stop);
    }

    // Decimal 0-65535 without leading zeros, ended by SP (source) or CR (destination).
    private static bool TryV1Port(ReadOnlySpan<byte> data, ref int pos, bool source, out ushort port, out ProxyParseError stop)
    {
        port = 0;
        int start = pos;
        int value = 0;
        byte terminator = source ? (byte)' ' : (byte)'\r';
        while (true)
        {
            if (!TryGetV1(data, pos, out byte c, out stop))
            {
                return false;
            }

            if (c is >= (byte)'0' and <= (byte)'9')
            {
                if (pos > start && data[start] == '0')
                {
                    return Fail(ProxyParseError.V1PortLeadingZero, out stop);
                }

                value = (value * 10) + (c - '0');
                if (value > ushort.MaxValue)
                {
                    return Fail(ProxyParseError.V1PortOutOfRange, out stop);
                }

                pos++;
                continue;
            }

            if (pos == start)
            {
                return Fail(
                    c switch
                    {
                        (byte)' ' => ProxyParseError.V1InvalidSeparator,
                        (byte)'\r' => ProxyParseError.V1UnexpectedEndOfLine,
                        _ => source ? ProxyParseError.V1InvalidSourcePort : ProxyParseError.V1InvalidDestinationPort,
                    },
                    out stop);
            }

            if (c == terminator)
            {
                break;
            }

            return Fail(
                source
                    ? c == '\r' ? ProxyParseError.V1UnexpectedEndOfLine : ProxyParseError.V1InvalidSourcePort
                    : c == ' ' ? ProxyParseError.V1UnexpectedField : ProxyParseError.V1InvalidDestinationPort,
                out stop);
        }

        port = (ushort)value;
        pos++;
        return true;
    }

    // Internal only: "stop because the data ends here" (kept out of the public enum).
    private const ProxyParseError NeedMoreSentinel = (ProxyParseError)byte.MaxValue;

    // The byte at i, unless the 107-byte limit or the end of the data comes first. The stop reason is
    // a one-byte error code rather than a ProxyParseResult: this runs per byte.
    private static bool TryGetV1(ReadOnlySpan<byte> data, int i, out byte c, out ProxyParseError stop)
    {
        if (i >= V1MaxLength)
        {
            c = 0;
            stop = ProxyParseError.V1MissingCrlf;
            return false;
        }

        if ((uint)i >= (uint)data.Length)
        {
            c = 0;
            stop = NeedMoreSentinel;
            return false;
        }

        c = data[i];
        stop = ProxyParseError.None;
        return true;
    }

    private static ProxyParseResult Stop(ProxyParseError stop) =>
        stop == NeedMoreSentinel ? ProxyParseResult.NeedMore : ProxyParseResult.Invalid(stop);

    private static bool Fail(ProxyParseError error, out ProxyParseError stop)
    {
        stop = error;
        return false;
    }

    private static readonly SearchValues<byte> AddressChars = SearchValues.Create("0123456789abcdefABCDEF.:"u8);
}
