using System.Buffers.Binary;

namespace MmProxy.ProxyProtocol;

/// <summary>
/// Reads and writes <see cref="SppHeader"/>s. Allocation-free; never throws on input. Any 16-byte
/// address is accepted (SPP has no family field): an IPv4-mapped one is an IPv4 address.
/// </summary>
public static class SppCodec
{
    private const int ClientAddressOffset = 2;
    private const int ProxyAddressOffset = 18;
    private const int ClientPortOffset = 34;
    private const int ProxyPortOffset = 36;

    // ::ffff:0:0/96 as the first 12 bytes of an address.
    private const ulong MappedHigh = 0;
    private const uint MappedLowPrefix = 0x0000FFFF;

    /// <summary>The header at the start of <paramref name="datagram"/>, or why there is none.</summary>
    public static SppParseResult Parse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < SppHeader.Length)
        {
            return SppParseResult.Invalid(datagram.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(datagram) != SppHeader.Magic
                ? SppParseError.BadMagic
                : SppParseError.TooShort);
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(datagram) != SppHeader.Magic)
        {
            return SppParseResult.Invalid(SppParseError.BadMagic);
        }

        ProxyAddress client = ReadAddress(datagram[ClientAddressOffset..], BinaryPrimitives.ReadUInt16BigEndian(datagram[ClientPortOffset..]));
        ProxyAddress proxy = ReadAddress(datagram[ProxyAddressOffset..], BinaryPrimitives.ReadUInt16BigEndian(datagram[ProxyPortOffset..]));
        return SppParseResult.Valid(new SppHeader(client, proxy));
    }

    /// <summary>Writes the 38 header bytes; false when <paramref name="destination"/> is shorter.</summary>
    public static bool TryWrite(in SppHeader header, Span<byte> destination)
    {
        if (destination.Length < SppHeader.Length || !header.Client.IsIP || !header.Proxy.IsIP)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, SppHeader.Magic);
        WriteAddress(header.Client, destination.Slice(ClientAddressOffset, 16));
        WriteAddress(header.Proxy, destination.Slice(ProxyAddressOffset, 16));
        BinaryPrimitives.WriteUInt16BigEndian(destination[ClientPortOffset..], header.Client.Port);
        BinaryPrimitives.WriteUInt16BigEndian(destination[ProxyPortOffset..], header.Proxy.Port);
        return true;
    }

    /// <summary>The header as a new array.</summary>
    public static byte[] Write(in SppHeader header)
    {
        byte[] bytes = new byte[SppHeader.Length];
        if (!TryWrite(header, bytes))
        {
            throw new ArgumentException("SPP carries IP addresses only.", nameof(header));
        }

        return bytes;
    }

    private static ProxyAddress ReadAddress(ReadOnlySpan<byte> field, ushort port)
    {
        ulong high = BinaryPrimitives.ReadUInt64BigEndian(field);
        ulong low = BinaryPrimitives.ReadUInt64BigEndian(field[8..]);
        return high == MappedHigh && (uint)(low >> 32) == MappedLowPrefix
            ? ProxyAddress.FromIPv4((uint)low, port)
            : ProxyAddress.FromIPv6(high, low, port);
    }

    private static void WriteAddress(in ProxyAddress address, Span<byte> field)
    {
        if (address.Kind == ProxyAddressKind.IPv4)
        {
            field[..10].Clear();
            field[10] = 0xFF;
            field[11] = 0xFF;
            _ = address.TryWriteAddressBytes(field[12..], out _);
        }
        else
        {
            _ = address.TryWriteAddressBytes(field, out _);
        }
    }
}
