using System.Buffers.Binary;
using System.Net;

namespace MmProxy.ProxyProtocol.Tests.Support;

/// <summary>Hand-built v2 bytes, independent of ProxyHeaderWriter.</summary>
internal static class V2Raw
{
    public static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static byte[] Build(byte versionCommand, byte family, params byte[][] body)
    {
        byte[] content = Bytes.Concat(body);
        return Build(versionCommand, family, (ushort)content.Length, content);
    }

    public static byte[] Build(byte versionCommand, byte family, ushort declaredLength, byte[] content)
    {
        var header = new byte[16 + content.Length];
        Signature.CopyTo(header, 0);
        header[12] = versionCommand;
        header[13] = family;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), declaredLength);
        content.CopyTo(header, 16);
        return header;
    }

    public static byte[] Tlv(byte type, params byte[] value)
    {
        var tlv = new byte[3 + value.Length];
        tlv[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(tlv.AsSpan(1), (ushort)value.Length);
        value.CopyTo(tlv, 3);
        return tlv;
    }

    public static byte[] Tlv(byte type, string ascii) => Tlv(type, Bytes.Ascii(ascii));

    /// <summary>src 192.0.2.1:1234, dst 198.51.100.2:443.</summary>
    public static byte[] IPv4Block() => Bytes.Hex("C0000201 C6336402 04D2 01BB");

    /// <summary>src [2001:db8::1]:1234, dst [2001:db8::2]:443.</summary>
    public static byte[] IPv6Block() => Bytes.Concat(
        IPAddress.Parse("2001:db8::1").GetAddressBytes(), IPAddress.Parse("2001:db8::2").GetAddressBytes(), Bytes.Hex("04D2 01BB"));

    public static byte[] UnixBlock(string source, string destination)
    {
        var block = new byte[216];
        Bytes.Ascii(source).CopyTo(block, 0);
        Bytes.Ascii(destination).CopyTo(block, 108);
        return block;
    }

    /// <summary>Appends a CRC32C TLV computed by a bitwise reference implementation (not the library's).</summary>
    public static byte[] WithCrc32C(byte versionCommand, byte family, params byte[][] body)
    {
        byte[] header = Build(versionCommand, family, [.. body, Tlv(0x03, 0, 0, 0, 0)]);
        uint crc = ReferenceCrc32C(header);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(header.Length - 4), crc);
        return header;
    }

    /// <summary>Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF).</summary>
    public static uint ReferenceCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
