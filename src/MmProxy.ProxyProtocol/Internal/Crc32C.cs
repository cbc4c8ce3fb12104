using System.Buffers.Binary;
using System.Numerics;

namespace MmProxy.ProxyProtocol.Internal;

/// <summary>
/// CRC-32C (Castagnoli) as the spec uses it: init 0xFFFFFFFF, final xor ("123456789" -> 0xE3069283).
/// BitOperations.Crc32C is the raw reflected step (hardware crc32 instruction where available).
/// </summary>
internal static class Crc32C
{
    public const uint Seed = 0xFFFFFFFF;

    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(Seed, data);

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        // Little-endian load: the reflected CRC consumes the lowest-addressed byte first.
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    /// <summary>CRC of <paramref name="header"/> with the 4 bytes at <paramref name="fieldOffset"/> taken as zero.</summary>
    public static uint ComputeWithZeroedField(ReadOnlySpan<byte> header, int fieldOffset)
    {
        uint crc = Append(Seed, header[..fieldOffset]);
        crc = BitOperations.Crc32C(crc, 0u);
        crc = Append(crc, header[(fieldOffset + 4)..]);
        return ~crc;
    }
}
