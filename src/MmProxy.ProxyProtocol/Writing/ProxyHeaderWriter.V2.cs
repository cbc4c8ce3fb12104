using System.Buffers.Binary;
using System.Text;
using MmProxy.ProxyProtocol.Internal;

namespace MmProxy.ProxyProtocol;

/// <summary>v2 binary header: signature, version/command, family, length, addresses, TLVs, optional CRC32C.</summary>
public static partial class ProxyHeaderWriter
{
    private const int UnixPathLength = 108;

    public static byte[] WriteV2(
        ProxyCommand command,
        ProxyFamily family,
        ProxyAddress source,
        ProxyAddress destination,
        IEnumerable<ProxyTlv>? tlvs = null,
        bool crc32c = false)
    {
        IReadOnlyList<ProxyTlv>? list = tlvs as IReadOnlyList<ProxyTlv> ?? tlvs?.ToList();
        var buffer = new byte[GetV2Length(family, list, crc32c)];
        TryWriteV2(buffer, command, family, source, destination, list, crc32c, out _);
        return buffer;
    }

    /// <summary>Bytes <see cref="TryWriteV2"/> will write.</summary>
    public static int GetV2Length(ProxyFamily family, IReadOnlyList<ProxyTlv>? tlvs = null, bool crc32c = false)
    {
        int length = ProxyHeaderParser.V2PreambleLength + ProxyHeaderParser.AddressBlockLength(FamilyByte(family));
        if (tlvs is not null)
        {
            foreach (ProxyTlv tlv in tlvs)
            {
                length += tlv.EncodedLength;
            }
        }

        if (crc32c)
        {
            length += 3 + 4;
        }

        if (length > ProxyHeaderParserOptions.LargestPossibleHeader)
        {
            throw new ArgumentException("The v2 header would exceed 65535 bytes after the preamble.", nameof(tlvs));
        }

        return length;
    }

    /// <summary>
    /// Writes a v2 header; false when <paramref name="buffer"/> is too small. With LOCAL, missing
    /// addresses are written as zeros. With <paramref name="crc32c"/>, a CRC32C TLV is appended last.
    /// </summary>
    public static bool TryWriteV2(
        Span<byte> buffer,
        ProxyCommand command,
        ProxyFamily family,
        ProxyAddress source,
        ProxyAddress destination,
        IReadOnlyList<ProxyTlv>? tlvs,
        bool crc32c,
        out int written)
    {
        written = 0;
        byte familyByte = FamilyByte(family);
        int total = GetV2Length(family, tlvs, crc32c);
        if (buffer.Length < total)
        {
            return false;
        }

        if (crc32c && tlvs is not null)
        {
            foreach (ProxyTlv tlv in tlvs)
            {
                if (tlv.Type == ProxyTlvType.Crc32C)
                {
                    throw new ArgumentException("Pass crc32c: true instead of a CRC32C TLV.", nameof(tlvs));
                }
            }
        }

        Span<byte> header = buffer[..total];
        header.Clear();
        ProxyHeaderParser.V2Signature.CopyTo(header);
        header[12] = (byte)(0x20 | (byte)command);
        header[13] = familyByte;
        BinaryPrimitives.WriteUInt16BigEndian(header[14..], (ushort)(total - ProxyHeaderParser.V2PreambleLength));

        int offset = ProxyHeaderParser.V2PreambleLength;
        int addressLength = ProxyHeaderParser.AddressBlockLength(familyByte);
        Span<byte> addresses = header.Slice(offset, addressLength);
        bool allowMissing = command == ProxyCommand.Local;
        switch (addressLength)
        {
            case 12:
                WriteIP(source, ProxyAddressKind.IPv4, allowMissing, addresses[..4], addresses[8..]);
                WriteIP(destination, ProxyAddressKind.IPv4, allowMissing, addresses[4..8], addresses[10..]);
                break;
            case 36:
                WriteIP(source, ProxyAddressKind.IPv6, allowMissing, addresses[..16], addresses[32..]);
                WriteIP(destination, ProxyAddressKind.IPv6, allowMissing, addresses[16..32], addresses[34..]);
                break;
            case 216:
                WriteUnix(source, allowMissing, addresses[..UnixPathLength]);
                WriteUnix(destination, allowMissing, addresses[UnixPathLength..]);
                break;
            default:
                break;
        }

        offset += addressLength;
        if (tlvs is not null)
        {
            foreach (ProxyTlv tlv in tlvs)
            {
                offset += tlv.WriteTo(header[offset..]);
            }
        }

        if (crc32c)
        {
            header[offset] = (byte)ProxyTlvType.Crc32C;
            BinaryPrimitives.WriteUInt16BigEndian(header[(offset + 1)..], 4);
            int valueOffset = offset + 3;
            BinaryPrimitives.WriteUInt32BigEndian(header[valueOffset..], Crc32C.ComputeWithZeroedField(header, valueOffset));
        }

        written = total;
        return true;
    }

    internal static byte FamilyByte(ProxyFamily family) => family switch
    {
        ProxyFamily.Unspec => 0x00,
        ProxyFamily.Tcp4 => 0x11,
        ProxyFamily.Udp4 => 0x12,
        ProxyFamily.Tcp6 => 0x21,
        ProxyFamily.Udp6 => 0x22,
        ProxyFamily.UnixStream => 0x31,
        ProxyFamily.UnixDgram => 0x32,
        _ => throw new ArgumentException($"v2 has no {family} family.", nameof(family)),
    };

    private static void WriteIP(ProxyAddress address, ProxyAddressKind kind, bool allowMissing, Span<byte> addressField, Span<byte> portField)
    {
        if (address.Kind == ProxyAddressKind.None && allowMissing)
        {
            return;
        }

        if (address.Kind != kind)
        {
            throw new ArgumentException($"Expected an {kind} address, got {address.Kind}.", nameof(address));
        }

        address.TryWriteAddressBytes(addressField, out _);
        BinaryPrimitives.WriteUInt16BigEndian(portField, address.Port);
    }

    private static void WriteUnix(ProxyAddress address, bool allowMissing, Span<byte> field)
    {
        if (address.Kind == ProxyAddressKind.None && allowMissing)
        {
            return;
        }

        if (address.Kind != ProxyAddressKind.Unix)
        {
            throw new ArgumentException($"Expected a UNIX address, got {address.Kind}.", nameof(address));
        }

        string path = address.UnixPath!;
        ReadOnlySpan<char> text = path.StartsWith('@') ? path.AsSpan(1) : path;
        int start = path.StartsWith('@') ? 1 : 0;
        if (start + Encoding.UTF8.GetByteCount(text) > UnixPathLength)
        {
            throw new ArgumentException("A UNIX path is at most 108 bytes.", nameof(address));
        }

        Encoding.UTF8.GetBytes(text, field[start..]);
    }
}
