using System.Security.Cryptography;

namespace MmProxy.EndToEnd.Tests.Hardening.Support;

/// <summary>
/// A seeded random block of prime length repeated without end: any byte lost, duplicated or moved
/// changes the SHA-256. Unlike the fixture's pattern, any slice can be sent, so progress is countable.
/// </summary>
internal static class CyclicPattern
{
    private const int Period = (1 << 20) + 7;
    private static readonly byte[] Block = Create();

    private static byte[] Create()
    {
        var bytes = new byte[Period];
#pragma warning disable CA5394 // deterministic test data, not security
        new Random(1122).NextBytes(bytes);
#pragma warning restore CA5394
        return bytes;
    }

    /// <summary>At most <paramref name="max"/> bytes of the stream starting at <paramref name="offset"/> (stops at the period's end).</summary>
    public static ReadOnlyMemory<byte> Slice(long offset, int max)
    {
        int start = (int)(offset % Period);
        return Block.AsMemory(start, Math.Min(max, Period - start));
    }

    public static string Hash(long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long done = 0;
        while (done < length)
        {
            ReadOnlyMemory<byte> slice = Slice(done, (int)Math.Min(256 * 1024, length - done));
            hash.AppendData(slice.Span);
            done += slice.Length;
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
