using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using MmProxy.Interop;

namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// The relay, by the rules of <see cref="SpliceRelayPump"/>: reads up to 4 KiB go through the
/// scratch buffer (one recv, one send: what interactive traffic needs); a read that fills it
/// switches the direction to splice(2) through a pooled pipe until a burst is small again. Bytes
/// the destination cannot take stay parked (pipe or rented array), the source's EPOLLIN is off
/// and the destination's EPOLLOUT on until they are gone: no byte lost, no busy loop. FIN →
/// shutdown(SHUT_WR) of the other side, the other direction keeps flowing; a reset or error on
/// either side → both closed with RST; both directions done → both closed.
/// </summary>
internal sealed unsafe partial class TcpEventLoop
{
    private const uint SpliceFlags = SpliceNativeMethods.SpliceMove | SpliceNativeMethods.SpliceNonBlock;
    private const int SendFlags = SocketNativeMethods.MsgNoSignal | SocketNativeMethods.MsgDontWait;
    /// <summary>
    /// Reads up to this size are copied (MMPROXY_COPY_THRESHOLD for measurements; default
    /// <see cref="SpliceRelayPump.CopyThreshold"/>, at most the scratch buffer).
    /// </summary>
    private readonly int _copyThreshold = CopyThresholdFromEnvironment();

    private static int CopyThresholdFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("MMPROXY_COPY_THRESHOLD"), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int bytes) && bytes > 0
            ? Math.Min(bytes, ScratchSize)
            : SpliceRelayPump.CopyThreshold;
    private const int MaxIdlePipes = 64;

    /// <summary>Null: copy only (MMPROXY_RELAY=copy, or pipes do not work here).</summary>
    private PipePool? _pipes;

    private void InitializeRelay()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(RelayPumpFactory.EnvironmentVariable), "copy", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var pipes = new PipePool(MaxIdlePipes, RelayPumpFactory.PipeSizeFromEnvironment());
        SplicePipe? probe = pipes.Rent(out _);
        if (probe is null)
        {
            pipes.Dispose();
            return;
        }

        pipes.Return(probe, empty: true);
        _pipes = pipes;
    }

    private void DisposeRelay() => _pipes?.Dispose();

    private void StartRelay(TcpLoopConnection c)
    {
        c.Phase = TcpLoopPhase.Relaying;
        if (_idleTimeoutMs > 0)
        {
            c.LastActivity = _now;
            _idleQueue.Enqueue(c.IdleDeadline, _now + _idleTimeoutMs);
        }

        // Edge-triggered from here on: registered once, readiness kept in the directions, so
        // parking and resuming cost no epoll_ctl. Optimistic start: try, EAGAIN clears the flag.
        c.ToUpstream.SourceReadable = c.ToUpstream.DestinationWritable = true;
        c.ToClient.SourceReadable = c.ToClient.DestinationWritable = true;
        SetInterest(c, upstream: false, RelayEvents);
        SetInterest(c, upstream: true, RelayEvents);

        // The bytes that came with the header go first (Pump flushes parked bytes before reading).
        _ = Pump(c);
    }

    // RDHUP: an event that comes with the peer's FIN says so, which lets a short read skip the
    // recv that would only return EAGAIN (see Forward).
    private const uint RelayEvents = EpollFlags.In | EpollFlags.Out | EpollFlags.RdHup | EpollFlags.EdgeTriggered;

    /// <summary>Rounds of one read (or flush) per direction before other connections get a turn.</summary>
    private const int PumpRounds = 8;

    /// <summary>Connections still ready after their rounds (filled by Pump) and the batch being run.</summary>
    private List<(TcpLoopConnection Connection, uint Generation)> _readyNext = [];
    private List<(TcpLoopConnection Connection, uint Generation)> _readyRunning = [];

    private void OnRelayEvent(TcpLoopConnection c, bool upstream, uint events)
    {
        LoopDirection asSource = upstream ? c.ToClient : c.ToUpstream;
        LoopDirection asDestination = upstream ? c.ToUpstream : c.ToClient;
        if ((events & (EpollFlags.In | EpollFlags.Err | EpollFlags.Hup | EpollFlags.RdHup)) != 0)
        {
            asSource.SourceReadable = true;
        }

        if ((events & (EpollFlags.Err | EpollFlags.Hup | EpollFlags.RdHup)) != 0)
        {
            asSource.SourceHungUp = true;
        }

        if ((events & (EpollFlags.Out | EpollFlags.Err | EpollFlags.Hup)) != 0)
        {
            asDestination.DestinationWritable = true;
        }

        if (!Pump(c))
        {
            return;
        }

        if ((events & EpollFlags.Err) != 0)
        {
            // An error nothing read or wrote (e.g. a reset after its FIN while the other side is
            // quiet): edge-triggered, so it is not reported again. A consumed error reads 0.
            int fd = upstream ? c.UpstreamFd : c.ClientFd;
            _ = SocketNativeMethods.GetInt(fd, LinuxSocketOptions.SolSocket, SocketNativeMethods.SoError, out int error);
            if (error != 0)
            {
                _ = asDestination.Done
                    ? Fail(c, asSource, PumpOutcome.SourceFailed, error)
                    : Fail(c, asDestination, PumpOutcome.DestinationFailed, error);
            }
        }
    }

    /// <summary>
    /// Moves bytes both ways while the descriptors are ready (flags set by events, cleared by
    /// EAGAIN), for a few rounds; a connection still ready after them goes on the ready list.
    /// False: the connection ended.
    /// </summary>
    private bool Pump(TcpLoopConnection c)
    {
        for (int round = 0; round < PumpRounds; round++)
        {
            bool progress = false;
            if (!Step(c, c.ToUpstream, ref progress) || !Step(c, c.ToClient, ref progress))
            {
                return false;
            }

            if (c.ToUpstream.Done && c.ToClient.Done)
            {
                EndRelay(c, PumpResult.Completed, PumpResult.Completed, idleTimedOut: false, reset: false);
                return false;
            }

            if (!progress)
            {
                return true;
            }
        }

        _readyNext.Add((c, c.Generation));
        return true;
    }

    /// <summary>Runs the connections that still had work after their rounds. Called after each epoll batch.</summary>
    private void RunReady()
    {
        if (_readyNext.Count == 0)
        {
            return;
        }

        // Swap: connections that stay ready now run again after the next (non-blocking) epoll batch.
        List<(TcpLoopConnection Connection, uint Generation)> batch = _readyNext;
        _readyNext = _readyRunning;
        _readyRunning = batch;
        foreach ((TcpLoopConnection c, uint generation) in batch)
        {
            if (c.Generation != generation || c.Phase != TcpLoopPhase.Relaying)
            {
                continue;
            }

            try
            {
                _ = Pump(c);
            }
#pragma warning disable CA1031 // One connection must never take the loop down.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Crash(c, ex);
            }
        }

        batch.Clear();
    }

    private bool HasReadyWork => _readyNext.Count > 0;

    /// <summary>One flush or one read for a direction, if its descriptors are ready. False: ended.</summary>
    private bool Step(TcpLoopConnection c, LoopDirection direction, ref bool progress)
    {
        if (direction.Parked)
        {
            if (!direction.DestinationWritable)
            {
                return true;
            }

            StepResult flushed = Flush(c, direction);
            if (flushed == StepResult.Ended)
            {
                return false;
            }

            if (flushed == StepResult.WouldBlock)
            {
                direction.DestinationWritable = false;
                return true;
            }

            progress = true;
        }

        if (direction.Done || !direction.SourceReadable)
        {
            return true;
        }

        StepResult forwarded = Forward(c, direction);
        if (forwarded == StepResult.Ended)
        {
            return false;
        }

        if (forwarded == StepResult.WouldBlock)
        {
            direction.SourceReadable = false;
        }
        else
        {
            progress = true;
        }

        return true;
    }

    private int SourceFd(TcpLoopConnection c, LoopDirection direction) =>
        direction.Direction == RelayDirection.ToUpstream ? c.ClientFd : c.UpstreamFd;

    private int DestinationFd(TcpLoopConnection c, LoopDirection direction) =>
        direction.Direction == RelayDirection.ToUpstream ? c.UpstreamFd : c.ClientFd;

    /// <summary>One read from the source, passed on (what the destination cannot take is parked).</summary>
    private StepResult Forward(TcpLoopConnection c, LoopDirection direction)
    {
        if (direction.Bulk && _pipes is not null)
        {
            return Splice(c, direction);
        }

        int source = SourceFd(c, direction);
        // Without pipes, bulk reads use the whole scratch buffer.
        int room = direction.Bulk ? ScratchSize : _copyThreshold;
        nint n = SocketNativeMethods.Recv(source, _scratch, (nuint)room, 0);
        if (n > 0)
        {
            direction.Bytes += n;
            c.LastActivity = _now;
            direction.Bulk = n >= _copyThreshold;
            nint sent = SocketNativeMethods.Send(DestinationFd(c, direction), _scratch, (nuint)n, SendFlags);
            if (sent == n)
            {
                if (n < room && !direction.SourceHungUp)
                {
                    // A short read emptied the receive queue, and no FIN had arrived when epoll
                    // reported the event: anything later (data or FIN) raises a new edge. Skipping
                    // the read that would return EAGAIN saves a system call per message.
                    direction.SourceReadable = false;
                }

                return StepResult.Progress;
            }

            if (sent < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is not (Errno.EAGAIN or Errno.EINTR))
                {
                    return Fail(c, direction, PumpOutcome.DestinationFailed, errno);
                }

                sent = 0;
            }

            // The destination is full: park the rest until it is writable again.
            int rest = (int)(n - sent);
            byte[] parked = ArrayPool<byte>.Shared.Rent(rest);
            new ReadOnlySpan<byte>(_scratch + sent, rest).CopyTo(parked);
            direction.Pending = parked;
            direction.PendingOffset = 0;
            direction.PendingCount = rest;
            direction.DestinationWritable = false;
            return StepResult.Progress;
        }

        if (n == 0)
        {
            return SourceEnded(c, direction);
        }

        int readErrno = Marshal.GetLastPInvokeError();
        return readErrno == Errno.EAGAIN ? StepResult.WouldBlock
            : readErrno == Errno.EINTR ? StepResult.Progress
            : Fail(c, direction, PumpOutcome.SourceFailed, readErrno);
    }

    private StepResult Splice(TcpLoopConnection c, LoopDirection direction)
    {
        SplicePipe? pipe = _pipes!.Rent(out _);
        if (pipe is null)
        {
            // Out of descriptors: copy this read instead of failing the connection.
            direction.Bulk = false;
            return Forward(c, direction);
        }

        nint n = SpliceNativeMethods.Splice(SourceFd(c, direction), 0, pipe.WriteFd, 0, (nuint)pipe.Capacity, SpliceFlags);
        if (n <= 0)
        {
            int errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            _pipes.Return(pipe, empty: true);
            if (n == 0)
            {
                return SourceEnded(c, direction);
            }

            return errno == Errno.EAGAIN ? StepResult.WouldBlock
                : errno == Errno.EINTR ? StepResult.Progress
                : Fail(c, direction, PumpOutcome.SourceFailed, errno);
        }

        direction.Bytes += n;
        c.LastActivity = _now;
        if (n < _copyThreshold)
        {
            // A small burst: back to copying.
            direction.Bulk = false;
        }

        direction.Pipe = pipe;
        direction.PipeCount = (int)n;
        StepResult flushed = Flush(c, direction);
        if (flushed == StepResult.WouldBlock)
        {
            direction.DestinationWritable = false;
        }

        return flushed == StepResult.Ended ? StepResult.Ended : StepResult.Progress;
    }

    /// <summary>Sends parked bytes until they are gone or the destination is full.</summary>
    private StepResult Flush(TcpLoopConnection c, LoopDirection direction)
    {
        int destination = DestinationFd(c, direction);
        while (direction.Parked)
        {
            nint sent;
            if (direction.PendingCount > 0)
            {
                fixed (byte* p = direction.Pending)
                {
                    sent = SocketNativeMethods.Send(destination, p + direction.PendingOffset, (nuint)direction.PendingCount, SendFlags);
                }
            }
            else
            {
                sent = SpliceNativeMethods.Splice(direction.Pipe!.ReadFd, 0, destination, 0, (nuint)direction.PipeCount, SpliceFlags);
            }

            if (sent < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                return errno == Errno.EAGAIN ? StepResult.WouldBlock : Fail(c, direction, PumpOutcome.DestinationFailed, errno);
            }

            if (direction.PendingCount > 0)
            {
                direction.PendingOffset += (int)sent;
                direction.PendingCount -= (int)sent;
                if (direction.PendingCount == 0)
                {
                    ArrayPool<byte>.Shared.Return(direction.Pending!);
                    direction.Pending = null;
                    direction.PendingOffset = 0;
                }
            }
            else
            {
                direction.PipeCount -= (int)sent;
                if (direction.PipeCount == 0)
                {
                    _pipes!.Return(direction.Pipe!, empty: true);
                    direction.Pipe = null;
                }
            }
        }

        return StepResult.Progress;
    }

    /// <summary>
    /// Read 0: FIN, unless the peer reset and the other direction's write already consumed the
    /// error (the read then returns 0 too): the socket is then in TCP_CLOSE, which a FIN cannot
    /// cause while our own sending side is still open.
    /// </summary>
    private StepResult SourceEnded(TcpLoopConnection c, LoopDirection direction)
    {
        LoopDirection opposite = ReferenceEquals(direction, c.ToUpstream) ? c.ToClient : c.ToUpstream;
        int source = SourceFd(c, direction);
        if (!opposite.Done && TcpState(source) == SpliceTcpState.Close)
        {
            return Fail(c, direction, PumpOutcome.SourceFailed, Errno.ECONNRESET);
        }

        direction.Done = true;
        if (SocketNativeMethods.Shutdown(DestinationFd(c, direction), SocketNativeMethods.ShutWr) != 0)
        {
            return Fail(c, direction, PumpOutcome.DestinationFailed, Marshal.GetLastPInvokeError());
        }

        return StepResult.Progress;
    }

    private static int TcpState(int fd) =>
        SocketNativeMethods.GetInt(fd, LinuxSocketOptions.SolTcp, SocketNativeMethods.TcpInfo, out int info) == 0 ? info & 0xFF : -1;

    /// <summary>Ends the relay with RST on both sides for a failed direction. Always <see cref="StepResult.Ended"/>.</summary>
    private StepResult Fail(TcpLoopConnection c, LoopDirection direction, PumpOutcome outcome, int errno)
    {
        var failed = new PumpResult(outcome, SpliceRelayPump.ToSocketError(errno));
        bool toUpstream = direction.Direction == RelayDirection.ToUpstream;
        PumpResult up = toUpstream ? failed : Unfinished(c.ToUpstream);
        PumpResult down = toUpstream ? Unfinished(c.ToClient) : failed;
        EndRelay(c, up, down, idleTimedOut: false, reset: true);
        return StepResult.Ended;
    }

    private static PumpResult Unfinished(LoopDirection direction) => direction.Done ? PumpResult.Completed : PumpResult.Aborted;

    private void EndRelay(TcpLoopConnection c, PumpResult toUpstream, PumpResult toClient, bool idleTimedOut, bool reset)
    {
        CloseDescriptors(c, reset);
        var result = new RelayResult(toUpstream, toClient, c.ToUpstream.Bytes, c.ToClient.Bytes, idleTimedOut);
        TcpConnectionHandler.ReportRelayEnded(_counters, _log, _idleTimeout, c.Peer, c.Source, result, Stopwatch.GetElapsedTime(c.Started));
        Recycle(c, reset);
    }

    private enum StepResult
    {
        Progress,
        WouldBlock,
        Ended,
    }

    private void ReleaseDirection(LoopDirection direction)
    {
        if (direction.Pending is { } pending)
        {
            ArrayPool<byte>.Shared.Return(pending);
            direction.Pending = null;
        }

        if (direction.Pipe is { } pipe)
        {
            // A pipe that may still hold bytes is closed, not pooled.
            _pipes!.Return(pipe, empty: direction.PipeCount == 0);
            direction.Pipe = null;
        }

        direction.PendingCount = 0;
        direction.PipeCount = 0;
    }
}
