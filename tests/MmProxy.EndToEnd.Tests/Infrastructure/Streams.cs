using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Test payloads: a seeded random pattern of prime length sent cyclically, so any lost, duplicated
/// or reordered chunk changes the SHA-256; and receive helpers that hash what arrives.
/// </summary>
internal static class Streams
{
    private const int PatternLength = (1 << 20) + 7;
    private static readonly byte[] PatternBytes = CreatePattern();
    private static readonly ConcurrentDictionary<long, string> Hashes = new();

    private static byte[] CreatePattern()
    {
        var bytes = new byte[PatternLength];
#pragma warning disable CA5394 // deterministic test data, not security
        new Random(20261122).NextBytes(bytes);
#pragma warning restore CA5394
        return bytes;
    }

    /// <summary>SHA-256 (hex) of the first <paramref name="length"/> bytes of the pattern stream.</summary>
    public static string PatternHash(long length) => Hashes.GetOrAdd(length, static l =>
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ForEachChunk(l, chunk => hash.AppendData(chunk.Span));
        return Convert.ToHexString(hash.GetHashAndReset());
    });

    public static byte[] Pattern(int length)
    {
        var result = new byte[length];
        int offset = 0;
        ForEachChunk(length, chunk =>
        {
            chunk.Span.CopyTo(result.AsSpan(offset));
            offset += chunk.Length;
        });
        return result;
    }

    private static void ForEachChunk(long length, Action<ReadOnlyMemory<byte>> action)
    {
        long sent = 0;
        while (sent < length)
        {
            int start = (int)(sent % PatternLength);
            int n = (int)Math.Min(Math.Min(length - sent, PatternLength - start), 256 * 1024);
            action(PatternBytes.AsMemory(start, n));
            sent += n;
        }
    }

    /// <summary>No stream operation may hang a test run: each gets this deadline unless the caller's token fires first.</summary>
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExactTimeout = TimeSpan.FromSeconds(15);

    private static CancellationTokenSource Guard(CancellationToken ct, TimeSpan timeout)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        return cts;
    }

    public static async Task SendPatternAsync(Socket socket, long length, CancellationToken ct = default)
    {
        using CancellationTokenSource guard = Guard(ct, StreamTimeout);
        long sent = 0;
        try
        {
            while (sent < length)
            {
                int start = (int)(sent % PatternLength);
                int n = (int)Math.Min(Math.Min(length - sent, PatternLength - start), 256 * 1024);
                sent += await socket.SendAsync(PatternBytes.AsMemory(start, n), SocketFlags.None, guard.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"send stalled: {sent} of {length} bytes sent within {StreamTimeout.TotalSeconds} s");
        }
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        using CancellationTokenSource guard = Guard(ct, ExactTimeout);
        try
        {
            while (!data.IsEmpty)
            {
                int n = await socket.SendAsync(data, SocketFlags.None, guard.Token);
                data = data[n..];
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"send stalled with {data.Length} bytes left after {ExactTimeout.TotalSeconds} s");
        }
    }

    /// <summary>Reads to end of stream (or reset), or until <paramref name="limit"/> bytes, hashing everything.</summary>
    public static async Task<ReceiveResult> ReceiveAsync(Socket socket, long limit = long.MaxValue, CancellationToken ct = default)
    {
        using CancellationTokenSource guard = Guard(ct, StreamTimeout);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        StreamEnd end = StreamEnd.None;
        string? error = null;
        while (total < limit)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - total)), SocketFlags.None, guard.Token);
            }
            catch (SocketException e)
            {
                end = e.SocketErrorCode == SocketError.ConnectionReset ? StreamEnd.Reset : StreamEnd.Error;
                error = e.SocketErrorCode.ToString();
                break;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"receive stalled: {total} bytes, then nothing (no data, end or reset) for up to {StreamTimeout.TotalSeconds} s");
            }
            if (n == 0)
            {
                end = StreamEnd.Eof;
                break;
            }
            hash.AppendData(buffer, 0, n);
            total += n;
        }
        return new ReceiveResult(total, Convert.ToHexString(hash.GetHashAndReset()), end, error);
    }

    /// <summary>Receives exactly <paramref name="length"/> bytes (or throws), returning them.</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int length, CancellationToken ct = default)
    {
        using CancellationTokenSource guard = Guard(ct, ExactTimeout);
        var buffer = new byte[length];
        int got = 0;
        try
        {
            while (got < length)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, guard.Token);
                if (n == 0)
                {
                    throw new IOException($"stream ended after {got} of {length} bytes");
                }
                got += n;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"received {got} of {length} bytes, then nothing for {ExactTimeout.TotalSeconds} s");
        }
        return buffer;
    }

    /// <summary>Closes with SO_LINGER 0: the peer gets a reset instead of a FIN.</summary>
    public static void Abort(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
