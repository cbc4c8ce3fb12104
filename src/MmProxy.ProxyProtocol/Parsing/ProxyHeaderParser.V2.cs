using System.Buffers.Binary;
using System.Text;

namespace MmProxy.ProxyProtocol;

/// <summary>v2 (spec 2.2): fixed 16-byte preamble, then the address block and TLVs.</summary>
public sealed partial class ProxyHeaderParser
{
    public const int V2PreambleLength = 16;

    private const int UnixPathLength = 108;

    internal static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Address block size for a family/transport byte (0 for UNSPEC), or -1 when unsupported.</summary>
    internal static int AddressBlockLength(byte familyByte) => familyByte switch
    {
        0x00 => 0,
        0x11 or 0x12 => 12,
        0x21 or 0x22 => 36,
        0x31 or 0x32 => 216,
        _ => -1,
    };

    internal static ProxyFamily ToFamily(byte familyByte) => familyByte switch
    {
        0x11 => ProxyFamily.Tcp4,
        0x12 => ProxyFamily.Udp4,
        0x21 => ProxyFamily.Tcp6,
        0x22 => ProxyFamily.Udp6,
        0x31 => ProxyFamily.UnixStream,
        0x32 => ProxyFamily.UnixDgram,
        _ => ProxyFamily.Unspec,
    };

    private ProxyParseResult ParseV2(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, V2Signature.Length);
        if (!data[..n].SequenceEqual(V2Signature[..n]))
        {
            return ProxyParseResult.Invalid(ProxyParseError.NotProxyProtocol);
        }

        if (data.Length <= 12)
        {
            return ProxyParseResult.NeedMore;
        }

        byte versionCommand = data[12];
        if (versionCommand >> 4 != 2)
        {
            return ProxyParseResult.Invalid(ProxyParseError.V2UnsupportedVersion);
        }

        int command = versionCommand & 0x0F;
        if (command > 1)
        {
            return ProxyParseResult.Invalid(ProxyParseError.V2UnsupportedCommand);
        }

        if (data.Length <= 13)
        {
            return ProxyParseResult.NeedMore;
        }

        // LOCAL: "discard the protocol block including the family which is ignored" (spec 2.2), so
        // only PROXY needs a defined family byte.
        bool isProxy = command == (int)ProxyCommand.Proxy;
        byte familyByte = data[13];
        int addressLength = AddressBlockLength(familyByte);
        if (addressLength < 0 && isProxy)
        {
            return ProxyParseResult.Invalid(ProxyParseError.V2UnsupportedFamily);
        }

        if (data.Length < V2PreambleLength)
        {
            return ProxyParseResult.NeedMore;
        }

        int bodyLength = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        int total = V2PreambleLength + bodyLength;
        if (total > _maxHeaderSize)
        {
            return ProxyParseResult.Invalid(ProxyParseError.V2HeaderTooLarge);
        }

        if (isProxy && bodyLength < addressLength)
        {
            return ProxyParseResult.Invalid(ProxyParseError.V2LengthTooShortForAddresses);
        }

        if (data.Length < total)
        {
            return ProxyParseResult.NeedMore;
        }

        ProxyFamily family = ToFamily(familyByte);
        ReadOnlySpan<byte> header = data[..total];
        if (!isProxy)
        {
            // LOCAL: the addresses are discarded (spec 2.2), the TLVs after them are read as in any
            // header. Where the family byte gives no address block length, or the body is shorter
            // than that block, the TLVs cannot be located: the body is skipped, as HAProxy skips
            // every LOCAL body.
            return addressLength < 0 || bodyLength < addressLength
                ? ProxyParseResult.Complete(new ProxyHeader { Version = ProxyVersion.V2, Command = ProxyCommand.Local, Family = family, Length = total })
                : CompleteV2(header, V2PreambleLength + addressLength, ProxyCommand.Local, family, default, default);
        }

        ReadOnlySpan<byte> addresses = header.Slice(V2PreambleLength, addressLength);
        ProxyAddress source, destination;
        switch (addressLength)
        {
            case 0:
                // UNSPEC: no address ("the receiver should ignore address information"); TLVs follow the preamble.
                source = destination = default;
                break;
            case 12:
                source = ProxyAddress.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(addresses), BinaryPrimitives.ReadUInt16BigEndian(addresses[8..]));
                destination = ProxyAddress.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(addresses[4..]), BinaryPrimitives.ReadUInt16BigEndian(addresses[10..]));
                break;
            case 36:
                source = ProxyAddress.FromIPv6(
                    BinaryPrimitives.ReadUInt64BigEndian(addresses),
                    BinaryPrimitives.ReadUInt64BigEndian(addresses[8..]),
                    BinaryPrimitives.ReadUInt16BigEndian(addresses[32..]));
                destination = ProxyAddress.FromIPv6(
                    BinaryPrimitives.ReadUInt64BigEndian(addresses[16..]),
                    BinaryPrimitives.ReadUInt64BigEndian(addresses[24..]),
                    BinaryPrimitives.ReadUInt16BigEndian(addresses[34..]));
                break;
            default:
                source = ProxyAddress.FromUnixPath(DecodeUnixPath(addresses[..UnixPathLength]));
                destination = ProxyAddress.FromUnixPath(DecodeUnixPath(addresses[UnixPathLength..]));
                break;
        }

        return CompleteV2(header, V2PreambleLength + addressLength, ProxyCommand.Proxy, family, source, destination);
    }

    private static ProxyParseResult CompleteV2(
        ReadOnlySpan<byte> header, int tlvStart, ProxyCommand command, ProxyFamily family, ProxyAddress source, ProxyAddress destination)
    {
        ProxyParseError tlvError = ValidateTlvs(header, tlvStart, out int tlvCount, out int crcValueOffset);
        if (tlvError != ProxyParseError.None)
        {
            return ProxyParseResult.Invalid(tlvError);
        }

        return ProxyParseResult.Complete(new ProxyHeader
        {
            Version = ProxyVersion.V2,
            Command = command,
            Family = family,
            Source = source,
            Destination = destination,
            Length = header.Length,
            Tlvs = tlvCount == 0 ? [] : DecodeTlvs(header[tlvStart..], tlvCount),
            HasCrc32C = crcValueOffset >= 0,
        });
    }

    // sun_path: NUL-terminated (or all 108 bytes); a leading NUL is an abstract socket, shown as '@'.
    private static string DecodeUnixPath(ReadOnlySpan<byte> field)
    {
        bool isAbstract = field[0] == 0;
        ReadOnlySpan<byte> rest = isAbstract ? field[1..] : field;
        int end = rest.IndexOf((byte)0);
        if (end >= 0)
        {
            rest = rest[..end];
        }

        if (isAbstract && rest.IsEmpty)
        {
            return string.Empty;
        }

        string path = Encoding.UTF8.GetString(rest);
        return isAbstract ? "@" + path : path;
    }
}
