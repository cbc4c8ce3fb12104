using System.Buffers;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// A loop's connections: pooled objects by slot (reused with a new generation, so an event for a
/// closed connection is recognised as stale), their epoll registrations, and the one way a
/// connection ends: <see cref="Close"/> closes both descriptors and gives back every buffer, pipe
/// and deadline it held. Loop thread only; <see cref="Active"/> may be read anywhere.
/// </summary>
internal sealed class TcpConnectionPool
{
    private readonly Epoll _epoll;
    private readonly ProxyCounters _counters;
    private TcpConnection[] _slots = new TcpConnection[64];
    private int[] _free = new int[64];
    private int _slotCount;
    private int _freeCount;
    private int _active;

    public TcpConnectionPool(Epoll epoll, PipePool? pipes, ProxyCounters counters)
    {
        _epoll = epoll;
        Pipes = pipes;
        _counters = counters;
    }

    /// <summary>Null: copy only (splicing is off, or pipes do not work here).</summary>
    public PipePool? Pipes { get; }

    /// <summary>Connections open on this loop.</summary>
    public int Active => Volatile.Read(ref _active);

    public TcpConnection Rent()
    {
        TcpConnection c;
        if (_freeCount > 0)
        {
            c = _slots[_free[--_freeCount]];
        }
        else
        {
            if (_slotCount == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
                Array.Resize(ref _free, _slots.Length);
            }

            c = new TcpConnection(_slotCount);
            _slots[_slotCount++] = c;
        }

        Volatile.Write(ref _active, _active + 1);
        return c;
    }

    /// <summary>The connection an event is for; false when it closed since (maybe earlier in the same batch).</summary>
    public bool TryResolve(ulong data, out TcpConnection connection, out bool upstream)
    {
        int slot = (int)((uint)data >> 1);
        upstream = (data & 1) != 0;
        connection = (uint)slot < (uint)_slotCount ? _slots[slot] : null!;
        return connection is not null && connection.Generation == (uint)(data >> 32) && connection.Phase != TcpPhase.Free;
    }

    /// <summary>Registers or changes a descriptor's interest, only when it differs from what epoll has.</summary>
    public void SetInterest(TcpConnection c, bool upstream, uint events)
    {
        uint current = upstream ? c.UpstreamEvents : c.ClientEvents;
        if (current == events || (current == TcpConnection.NotRegistered && events == 0))
        {
            // Nothing to wait for: not registered at all (ERR/HUP would be reported even so).
            return;
        }

        int fd = upstream ? c.UpstreamFd : c.ClientFd;
        Errno errno = current == TcpConnection.NotRegistered
            ? _epoll.Add(fd, events, c.EventData(upstream))
            : _epoll.Modify(fd, events, c.EventData(upstream));
        if (errno != Errno.Success)
        {
            throw new InvalidOperationException("epoll_ctl failed: " + errno.Describe());
        }

        if (upstream)
        {
            c.UpstreamEvents = events;
        }
        else
        {
            c.ClientEvents = events;
        }
    }

    /// <summary>Stops watching the client while the upstream connects (it would be reported again and again).</summary>
    public void StopWatchingClient(TcpConnection c)
    {
        if (c.ClientEvents != TcpConnection.NotRegistered)
        {
            _ = _epoll.Delete(c.ClientFd);
            c.ClientEvents = TcpConnection.NotRegistered;
        }
    }

    /// <summary>Closes the upstream descriptor of a failed connect attempt (another attempt may follow).</summary>
    public static void DropUpstream(TcpConnection c)
    {
        if (c.UpstreamFd >= 0)
        {
            _ = Descriptor.Close(c.UpstreamFd);
            c.UpstreamFd = -1;
            c.UpstreamEvents = TcpConnection.NotRegistered;
        }
    }

    /// <summary>Closes what is still open (with RST when <paramref name="reset"/>), gives back buffers, pipes and deadlines, and frees the slot.</summary>
    public void Close(TcpConnection c, bool reset)
    {
        CloseDescriptors(c, reset);
        if (c.HeaderBuffer is { } header)
        {
            ArrayPool<byte>.Shared.Return(header);
        }

        Release(c.ToUpstream);
        Release(c.ToClient);
        c.PhaseDeadline.Cancel();
        c.IdleDeadline.Cancel();
        c.Reset();
        _free[_freeCount++] = c.Slot;
        Volatile.Write(ref _active, _active - 1);
        _counters.OnClosed();
    }

    /// <summary>Closes both descriptors (epoll forgets them on close); the slot stays taken.</summary>
    public static void CloseDescriptors(TcpConnection c, bool reset)
    {
        if (c.ClientFd >= 0)
        {
            RawSocket.Close(c.ClientFd, reset);
            c.ClientFd = -1;
        }

        if (c.UpstreamFd >= 0)
        {
            RawSocket.Close(c.UpstreamFd, reset);
            c.UpstreamFd = -1;
        }
    }

    private void Release(TcpDirection direction)
    {
        if (direction.Pending is { } pending)
        {
            ArrayPool<byte>.Shared.Return(pending);
            direction.Pending = null;
        }

        if (direction.Pipe is { } pipe)
        {
            // A pipe that may still hold bytes is closed, not pooled.
            Pipes!.Return(pipe, empty: direction.PipeCount == 0);
            direction.Pipe = null;
        }

        direction.PendingCount = 0;
        direction.PipeCount = 0;
    }
}
