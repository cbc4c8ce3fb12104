using System.Buffers.Binary;
using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.Fuzz;

/// <summary>
/// Deterministic structure-aware mutator (seeded): bit flips, byte edits, truncations, extensions,
/// v2 length-field and family edits, TLV type/length edits, v1 token edits, splices of valid headers.
/// Reusable for longer runs (see ParserMutationFuzzTests and MMPROXY_FUZZ_CASES).
/// </summary>
internal sealed class HeaderMutator
{
    private static readonly byte[] FamilyBytes = [0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32, 0x01, 0x13, 0x23, 0x33, 0x41, 0xFF];
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x03, 0x05, 0x0A, 0x0D, 0x20, 0x21, 0x2E, 0x30, 0x3A, 0x7F, 0x80, 0xE0, 0xEA, 0xEE, 0xFF];
    private static readonly string[] V1Tokens = [" ", "  ", "\r", "\n", "\r\n", "0", "00", "65535", "65536", "255", "256", ".", ":", "::", "TCP4", "TCP6", "UNKNOWN", "ffff", "1.2.3.4"];

    private readonly Random _random;
    private readonly IReadOnlyList<byte[]> _seeds;

    public HeaderMutator(Random random, IReadOnlyList<byte[]>? seeds = null)
    {
        _random = random;
        _seeds = seeds ?? SampleHeaders.All;
    }

    /// <summary>A fresh input: a seed (sample or random valid header) with 1-3 mutations, or a splice.</summary>
    public byte[] Next()
    {
        byte[] seed = _random.Next(2) == 0
            ? _seeds[_random.Next(_seeds.Count)]
            : RandomHeaders.Create(_random).Bytes;
        byte[] mutated = Mutate(seed);
        if (_random.Next(3) == 0)
        {
            FixCrc32C(mutated);
        }

        return mutated;
    }

    public byte[] Mutate(byte[] seed)
    {
        List<byte> data = [.. seed];
        int rounds = 1 + _random.Next(3);
        for (int i = 0; i < rounds; i++)
        {
            MutateOnce(data);
        }

        return [.. data];
    }

    private void MutateOnce(List<byte> data)
    {
        switch (_random.Next(11))
        {
            case 0: FlipBit(data); break;
            case 1: SetByte(data); break;
            case 2: Truncate(data); break;
            case 3: Extend(data); break;
            case 4: InsertOrDelete(data); break;
            case 5: EditLength(data); break;
            case 6: EditFamilyOrCommand(data); break;
            case 7: EditTlv(data); break;
            case 8: EditV1Token(data); break;
            case 9: Splice(data); break;
            default: FlipBit(data); break;
        }
    }

    private void FlipBit(List<byte> data)
    {
        if (data.Count > 0)
        {
            int i = _random.Next(data.Count);
            data[i] ^= (byte)(1 << _random.Next(8));
        }
    }

    private void SetByte(List<byte> data)
    {
        if (data.Count > 0)
        {
            data[_random.Next(data.Count)] = _random.Next(2) == 0
                ? InterestingBytes[_random.Next(InterestingBytes.Length)]
                : (byte)_random.Next(256);
        }
    }

    private void Truncate(List<byte> data)
    {
        if (data.Count > 0)
        {
            int keep = _random.Next(data.Count);
            data.RemoveRange(keep, data.Count - keep);
        }
    }

    private void Extend(List<byte> data)
    {
        int n = _random.Next(1, 40);
        for (int i = 0; i < n; i++)
        {
            data.Add(_random.Next(3) == 0 ? (byte)0 : (byte)_random.Next(256));
        }
    }

    private void InsertOrDelete(List<byte> data)
    {
        int at = _random.Next(data.Count + 1);
        if (_random.Next(2) == 0 || data.Count == 0)
        {
            data.Insert(at, InterestingBytes[_random.Next(InterestingBytes.Length)]);
        }
        else
        {
            data.RemoveAt(Math.Min(at, data.Count - 1));
        }
    }

    // The v2 length field (bytes 14-15): off by a little, zero, max, or random.
    private void EditLength(List<byte> data)
    {
        if (data.Count < 16)
        {
            Extend(data);
            return;
        }

        int length = (data[14] << 8) | data[15];
        length = _random.Next(5) switch
        {
            0 => length + _random.Next(1, 4),
            1 => length - _random.Next(1, 4),
            2 => 0,
            3 => 0xFFFF,
            _ => _random.Next(0, 0x10000),
        };
        length &= 0xFFFF;
        data[14] = (byte)(length >> 8);
        data[15] = (byte)length;
    }

    private void EditFamilyOrCommand(List<byte> data)
    {
        if (data.Count < 14)
        {
            SetByte(data);
            return;
        }

        if (_random.Next(2) == 0)
        {
            data[13] = FamilyBytes[_random.Next(FamilyBytes.Length)];
        }
        else
        {
            data[12] = (byte)((_random.Next(4) == 0 ? _random.Next(16) : 2) << 4 | _random.Next(_random.Next(4) == 0 ? 16 : 2));
        }
    }

    // Changes the type or length of one TLV found by walking the area after the address block.
    private void EditTlv(List<byte> data)
    {
        if (data.Count < 16 || data[0] != 0x0D)
        {
            SetByte(data);
            return;
        }

        int offset = 16 + data[13] switch
        {
            0x11 or 0x12 => 12,
            0x21 or 0x22 => 36,
            0x31 or 0x32 => 216,
            _ => 0,
        };
        List<int> starts = [];
        while (offset + 3 <= data.Count)
        {
            starts.Add(offset);
            offset += 3 + ((data[offset + 1] << 8) | data[offset + 2]);
        }

        if (starts.Count == 0)
        {
            Extend(data);
            return;
        }

        int tlv = starts[_random.Next(starts.Count)];
        switch (_random.Next(4))
        {
            case 0:
                data[tlv] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                break;
            case 1:
                {
                    int length = ((data[tlv + 1] << 8) | data[tlv + 2]) + _random.Next(-3, 4);
                    data[tlv + 1] = (byte)((length >> 8) & 0xFF);
                    data[tlv + 2] = (byte)length;
                    break;
                }

            case 2:
                // A sub-TLV-looking edit inside the value (SSL sub-TLVs, vendor subtypes).
                if (tlv + 3 < data.Count)
                {
                    data[_random.Next(tlv + 3, data.Count)] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                }

                break;
            default:
                data.RemoveRange(tlv, data.Count - tlv);
                break;
        }
    }

    // Replaces a run of a v1 line with a token that is often almost right.
    private void EditV1Token(List<byte> data)
    {
        if (data.Count == 0 || data[0] != (byte)'P')
        {
            SetByte(data);
            return;
        }

        int at = _random.Next(data.Count);
        int remove = Math.Min(_random.Next(0, 4), data.Count - at);
        data.RemoveRange(at, remove);
        data.InsertRange(at, System.Text.Encoding.ASCII.GetBytes(V1Tokens[_random.Next(V1Tokens.Length)]));
    }

    // Prefix of this input followed by a suffix of another valid header.
    private void Splice(List<byte> data)
    {
        byte[] other = _random.Next(2) == 0 ? _seeds[_random.Next(_seeds.Count)] : RandomHeaders.Create(_random).Bytes;
        int cut = _random.Next(data.Count + 1);
        int from = _random.Next(other.Length + 1);
        data.RemoveRange(cut, data.Count - cut);
        data.AddRange(other.AsSpan(from).ToArray());
    }

    /// <summary>Recomputes a trailing CRC32C TLV, so that mutations get past the checksum to the other checks.</summary>
    public static void FixCrc32C(byte[] header)
    {
        if (header.Length < 23 || header[0] != 0x0D)
        {
            return;
        }

        int last = header.Length - 7;
        if (header[last] == 0x03 && header[last + 1] == 0 && header[last + 2] == 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(last + 3), 0);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(last + 3), V2Raw.ReferenceCrc32C(header));
        }
    }
}
