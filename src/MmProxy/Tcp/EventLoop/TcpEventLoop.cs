using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// The native TCP engine for one listening socket: a dedicated thread, one epoll (level-triggered),
/// raw non-blocking descriptors, no runtime socket operations on them. The data path reads top to
/// bottom across the partials: accept (<c>.Accept</c>) → header (<c>.Header</c>) → upstream connect
/// (<c>.Connect</c>) → relay (<c>.Relay</c>) → close; timeouts come from the epoll_wait timeout
/// (<c>.Timers</c>). Counters and logs are updated on the loop thread, with the same events as the
/// socket engine (<see cref="TcpConnectionHandler"/>).
/// </summary>
internal sealed unsafe partial class TcpEventLoop
{
    private const ulong ListenerData = ulong.MaxValue - 1;
    private const int MaxEvents = 256;

    /// <summary>The scratch buffer: small relay reads and the first header read go through it.</summary>
    private const int ScratchSize = 64 * 1024;

    private readonly TcpListenerGroup _group;
    private readonly TcpConnectionHandler _handler;
    private readonly ProxyCounters _counters;
    private readonly ILogger _log;
    private readonly ILogger _proxyLog;
    private readonly Epoll _epoll;
    private readonly int _listenFd;
    private readonly EpollEvent[] _events = new EpollEvent[MaxEvents];
    private readonly TaskCompletionSource _acceptStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly long _busyPollTicks = BusyPollTicksFromEnvironment();
    private byte* _scratch;
    private TcpLoopConnection[] _slots = new TcpLoopConnection[64];
    private int[] _free = new int[64];
    private int _slotCount;
    private int _freeCount;
    private int _active;
    private long _now;
    private volatile bool _stopRequested;
    private bool _acceptClosed;

    private TcpEventLoop(TcpListenerGroup group, TcpConnectionHandler handler, int listenFd, Epoll epoll, int index)
    {
        _group = group;
        _handler = handler;
        _counters = handler.Counters;
        _log = handler.ConnectionLogger;
        _proxyLog = handler.ProxyLogger;
        _listenFd = listenFd;
        _epoll = epoll;
        InitializeHeader(handler.Options);
        InitializeConnect(handler.Options);
        InitializeRelay();
        InitializeTimers(handler.Options);
        _scratch = (byte*)NativeMemory.Alloc(ScratchSize);
        _thread = new Thread(Run) { IsBackground = true, Name = "mmproxy-tcp-loop-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    /// <summary>Completes once the loop no longer touches the listening descriptor (it may then be closed).</summary>
    public Task AcceptStopped => _acceptStopped.Task;

    /// <summary>Connections open on this loop (tests).</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>
    /// Creates the loop for a listening descriptor (non-blocking, owned by the caller, which closes
    /// it only after <see cref="AcceptStopped"/>), or null with a message.
    /// </summary>
    public static TcpEventLoop? TryCreate(TcpListenerGroup group, TcpConnectionHandler handler, int listenFd, int index, out string? error)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(handler);
        Epoll? epoll = Epoll.TryCreate(out int errno);
        if (epoll is null)
        {
            error = "cannot create the event loop: epoll: " + Errno.Describe(errno);
            return null;
        }

        errno = epoll.Add(listenFd, EpollFlags.In, ListenerData);
        if (errno != 0)
        {
            epoll.Dispose();
            error = "cannot create the event loop: epoll_ctl(listener): " + Errno.Describe(errno);
            return null;
        }

        error = null;
        return new TcpEventLoop(group, handler, listenFd, epoll, index);
    }

    public void Start() => _thread.Start();

    /// <summary>Stops accepting (any thread); connections already accepted run to their end.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        _epoll.Wake();
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                int timeout = NextTimeoutMs();
                int n = _busyPollTicks > 0 && timeout != 0 ? BusyPoll() : 0;
                if (n == 0)
                {
                    n = _epoll.Wait(_events, timeout);
                }

                _now = Environment.TickCount64;
                if (n < 0)
                {
                    throw new InvalidOperationException("epoll_wait failed: " + Errno.Describe(-n));
                }

                for (int i = 0; i < n; i++)
                {
                    Dispatch(_events[i]);
                }

                RunReady();
                RunTimers();
                if (_stopRequested && !_acceptClosed)
                {
                    CloseAccept();
                }

                if (_acceptClosed && _active == 0)
                {
                    break;
                }
            }
        }
#pragma warning disable CA1031 // The loop's last line of defence: report, then the host exits non-zero.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _group.OnLoopFailed(ex);
        }
        finally
        {
            _acceptStopped.TrySetResult();
            _epoll.Dispose();
            DisposeRelay();
            NativeMemory.Free(_scratch);
            _scratch = null;
        }
    }

    /// <summary>
    /// MMPROXY_BUSY_POLL_US: polls (epoll_wait with timeout 0) this long before sleeping, so a
    /// reply that comes back within it costs no sleep and wake-up (most of a relayed round trip's
    /// time here). Burns up to that much CPU after each burst of events; 0 (default): off.
    /// </summary>
    private static long BusyPollTicksFromEnvironment() =>
        long.TryParse(Environment.GetEnvironmentVariable("MMPROXY_BUSY_POLL_US"), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out long us) && us > 0
            ? us * Stopwatch.Frequency / 1_000_000
            : 0;

    private int BusyPoll()
    {
        long until = Stopwatch.GetTimestamp() + _busyPollTicks;
        int n;
        do
        {
            n = _epoll.Wait(_events, 0);
        }
        while (n == 0 && Stopwatch.GetTimestamp() < until);
        return n;
    }

    private void Dispatch(in EpollEvent ev)
    {
        ulong data = ev.Data;
        if (data == Epoll.WakeData)
        {
            return;
        }

        if (data == ListenerData)
        {
            AcceptReady();
            return;
        }

        int slot = (int)((uint)data >> 1);
        bool upstream = (data & 1) != 0;
        TcpLoopConnection c = _slots[slot];
        if (c.Generation != (uint)(data >> 32) || c.Phase == TcpLoopPhase.Free)
        {
            // Closed earlier in this batch (and maybe reused): a stale event.
            return;
        }

        try
        {
            switch (c.Phase)
            {
                case TcpLoopPhase.Header:
                    OnHeaderReadable(c);
                    break;
                case TcpLoopPhase.Connecting when upstream:
                    OnConnectEvent(c, ev.Events);
                    break;
                case TcpLoopPhase.Connecting:
                    PauseClientWhileConnecting(c);
                    break;
                default:
                    OnRelayEvent(c, upstream, ev.Events);
                    break;
            }
        }
#pragma warning disable CA1031 // One connection must never take the loop down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Crash(c, ex);
        }
    }

    private static ulong DataOf(TcpLoopConnection c, bool upstream) =>
        ((ulong)c.Generation << 32) | ((ulong)(uint)c.Slot << 1) | (upstream ? 1UL : 0UL);

    /// <summary>Registers or changes a descriptor's interest, only when it differs from what epoll has.</summary>
    private void SetInterest(TcpLoopConnection c, bool upstream, uint events)
    {
        uint current = upstream ? c.UpstreamEvents : c.ClientEvents;
        if (current == events || (current == TcpLoopConnection.NotRegistered && events == 0))
        {
            // Nothing to wait for: not registered at all (ERR/HUP would be reported even so).
            return;
        }

        int fd = upstream ? c.UpstreamFd : c.ClientFd;
        int errno = current == TcpLoopConnection.NotRegistered
            ? _epoll.Add(fd, events, DataOf(c, upstream))
            : _epoll.Modify(fd, events, DataOf(c, upstream));
        if (errno != 0)
        {
            throw new InvalidOperationException("epoll_ctl failed: " + Errno.Describe(errno));
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

    private TcpLoopConnection Rent()
    {
        TcpLoopConnection c;
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

            c = new TcpLoopConnection(_slotCount);
            _slots[_slotCount++] = c;
        }

        Volatile.Write(ref _active, _active + 1);
        return c;
    }

    /// <summary>Closes both descriptors (with RST when <paramref name="reset"/>); epoll forgets them on close.</summary>
    private static void CloseDescriptors(TcpLoopConnection c, bool reset)
    {
        if (c.ClientFd >= 0)
        {
            CloseFd(c.ClientFd, reset);
            c.ClientFd = -1;
        }

        if (c.UpstreamFd >= 0)
        {
            CloseFd(c.UpstreamFd, reset);
            c.UpstreamFd = -1;
        }
    }

    private static void CloseFd(int fd, bool reset)
    {
        if (reset)
        {
            _ = SocketNativeMethods.SetLingerZero(fd);
        }

        _ = DescriptorNativeMethods.Close(fd);
    }

    /// <summary>Closes what is still open, gives back buffers, pipes and deadlines, and frees the slot.</summary>
    private void Recycle(TcpLoopConnection c, bool reset)
    {
        CloseDescriptors(c, reset);
        if (c.HeaderBuffer is { } header)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(header);
        }

        ReleaseDirection(c.ToUpstream);
        ReleaseDirection(c.ToClient);
        _headerQueue.Remove(c.PhaseDeadline);
        _connectQueue.Remove(c.PhaseDeadline);
        _idleQueue.Remove(c.IdleDeadline);
        c.Reset();
        _free[_freeCount++] = c.Slot;
        Volatile.Write(ref _active, _active - 1);
        _counters.OnClosed();
    }

    private void Crash(TcpLoopConnection c, Exception ex)
    {
        if (c.Phase == TcpLoopPhase.Free)
        {
            return;
        }

        ProxyLog.ConnectionCrashed(_proxyLog, c.Peer, ex);
        Recycle(c, reset: true);
    }

    private static ProxyHeaderParser CreateParser(int maxHeaderSize) =>
        new(new ProxyHeaderParserOptions { MaxHeaderSize = maxHeaderSize });
}
