using System.Buffers;
using System.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// The last phase, the relay: reads up to the splice threshold go through the scratch buffer (one
/// recv, one send: what interactive traffic needs); a read that fills it switches the direction to
/// splice(2) through a pooled pipe until a burst is small again. Bytes the destination cannot take
/// stay parked (pipe or rented array) and the source is not read until they are gone: no byte lost,
/// no busy loop. FIN → shutdown(SHUT_WR) of the other side, the other direction keeps flowing; a
/// reset or error on either side → both closed with RST; both directions done → both closed.
/// Edge-triggered: each descriptor is registered once, readiness is kept per direction (set by
/// events, cleared by EAGAIN), so parking and resuming cost no epoll_ctl.
/// </summary>
internal sealed class TcpRelay
{
    // RDHUP: an event that comes with the peer's FIN says so, which lets a short read skip the
    // recv that would only return EAGAIN (see Forward).
    private const uint RelayEvents = EpollFlags.In | EpollFlags.Out | EpollFlags.RdHup | EpollFlags.EdgeTriggered;

    /// <summary>Rounds of one read (or flush) per direction before other connections get a turn.</summary>
    private const int PumpRounds = 8;

    private readonly TcpLoopContext _context;
    private readonly TcpConnectionPool _pool;
    private readonly byte[] _scratch;

    /// <summary>Reads up to this size are copied; a read that fills it switches to splicing.</summary>
    private readonly int _copyThreshold;

    private readonly TcpReadyList _ready = new();
    private readonly Action<TcpConnection> _pumpReady;

    public TcpRelay(TcpLoopContext context)
    {
        _context = context;
        _pool = context.Pool;
        _scratch = context.Scratch;
        _copyThreshold = context.Options.SpliceThreshold is > 0 and var t ? Math.Min(t, TcpLoopContext.ScratchSize) : TcpLoopContext.ScratchSize;
        _pumpReady = PumpReady;
    }

    /// <summary>Connections that still have work after their rounds: the loop must not sleep.</summary>
    public bool HasReadyWork => _ready.HasWork;

    public void Start(TcpConnection c)
    {
        c.Phase = TcpPhase.Relaying;
        _context.Timeouts.StartIdle(c);

        // Optimistic start: try both ways, EAGAIN clears the flag.
        c.ToUpstream.SourceReadable = c.ToUpstream.DestinationWritable = true;
        c.ToClient.SourceReadable = c.ToClient.DestinationWritable = true;
        _pool.SetInterest(c, upstream: false, RelayEvents);
        _pool.SetInterest(c, upstream: true, RelayEvents);

        // The bytes that came with the header go first (Pump flushes parked bytes before reading).
        _ = Pump(c);
    }

    public void OnEvent(TcpConnection c, bool upstream, uint events)
    {
        TcpDirection asSource = upstream ? c.ToClient : c.ToUpstream;
        TcpDirection asDestination = upstream ? c.ToUpstream : c.ToClient;
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
            Errno error = RawSocket.PendingError(upstream ? c.UpstreamFd : c.ClientFd);
            if (error != Errno.Success)
            {
                _ = asDestination.Done
                    ? Fail(c, asSource, PumpOutcome.SourceFailed, error)
                    : Fail(c, asDestination, PumpOutcome.DestinationFailed, error);
            }
        }
    }

    /// <summary>Runs the connections that still had work after their rounds. Called after each batch of events.</summary>
    public void RunReady() => _ready.Run(_pumpReady);

    private void PumpReady(TcpConnection c)
    {
        try
        {
            _ = Pump(c);
        }
#pragma warning disable CA1031 // One connection must never take the loop down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            TcpLoop.Crash(_context, c, ex);
        }
    }

    /// <summary>--idle-timeout came due: both sides are reset.</summary>
    public void IdleTimedOut(TcpConnection c) =>
        End(c, Unfinished(c.ToUpstream), Unfinished(c.ToClient), idleTimedOut: true, reset: true);

    /// <summary>
    /// Moves bytes both ways while the descriptors are ready, for a few rounds; a connection still
    /// ready after them goes on the ready list. False: the connection ended.
    /// </summary>
    private bool Pump(TcpConnection c)
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
                End(c, PumpResult.Completed, PumpResult.Completed, idleTimedOut: false, reset: false);
                return false;
            }

            if (!progress)
            {
                return true;
            }
        }

        _ready.Add(c);
        return true;
    }

    /// <summary>One flush or one read for a direction, if its descriptors are ready. False: ended.</summary>
    private bool Step(TcpConnection c, TcpDirection direction, ref bool progress)
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

    /// <summary>One read from the source, passed on (what the destination cannot take is parked).</summary>
    private StepResult Forward(TcpConnection c, TcpDirection direction)
    {
        if (direction.Bulk && _pool.Pipes is not null)
        {
            return Splice(c, direction);
        }

        // Without pipes, bulk reads use the whole scratch buffer.
        int room = direction.Bulk ? TcpLoopContext.ScratchSize : _copyThreshold;
        SysResult read = RawSocket.Receive(c.SourceFd(direction), _scratch.AsSpan(0, room));
        if (read.Succeeded && read.Value > 0)
        {
            int n = (int)read.Value;
            direction.Bytes += n;
            c.LastActivity = _context.Clock.Now;
            direction.Bulk = n >= _copyThreshold;
            SysResult sent = RawSocket.Send(c.DestinationFd(direction), _scratch.AsSpan(0, n));
            if (sent.Succeeded && sent.Value == n)
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

            if (!sent.Succeeded && !sent.Error.IsTransient())
            {
                return Fail(c, direction, PumpOutcome.DestinationFailed, sent.Error);
            }

            // The destination is full: park the rest until it is writable again.
            int done = sent.Succeeded ? (int)sent.Value : 0;
            int rest = n - done;
            byte[] parked = ArrayPool<byte>.Shared.Rent(rest);
            _scratch.AsSpan(done, rest).CopyTo(parked);
            direction.Pending = parked;
            direction.PendingOffset = 0;
            direction.PendingCount = rest;
            direction.DestinationWritable = false;
            return StepResult.Progress;
        }

        if (read.Succeeded)
        {
            return SourceEnded(c, direction);
        }

        return read.Error == Errno.EAGAIN ? StepResult.WouldBlock
            : read.Error == Errno.EINTR ? StepResult.Progress
            : Fail(c, direction, PumpOutcome.SourceFailed, read.Error);
    }

    private StepResult Splice(TcpConnection c, TcpDirection direction)
    {
        SplicePipe? pipe = _pool.Pipes!.Rent(out _);
        if (pipe is null)
        {
            // Out of descriptors: copy this read instead of failing the connection.
            direction.Bulk = false;
            return Forward(c, direction);
        }

        SysResult moved = Interop.Splice.Move(c.SourceFd(direction), pipe.WriteFd, pipe.Capacity);
        if (!moved.Succeeded || moved.Value == 0)
        {
            _pool.Pipes.Return(pipe, empty: true);
            if (moved.Succeeded)
            {
                return SourceEnded(c, direction);
            }

            return moved.Error == Errno.EAGAIN ? StepResult.WouldBlock
                : moved.Error == Errno.EINTR ? StepResult.Progress
                : Fail(c, direction, PumpOutcome.SourceFailed, moved.Error);
        }

        int n = (int)moved.Value;
        direction.Bytes += n;
        c.LastActivity = _context.Clock.Now;
        if (n < _copyThreshold)
        {
            // A small burst: back to copying.
            direction.Bulk = false;
        }

        direction.Pipe = pipe;
        direction.PipeCount = n;
        StepResult flushed = Flush(c, direction);
        if (flushed == StepResult.WouldBlock)
        {
            direction.DestinationWritable = false;
        }

        return flushed == StepResult.Ended ? StepResult.Ended : StepResult.Progress;
    }

    /// <summary>Sends parked bytes until they are gone or the destination is full.</summary>
    private StepResult Flush(TcpConnection c, TcpDirection direction)
    {
        int destination = c.DestinationFd(direction);
        while (direction.Parked)
        {
            SysResult sent = direction.PendingCount > 0
                ? RawSocket.Send(destination, direction.Pending.AsSpan(direction.PendingOffset, direction.PendingCount))
                : Interop.Splice.Move(direction.Pipe!.ReadFd, destination, direction.PipeCount);
            if (!sent.Succeeded)
            {
                if (sent.Error == Errno.EINTR)
                {
                    continue;
                }

                return sent.Error == Errno.EAGAIN ? StepResult.WouldBlock : Fail(c, direction, PumpOutcome.DestinationFailed, sent.Error);
            }

            int n = (int)sent.Value;
            if (direction.PendingCount > 0)
            {
                direction.PendingOffset += n;
                direction.PendingCount -= n;
                if (direction.PendingCount == 0)
                {
                    ArrayPool<byte>.Shared.Return(direction.Pending!);
                    direction.Pending = null;
                    direction.PendingOffset = 0;
                }
            }
            else
            {
                direction.PipeCount -= n;
                if (direction.PipeCount == 0)
                {
                    _pool.Pipes!.Return(direction.Pipe!, empty: true);
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
    private StepResult SourceEnded(TcpConnection c, TcpDirection direction)
    {
        if (!c.Opposite(direction).Done && RawSocket.TcpState(c.SourceFd(direction)) == RawSocket.TcpStateClose)
        {
            return Fail(c, direction, PumpOutcome.SourceFailed, Errno.ECONNRESET);
        }

        direction.Done = true;
        Errno errno = RawSocket.ShutdownWrite(c.DestinationFd(direction));
        return errno == Errno.Success ? StepResult.Progress : Fail(c, direction, PumpOutcome.DestinationFailed, errno);
    }

    /// <summary>Ends the relay with RST on both sides for a failed direction. Always <see cref="StepResult.Ended"/>.</summary>
    private StepResult Fail(TcpConnection c, TcpDirection direction, PumpOutcome outcome, Errno errno)
    {
        var failed = new PumpResult(outcome, errno.ToSocketError());
        bool toUpstream = direction.Direction == RelayDirection.ToUpstream;
        PumpResult up = toUpstream ? failed : Unfinished(c.ToUpstream);
        PumpResult down = toUpstream ? Unfinished(c.ToClient) : failed;
        End(c, up, down, idleTimedOut: false, reset: true);
        return StepResult.Ended;
    }

    private static PumpResult Unfinished(TcpDirection direction) => direction.Done ? PumpResult.Completed : PumpResult.Aborted;

    private void End(TcpConnection c, PumpResult toUpstream, PumpResult toClient, bool idleTimedOut, bool reset)
    {
        TcpConnectionPool.CloseDescriptors(c, reset);
        var result = new RelayResult(toUpstream, toClient, c.ToUpstream.Bytes, c.ToClient.Bytes, idleTimedOut);
        TcpOutcomes.RelayEnded(_context, c, result, Stopwatch.GetElapsedTime(c.Started));
        _pool.Close(c, reset);
    }

    private enum StepResult
    {
        Progress,
        WouldBlock,
        Ended,
    }
}
