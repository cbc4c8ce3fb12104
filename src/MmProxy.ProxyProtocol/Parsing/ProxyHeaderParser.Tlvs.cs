using System.Buffers.Binary;
using MmProxy.ProxyProtocol.Internal;

namespace MmProxy.ProxyProtocol;

/// <summary>v2 TLV area (spec 2.2.1-2.2.8): validate without allocating, then decode.</summary>
public sealed partial class ProxyHeaderParser
{
    private const int SslFixedLength = 5;

    private static ProxyParseError ValidateTlvs(ReadOnlySpan<byte> header, int tlvStart, out int count, out int crcValueOffset)
    {
        count = 0;
        crcValueOffset = -1;
        int offset = tlvStart;
        while (offset < header.Length)
        {
            if (header.Length - offset < 3)
            {
                return ProxyParseError.TlvTrailingBytes;
            }

            var type = (ProxyTlvType)header[offset];
            int length = BinaryPrimitives.ReadUInt16BigEndian(header[(offset + 1)..]);
            if (length > header.Length - offset - 3)
            {
                return ProxyParseError.TlvOverrun;
            }

            ReadOnlySpan<byte> value = header.Slice(offset + 3, length);
            ProxyParseError error = ValidateTlvValue(type, value);
            if (error != ProxyParseError.None)
            {
                return error;
            }

            if (type == ProxyTlvType.Crc32C)
            {
                if (crcValueOffset >= 0)
                {
                    return ProxyParseError.Crc32CDuplicate;
                }

                crcValueOffset = offset + 3;
            }

            offset += 3 + length;
            count++;
        }

        if (crcValueOffset >= 0 &&
            Crc32C.ComputeWithZeroedField(header, crcValueOffset) != BinaryPrimitives.ReadUInt32BigEndian(header[crcValueOffset..]))
        {
            return ProxyParseError.Crc32CMismatch;
        }

        return ProxyParseError.None;
    }

    // Only the types the spec defines have rules. 0xE0-0xEF (custom, where the cloud vendors' TLVs
    // live) and 0xF0-0xF7 (experimental) belong to applications (spec 2.2.8): any length, zero
    // included, is valid, and ProxyTlv decodes a vendor layout only when it matches.
    private static ProxyParseError ValidateTlvValue(ProxyTlvType type, ReadOnlySpan<byte> value) => type switch
    {
        ProxyTlvType.Crc32C when value.Length != 4 => ProxyParseError.Crc32CBadLength,
        ProxyTlvType.UniqueId when value.Length > ProxyTlv.MaxUniqueIdLength => ProxyParseError.UniqueIdTooLong,
        ProxyTlvType.Ssl when value.Length < SslFixedLength => ProxyParseError.SslTlvTooShort,
        ProxyTlvType.Ssl when TlvScanner.Scan(value[SslFixedLength..], out _) != ProxyParseError.None => ProxyParseError.SslSubTlvMalformed,
        _ => ProxyParseError.None,
    };

    // Called only on a validated area: every entry fits.
    private static ProxyTlv[] DecodeTlvs(ReadOnlySpan<byte> area, int count)
    {
        var tlvs = new ProxyTlv[count];
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(area[(offset + 1)..]);
            tlvs[i] = new ProxyTlv((ProxyTlvType)area[offset], area.Slice(offset + 3, length).ToArray());
            offset += 3 + length;
        }

        return tlvs;
    }
}
