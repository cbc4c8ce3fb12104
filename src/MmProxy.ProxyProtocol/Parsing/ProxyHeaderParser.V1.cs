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

        int pos = V1Prefix.Length;
        int start = pos;
        byte c;
        ProxyParseError stop;
        while (true)
        {
            if (!TryGetV1(data, pos, out c, out stop))
            {
                return Stop(stop);
            }

            if (c is (byte)' ' or (byte)'\r')
            {
                break;
            }

            ReadOnlySpan<byte> partial = data[start..(pos + 1)];
            if (!"TCP4"u8.StartsWith(partial) && !"TCP6"u8.StartsWith(partial) && !"UNKNOWN"u8.StartsWith(partial))
            {
                return ProxyParseResult.Invalid(ProxyParseError.V1InvalidProtocol);
            }

            pos++;
        }

        ReadOnlySpan<byte> protocol = data[start..pos];
        if (protocol.SequenceEqual("UNKNOWN"u8))
        {
            return ParseV1Unknown(data, pos);
        }

        if (protocol.IsEmpty)
        {
            return ProxyParseResult.Invalid(c == ' ' ? ProxyParseError.V1InvalidSeparator : ProxyParseError.V1UnexpectedEndOfLine);
        }

        if (!protocol.SequenceEqual("TCP4"u8) && !protocol.SequenceEqual("TCP6"u8))
        {
            return ProxyParseResult.Invalid(ProxyParseError.V1InvalidProtocol);
        }

        if (c == '\r')
        {
            return ProxyParseResult.Invalid(ProxyParseError.V1UnexpectedEndOfLine);
        }

        bool v6 = protocol[3] == '6';
        pos++;
        if (!TryV1Address(data, ref pos, v6, source: true, out ulong srcHigh, out ulong srcLow, out stop) ||
            !TryV1Address(data, ref pos, v6, source: false, out ulong dstHigh, out ulong dstLow, out stop) ||
            !TryV1Port(data, ref pos, source: true, out ushort srcPort, out stop) ||
            !TryV1Port(data, ref pos, source: false, out ushort dstPort, out stop))
        {
            return Stop(stop);
        }

        // pos is just after the CR that ended the destination port.
        if (!TryGetV1(data, pos, out c, out stop))
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
        while (true)
        {
            if (!TryGetV1(data, pos, out byte c, out stop))
            {
                return false;
            }

            if (c == ' ')
            {
                break;
            }

            if (c == '\r')
            {
                return Fail(ProxyParseError.V1UnexpectedEndOfLine, out stop);
            }

            if (!IsAddressChar(c) || pos - start >= MaxAddressTextLength)
            {
                return Fail(invalid, out stop);
            }

            pos++;
        }

        if (pos == start)
        {
            return Fail(ProxyParseError.V1InvalidSeparator, out stop);
        }

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

    private static bool IsAddressChar(byte c) =>
        c is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F') or (byte)'.' or (byte)':';
}
