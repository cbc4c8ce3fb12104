using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// Zero-copy relay direction: splice(2) source socket → pooled pipe → destination socket, so the
/// bytes never enter user space. Readiness comes from the async socket engine (a zero-byte receive
/// waits for "readable"); the splices themselves are non-blocking. When the destination cannot take
/// everything (EAGAIN: the peer's window is full) the rest of the pipe is read into a pooled buffer
/// and sent with SendAsync, which waits properly; no byte is lost and backpressure holds because
/// nothing more is read from the source meanwhile. Idle connections hold no pipe. Small messages
/// (interactive traffic) are copied through a small pooled buffer instead: for them a splice costs
/// more than the copy it saves.
/// </summary>
internal sealed class SpliceRelayPump : RelayPump
{
    private const uint Flags = SpliceNativeMethods.SpliceMove | SpliceNativeMethods.SpliceNonBlock;

    /// <summary>Reads up to this size are copied; a read that fills it switches to splicing.</summary>
    public const int CopyThreshold = 4 * 1024;

    private readonly PipePool _pipes;
    private long _fallbacks;

    public SpliceRelayPump(PipePool pipes)
    {
        ArgumentNullException.ThrowIfNull(pipes);
        _pipes = pipes;
    }

    /// <summary>Times the destination was full and bytes went through a user-space buffer.</summary>
    public long Fallbacks => Interlocked.Read(ref _fallbacks);

    /// <summary>The pipe pool (tests check that every pipe is returned).</summary>
    public PipePool Pipes => _pipes;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<PumpResult> RunAsync(Socket source, Socket destination, RelayDirection direction, TcpRelay relay)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(relay);
        try
        {
            // An accepted socket's descriptor stays blocking until its first async operation; a
            // blocking splice would hold a thread and starve the other direction.
            source.Blocking = false;
            destination.Blocking = false;
        }
        catch (ObjectDisposedException)
        {
            return PumpResult.Aborted;
        }
        catch (SocketException ex)
        {
            return relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.SourceFailed, ex.SocketErrorCode);
        }

        SplicePipe? pipe = null;
        byte[]? small = null;
        bool bulk = false;
        long wakeTotal = 0;
        try
        {
            while (true)
            {
                if (pipe is null)
                {
                    if (bulk && wakeTotal < CopyThreshold)
                    {
                        // The last burst was small: go back to copying.
                        bulk = false;
                    }

                    // Wait for data (or FIN, or an error) before taking a buffer or a pipe. Awaited
                    // here rather than in a helper: a helper's state machine would be allocated per wait.
                    try
                    {
                        await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    }
                    catch (SocketException ex)
                    {
                        return relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.SourceFailed, ex.SocketErrorCode);
                    }
                    catch (ObjectDisposedException)
                    {
                        return PumpResult.Aborted;
                    }

                    if (!bulk)
                    {
                        // Small messages are cheaper to copy than to splice (splicing a few bytes of a
                        // loopback segment copies them anyway, plus the pipe's bookkeeping). Only a
                        // read that fills the buffer switches this direction to splicing.
                        small = ArrayPool<byte>.Shared.Rent(CopyThreshold);
                        int received;
                        try
                        {
                            received = await source.ReceiveAsync(small.AsMemory(0, CopyThreshold), SocketFlags.None).ConfigureAwait(false);
                        }
                        catch (SocketException ex)
                        {
                            return relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.SourceFailed, ex.SocketErrorCode);
                        }
                        catch (ObjectDisposedException)
                        {
                            return PumpResult.Aborted;
                        }

                        if (received == 0)
                        {
                            return CopyRelayPump.SourceEnded(source, destination, direction, relay);
                        }

                        relay.OnReceived(direction, received);
                        PumpResult? copyFailure = await CopyRelayPump.SendAllAsync(destination, small.AsMemory(0, received), relay).ConfigureAwait(false);
                        ArrayPool<byte>.Shared.Return(small);
                        small = null;
                        if (copyFailure is { } failed)
                        {
                            return failed;
                        }

                        if (received < CopyThreshold)
                        {
                            continue;
                        }

                        bulk = true;
                    }

                    wakeTotal = 0;
                    pipe = _pipes.Rent(out int rentErrno);
                    if (pipe is null)
                    {
                        // Out of descriptors: relay this direction by copying rather than failing it.
                        _ = rentErrno;
                        return await CopyRelayPump.Instance.RunAsync(source, destination, direction, relay).ConfigureAwait(false);
                    }
                }

                nint spliced = SpliceIn(source, pipe, out int errno);
                if (spliced > 0)
                {
                    wakeTotal += spliced;
                    relay.OnReceived(direction, (int)spliced);
                    PumpResult? sendFailure = await DrainAsync(pipe, (int)spliced, destination, relay).ConfigureAwait(false);
                    if (sendFailure is { } failure)
                    {
                        // The pipe may still hold bytes: dispose it rather than pool it.
                        SplicePipe dirty = pipe;
                        pipe = null;
                        _pipes.Return(dirty, empty: false);
                        return failure;
                    }

                    if (spliced < pipe.Capacity)
                    {
                        // Drained for now: give the pipe back before waiting again.
                        _pipes.Return(pipe, empty: true);
                        pipe = null;
                    }

                    continue;
                }

                if (spliced == 0)
                {
                    return CopyRelayPump.SourceEnded(source, destination, direction, relay);
                }

                switch (errno)
                {
                    case Errno.EAGAIN:
                        _pipes.Return(pipe, empty: true);
                        pipe = null;
                        break;
                    case Errno.EINTR:
                        break;
                    default:
                        return relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.SourceFailed, ToSocketError(errno));
                }
            }
        }
        finally
        {
            if (pipe is not null)
            {
                _pipes.Return(pipe, empty: true);
            }

            if (small is not null)
            {
                ArrayPool<byte>.Shared.Return(small);
            }
        }
    }

    /// <summary>splice(source → pipe); the result and errno as splice(2) gives them (-1 and EBADF once disposed).</summary>
    private static nint SpliceIn(Socket source, SplicePipe pipe, out int errno)
    {
        try
        {
            nint n = SpliceNativeMethods.SpliceFromSocket(source.SafeHandle, 0, pipe.WriteFd, 0, (nuint)pipe.Capacity, Flags);
            errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            return n;
        }
        catch (ObjectDisposedException)
        {
            errno = 9; // EBADF: the relay was aborted and the socket closed.
            return -1;
        }
    }

    /// <summary>Moves <paramref name="pending"/> bytes from the pipe to the destination.</summary>
    private ValueTask<PumpResult?> DrainAsync(SplicePipe pipe, int pending, Socket destination, TcpRelay relay)
    {
        while (pending > 0)
        {
            nint n;
            int errno;
            try
            {
                n = SpliceNativeMethods.SpliceToSocket(pipe.ReadFd, 0, destination.SafeHandle, 0, (nuint)pending, Flags);
                errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            catch (ObjectDisposedException)
            {
                return ValueTask.FromResult<PumpResult?>(PumpResult.Aborted);
            }

            if (n > 0)
            {
                pending -= (int)n;
                continue;
            }

            if (n < 0 && errno == Errno.EINTR)
            {
                continue;
            }

            if (n < 0 && errno != Errno.EAGAIN)
            {
                return ValueTask.FromResult<PumpResult?>(
                    relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.DestinationFailed, ToSocketError(errno)));
            }

            // The destination is full: finish through a buffer with a send that waits.
            Interlocked.Increment(ref _fallbacks);
            return DrainThroughBufferAsync(pipe, pending, destination, relay);
        }

        return ValueTask.FromResult<PumpResult?>(null);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<PumpResult?> DrainThroughBufferAsync(SplicePipe pipe, int pending, Socket destination, TcpRelay relay)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(pending);
        try
        {
            int read = ReadPipe(pipe, buffer.AsSpan(0, pending));
            if (read != pending)
            {
                // Cannot happen (the bytes are in the pipe); never send a partial stream silently.
                return relay.IsAborted ? PumpResult.Aborted : new PumpResult(PumpOutcome.DestinationFailed, SocketError.Fault);
            }

            return await CopyRelayPump.SendAllAsync(destination, buffer.AsMemory(0, pending), relay).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static unsafe int ReadPipe(SplicePipe pipe, Span<byte> target)
    {
        int total = 0;
        fixed (byte* start = target)
        {
            while (total < target.Length)
            {
                nint n = DescriptorNativeMethods.Read(pipe.ReadFd, start + total, (nuint)(target.Length - total));
                if (n > 0)
                {
                    total += (int)n;
                    continue;
                }

                if (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR)
                {
                    continue;
                }

                break;
            }
        }

        return total;
    }

    /// <summary>The socket error the managed socket API would report for a splice errno.</summary>
    internal static SocketError ToSocketError(int errno) => errno switch
    {
        9 => SocketError.OperationAborted, // EBADF: closed under us (aborted)
        32 => SocketError.Shutdown, // EPIPE
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        107 => SocketError.NotConnected,
        110 => SocketError.TimedOut,
        113 => SocketError.HostUnreachable,
        101 => SocketError.NetworkUnreachable,
        12 or 105 => SocketError.NoBufferSpaceAvailable,
        _ => SocketError.SocketError,
    };
}
