using System.Buffers.Binary;
using System.Net;
using System.Numerics;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// A PROXY v2 header taken apart by hand, byte by byte as the specification lays it out, so the
/// tests do not check the sender with the library it is built on.
/// </summary>
internal sealed record V2Bytes(byte VersionCommand, byte FamilyProtocol, IPEndPoint Source, IPEndPoint Destination, IReadOnlyList<(byte Type, byte[] Value)> Tlvs)
{
    public const byte ProxyCommand = 0x21;
    public const byte Tcp4 = 0x11;
    public const byte Udp4 = 0x12;
    public const byte Tcp6 = 0x21;
    public const byte Udp6 = 0x22;
    public const byte Crc32CType = 0x03;
    public const byte UniqueIdType = 0x05;

    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>The header at the start of <paramref name="data"/>; its length is 16 + the length field. Fails the test on any malformation.</summary>
    public static V2Bytes Parse(ReadOnlySpan<byte> data, out int headerLength)
    {
        Assert.True(data.Length >= 16 && data[..12].SequenceEqual(Signature), $"no v2 signature: {Convert.ToHexString(data[..Math.Min(data.Length, 16)])}");
        int length = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        headerLength = 16 + length;
        Assert.True(data.Length >= headerLength, $"header says {length} bytes follow, {data.Length - 16} do");
        byte family = data[13];
        int addresses = family switch
        {
            Tcp4 or Udp4 => 12,
            Tcp6 or Udp6 => 36,
            _ => throw new Xunit.Sdk.XunitException($"unexpected family/protocol byte 0x{family:X2}"),
        };
        Assert.True(length >= addresses, $"length {length} shorter than the addresses ({addresses})");
        ReadOnlySpan<byte> a = data.Slice(16, addresses);
        int size = addresses == 12 ? 4 : 16;
        var source = new IPEndPoint(new IPAddress(a[..size]), BinaryPrimitives.ReadUInt16BigEndian(a[(2 * size)..]));
        var destination = new IPEndPoint(new IPAddress(a.Slice(size, size)), BinaryPrimitives.ReadUInt16BigEndian(a[((2 * size) + 2)..]));

        var tlvs = new List<(byte, byte[])>();
        ReadOnlySpan<byte> rest = data[(16 + addresses)..headerLength];
        while (!rest.IsEmpty)
        {
            Assert.True(rest.Length >= 3, $"{rest.Length} stray bytes after the TLVs");
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            Assert.True(rest.Length >= 3 + valueLength, $"TLV 0x{rest[0]:X2} claims {valueLength} bytes, {rest.Length - 3} left");
            tlvs.Add((rest[0], rest.Slice(3, valueLength).ToArray()));
            rest = rest[(3 + valueLength)..];
        }

        return new V2Bytes(data[12], family, source, destination, tlvs);
    }

    public byte[]? Tlv(byte type) => Tlvs.FirstOrDefault(t => t.Type == type).Value;

    /// <summary>
    /// The CRC32C check of the specification: the checksum of the whole header with the TLV's
    /// value taken as zeros equals the value.
    /// </summary>
    public static void AssertCrc32C(ReadOnlySpan<byte> header)
    {
        byte[] copy = header.ToArray();
        int offset = FindTlvValue(copy, Crc32CType);
        Assert.True(offset >= 0, "no CRC32C TLV");
        uint carried = BinaryPrimitives.ReadUInt32BigEndian(copy.AsSpan(offset));
        copy.AsSpan(offset, 4).Clear();
        uint crc = uint.MaxValue;
        foreach (byte b in copy)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        Assert.Equal($"{~crc:X8}", $"{carried:X8}");
    }

    private static int FindTlvValue(byte[] header, byte type)
    {
        int addresses = header[13] is Tcp4 or Udp4 ? 12 : 36;
        int end = 16 + BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(14));
        for (int i = 16 + addresses; i + 3 <= end; i += 3 + BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(i + 1)))
        {
            if (header[i] == type)
            {
                return i + 3;
            }
        }

        return -1;
    }
}
