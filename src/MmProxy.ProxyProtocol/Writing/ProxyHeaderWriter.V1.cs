using System.Globalization;

namespace MmProxy.ProxyProtocol;

/// <summary>v1 text line: "PROXY TCP4 src dst sport dport\r\n" or "PROXY UNKNOWN\r\n".</summary>
public static partial class ProxyHeaderWriter
{
    public static byte[] WriteV1(ProxyFamily family, ProxyAddress source, ProxyAddress destination)
    {
        Span<byte> buffer = stackalloc byte[ProxyHeaderParser.V1MaxLength];
        if (!TryWriteV1(buffer, family, source, destination, out int written))
        {
            // Unreachable: the longest line written is 104 bytes.
            throw new InvalidOperationException("The v1 line would exceed 107 bytes.");
        }

        return buffer[..written].ToArray();
    }

    /// <summary>False when <paramref name="buffer"/> is too small.</summary>
    public static bool TryWriteV1(Span<byte> buffer, ProxyFamily family, ProxyAddress source, ProxyAddress destination, out int written)
    {
        written = 0;
        Span<char> line = stackalloc char[160];
        int n;
        switch (family)
        {
            case ProxyFamily.Unknown:
                n = Append(line, 0, "PROXY UNKNOWN\r\n");
                break;
            case ProxyFamily.Tcp4 or ProxyFamily.Tcp6:
                ProxyAddressKind kind = family == ProxyFamily.Tcp4 ? ProxyAddressKind.IPv4 : ProxyAddressKind.IPv6;
                if (source.Kind != kind || destination.Kind != kind)
                {
                    throw new ArgumentException($"{family} needs two {kind} addresses.", nameof(family));
                }

                n = Append(line, 0, family == ProxyFamily.Tcp4 ? "PROXY TCP4 " : "PROXY TCP6 ");
                n += source.FormatAddress(line[n..], allowIsatap: false);
                line[n++] = ' ';
                n += destination.FormatAddress(line[n..], allowIsatap: false);
                line[n++] = ' ';
                source.Port.TryFormat(line[n..], out int c1, default, CultureInfo.InvariantCulture);
                n += c1;
                line[n++] = ' ';
                destination.Port.TryFormat(line[n..], out int c2, default, CultureInfo.InvariantCulture);
                n += c2;
                n += Append(line, n, "\r\n");
                break;
            default:
                throw new ArgumentException($"v1 carries TCP4, TCP6 or UNKNOWN, not {family}.", nameof(family));
        }

        if (n > buffer.Length || n > ProxyHeaderParser.V1MaxLength)
        {
            return false;
        }

        for (int i = 0; i < n; i++)
        {
            buffer[i] = (byte)line[i];
        }

        written = n;
        return true;
    }

    private static int Append(Span<char> line, int at, string text)
    {
        text.AsSpan().CopyTo(line[at..]);
        return text.Length;
    }
}
