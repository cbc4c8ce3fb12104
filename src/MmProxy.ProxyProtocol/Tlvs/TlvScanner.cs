using System.Buffers.Binary;

namespace MmProxy.ProxyProtocol;

/// <summary>Structural walk over a TLV area: each entry fits, nothing left over.</summary>
internal static class TlvScanner
{
    public static bool IsWellFormed(ReadOnlySpan<byte> area, out int count) => Scan(area, out count) == ProxyParseError.None;

    /// <summary>None, TlvOverrun (an entry runs past the end) or TlvTrailingBytes (1-2 bytes left over).</summary>
    public static ProxyParseError Scan(ReadOnlySpan<byte> area, out int count)
    {
        count = 0;
        int offset = 0;
        while (offset < area.Length)
        {
            if (area.Length - offset < 3)
            {
                return ProxyParseError.TlvTrailingBytes;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(area[(offset + 1)..]);
            if (length > area.Length - offset - 3)
            {
                return ProxyParseError.TlvOverrun;
            }

            offset += 3 + length;
            count++;
        }

        return ProxyParseError.None;
    }
}
