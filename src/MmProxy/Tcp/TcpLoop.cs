using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.Loop;

namespace MmProxy.Tcp;

/// <summary>
/// The TCP engine for one listening socket, on its own <see cref="EventLoop"/>. The data path
/// reads top to bottom through one type per phase: <see cref="TcpAcceptor"/> (accept, allow) →
/// <see cref="TcpHeaderReader"/> (the sending side: <see cref="TcpHeaderSender"/>) → <see cref="TcpConnector"/> → <see cref="TcpRelay"/> → close
/// (<see cref="TcpConnectionPool.Close"/>); timeouts come from <see cref="TcpTimeouts"/>. This type
/// only routes the loop's events and deadlines to the phases.
/// </summary>
internal sealed class TcpLoop : ILoopHandler
{
    private const int MaxIdlePipes = 64;

    private readonly EventLoop _loop;
    private readonly TcpLoopContext _context;
    private readonly TcpAcceptor _acceptor;
    private readonly TcpHeaderReader _header;
    private readonly TcpConnector _connector;
    private readonly TcpRelay _relay;
    private readonly Action<Exception> _onFailed;
    private readonly TaskCompletionSource _acceptStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _allocatedBytes;

    private TcpLoop(EventLoop loop, int listenFd, TcpListenerContext listener, Action<Exception> onFailed)
    {
        _loop = loop;
        _onFailed = onFailed;
        ProxyOptions options = listener.Options;
        var pool = new TcpConnectionPool(loop.Epoll, CreatePipes(options), listener.Counters);
        _context = new TcpLoopContext(options, loop.Clock, pool, listener.Counters, listener.ConnectionLog, listener.ProxyLog);
        _relay = new TcpRelay(_context);
        _connector = new TcpConnector(_context, _relay, RawSocket.LocalEndPoint(listenFd) ?? options.ListenEndPoint, listener.Destinations);
        _header = new TcpHeaderReader(_context, _connector);
        ITcpConnectionStart start = options.Role == ListenerRole.Send ? new TcpHeaderSender(_context, _connector) : _header;
        _acceptor = new TcpAcceptor(_context, loop.Epoll, listenFd, listener.Limits, listener.Subnets, start);
    }

    /// <summary>Completes once the loop no longer touches the listening descriptor (it may then be closed).</summary>
    public Task AcceptStopped => _acceptStopped.Task;

    /// <summary>Completes when the loop thread has ended (its last connection closed after a stop).</summary>
    public Task Exited => _loop.Exited;

    /// <summary>Connections open on this loop.</summary>
    public int Active => _context.Pool.Active;

    /// <summary>Pipes rented by the relay and not yet given back (tests), or 0 without splicing.</summary>
    public int PipesRented => _context.Pool.Pipes?.Rented ?? 0;

    /// <summary>Whether reads that fill the splice threshold are spliced (tests); false when copying only.</summary>
    internal bool Splicing => _context.Pool.Pipes is not null;

    /// <summary>Bytes the loop's thread has allocated, as of its last iteration (tests: nothing per relayed read).</summary>
    internal long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    public long NextDeadline => _relay.HasReadyWork ? _context.Clock.Now : Math.Min(_context.Timeouts.NextDeadline, _acceptor.ResumeAt);

    public bool IsFinished => _acceptor.Closed && _context.Pool.Active == 0;

    /// <summary>
    /// Creates the loop for a listening descriptor (non-blocking, owned by the caller, which closes
    /// it only after <see cref="AcceptStopped"/>), or null with a message.
    /// </summary>
    public static TcpLoop? TryCreate(int listenFd, TcpListenerContext listener, Action<Exception> onFailed, out string? error)
    {
        EventLoop? loop = EventLoop.TryCreate(listener.Time, out Errno errno);
        if (loop is null)
        {
            error = "cannot create the event loop: epoll: " + errno.Describe();
            return null;
        }

        var tcp = new TcpLoop(loop, listenFd, listener, onFailed);
        errno = tcp._acceptor.Register();
        if (errno != Errno.Success)
        {
            tcp.Abandon();
            error = "cannot create the event loop: epoll_ctl(listener): " + errno.Describe();
            return null;
        }

        error = null;
        return tcp;
    }

    public void Start(int index) => _loop.Start(this, "mmproxy-tcp-loop", index);

    /// <summary>Frees a loop that was created but will not be started.</summary>
    public void Abandon()
    {
        OnExit();
        _loop.Dispose();
    }

    /// <summary>Stops accepting (any thread); connections already accepted run to their end.</summary>
    public void RequestStop() => _loop.RequestStop();

    /// <summary>Completes after the loop's next whole iteration (see <see cref="EventLoop.SyncAsync"/>).</summary>
    public Task SyncAsync() => _loop.SyncAsync();

    /// <summary>Runs <paramref name="action"/> on the loop thread (see <see cref="EventLoop.RunOnLoopAsync"/>).</summary>
    public Task RunOnLoopAsync(Action action) => _loop.RunOnLoopAsync(action);

    public void OnEvent(ulong data, uint events)
    {
        if (data == TcpAcceptor.ListenerData)
        {
            _acceptor.OnReadable();
            return;
        }

        if (!_context.Pool.TryResolve(data, out TcpConnection c, out bool upstream))
        {
            return; // closed earlier in this batch (and maybe reused): a stale event
        }

        try
        {
            switch (c.Phase)
            {
                case TcpPhase.Header:
                    _header.OnReadable(c);
                    break;
                case TcpPhase.Connecting when upstream:
                    _connector.OnEvent(c, events);
                    break;
                case TcpPhase.Connecting:
                    _connector.OnClientEvent(c);
                    break;
                default:
                    _relay.OnEvent(c, upstream, events);
                    break;
            }
        }
#pragma warning disable CA1031 // One connection must never take the loop down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Crash(_context, c, ex);
        }
    }

    public void AfterEvents() => _relay.RunReady();

    public void OnTimers(long now)
    {
        while (_context.Timeouts.TryTakeExpired(now, out TcpConnection? c, out TcpTimeoutKind kind))
        {
            try
            {
                switch (kind)
                {
                    case TcpTimeoutKind.Header:
                        _header.TimedOut(c);
                        break;
                    case TcpTimeoutKind.Connect:
                        _connector.TimedOut(c);
                        break;
                    default:
                        _relay.IdleTimedOut(c);
                        break;
                }
            }
#pragma warning disable CA1031 // One connection must never take the loop down.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Crash(_context, c, ex);
            }
        }

        _acceptor.ResumeIfDue(now);
        Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
    }

    public void OnStopRequested()
    {
        _acceptor.Close();
        _acceptStopped.TrySetResult();
    }

    public void OnFailed(Exception exception) => _onFailed(exception);

    public void OnExit()
    {
        _acceptStopped.TrySetResult();
        _context.Pool.Pipes?.Dispose();
    }

    /// <summary>A bug while serving one connection: logged, and that connection reset; the loop goes on.</summary>
    internal static void Crash(TcpLoopContext context, TcpConnection c, Exception ex)
    {
        if (c.Phase == TcpPhase.Free)
        {
            return;
        }

        ProxyLog.ConnectionCrashed(context.ProxyLog, c.Peer, ex);
        context.Pool.Close(c, reset: true);
    }

    /// <summary>Pipes for splicing, or null when --splice-threshold is 0 or pipes cannot be made here.</summary>
    private static PipePool? CreatePipes(ProxyOptions options)
    {
        if (options.SpliceThreshold == 0)
        {
            return null;
        }

        var pipes = new PipePool(MaxIdlePipes, options.PipeSize);
        SplicePipe? probe = pipes.Rent(out _);
        if (probe is null)
        {
            pipes.Dispose();
            return null;
        }

        pipes.Return(probe, empty: true);
        return pipes;
    }
}
