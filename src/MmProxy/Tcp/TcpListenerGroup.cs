using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.Tcp.EventLoop;

namespace MmProxy.Tcp;

/// <summary>
/// N listening sockets on one address (SO_REUSEPORT when N &gt; 1, so the kernel spreads
/// connections), each served by its own native event loop (<see cref="TcpEventLoop"/>, the
/// default) or by its own accept loop on the socket engine (MMPROXY_ENGINE=sockets). Accept errors from resource exhaustion (EMFILE,
/// ENFILE, ENOBUFS, ENOMEM) are logged at most once a second, backed off and survived; anything
/// else ends <see cref="Completion"/> with the error, which the host turns into a non-zero exit.
/// Accepting also pauses while the open connections use up the open file limit (see
/// <see cref="DescriptorReserve"/>): the runtime cannot start a thread without free descriptors and
/// aborts the process ("Out of memory.") when a timer or pool thread fails to start.
/// </summary>
internal sealed class TcpListenerGroup : IAsyncDisposable
{
    private const int MinBackoffMs = 10;
    private const int MaxBackoffMs = 1000;

    // Descriptors kept free for the runtime (threads, assemblies, logging) beyond those open at start.
    private const int DescriptorReserve = 64;
    private const int BudgetPollMs = 10;

    private readonly Socket[] _sockets;
    private readonly ILogger _log;
    private readonly ProxyCounters _counters;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task[] _loops = [];
    private TcpEventLoop[] _eventLoops = [];
    // Half of MinValue: "now - last" must not overflow on the first error.
    private long _lastAcceptErrorLog = long.MinValue / 2;
    private long _suppressedAcceptErrors;
    private long _lastBudgetLog = long.MinValue / 2;
    private long _descriptorLimit;
    private long _maxActive = long.MaxValue;

    private TcpListenerGroup(Socket[] sockets, IPEndPoint endPoint, int backlog, ILogger log, ProxyCounters counters)
    {
        _sockets = sockets;
        EndPoint = endPoint;
        Backlog = backlog;
        _log = log;
        _counters = counters;
    }

    public IPEndPoint EndPoint { get; }

    public int Backlog { get; }

    public int Count => _sockets.Length;

    /// <summary>Faults when a listener dies (the proxy must exit non-zero); never completes otherwise.</summary>
    public Task Completion => _fatal.Task;

    /// <summary>Opens and binds all sockets, or returns an error message with the fix.</summary>
    public static TcpListenerGroup? Open(IPEndPoint endPoint, int count, int backlog, ILogger log, ProxyCounters counters, out string? error)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var sockets = new List<Socket>(count);
        error = null;
        try
        {
            for (int i = 0; i < count; i++)
            {
                Socket? socket = OpenOne(endPoint, count > 1, backlog, out error);
                if (socket is null)
                {
                    return null;
                }

                sockets.Add(socket);
                if (endPoint.Port == 0 && i == 0 && count > 1)
                {
                    // Port 0: the others must share the port the kernel picked for the first.
                    endPoint = (IPEndPoint)socket.LocalEndPoint!;
                }
            }

            var group = new TcpListenerGroup([.. sockets], (IPEndPoint)sockets[0].LocalEndPoint!, backlog, log, counters);
            sockets.Clear();
            return group;
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static Socket? OpenOne(IPEndPoint endPoint, bool reusePort, int backlog, out string? error)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // [::] takes IPv4 too, as Go does; a specific IPv6 address is unaffected.
                socket.DualMode = endPoint.Address.Equals(IPAddress.IPv6Any);
            }

            int errno = LinuxSocketOptions.SetReuseAddress(socket);
            if (errno == 0 && reusePort)
            {
                errno = LinuxSocketOptions.SetReusePort(socket);
            }

            if (errno != 0)
            {
                error = $"cannot prepare the listening socket for {endPoint}: {Errno.Describe(errno)}";
                socket.Dispose();
                return null;
            }

            socket.Bind(endPoint);
            socket.Listen(backlog);
            error = null;
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            error = ListenErrorMessages.Describe(endPoint, udp: false, ex.SocketErrorCode, DescribeSocketError(ex.SocketErrorCode));
            return null;
        }
    }

    /// <summary>Starts serving with the engine MMPROXY_ENGINE selects (<see cref="TcpEngineSelection"/>).</summary>
    public void Start(TcpConnectionHandler handler) => Start(handler, TcpEngineSelection.Current);

    /// <summary>
    /// Starts serving: the socket engine's accept loops (each accepted socket goes to
    /// <paramref name="handler"/>), or one native event loop per listening socket.
    /// </summary>
    public void Start(TcpConnectionHandler handler, TcpEngine engine)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (Hosting.KernelLimits.FreeDescriptors(DescriptorReserve) is { } free)
        {
            // Two descriptors per connection (client, upstream), after what is open now and the reserve.
            _descriptorLimit = Hosting.KernelLimits.MaxOpenFiles() ?? 0;
            _maxActive = Math.Max(1, free / 2);
        }

        if (engine == TcpEngine.Loop)
        {
            StartEventLoops(handler);
            return;
        }

        var loops = new Task[_sockets.Length];
        for (int i = 0; i < _sockets.Length; i++)
        {
            loops[i] = AcceptLoopAsync(_sockets[i], handler);
        }

        _loops = loops;
    }

    private void StartEventLoops(TcpConnectionHandler handler)
    {
        var loops = new TcpEventLoop[_sockets.Length];
        for (int i = 0; i < _sockets.Length; i++)
        {
            // The loop owns the descriptor from here on: non-blocking, never used by the socket
            // engine. Accepted sockets inherit TCP_NODELAY from the listener (one syscall saved per connection).
            _sockets[i].Blocking = false;
            int fd = (int)_sockets[i].Handle;
            _ = SocketNativeMethods.SetInt(fd, LinuxSocketOptions.SolTcp, LinuxSocketOptions.TcpNoDelay, 1);
            loops[i] = TcpEventLoop.TryCreate(this, handler, fd, i, out string? error)
                ?? throw new InvalidOperationException(error);
        }

        foreach (TcpEventLoop loop in loops)
        {
            loop.Start();
        }

        _eventLoops = loops;
    }

    /// <summary>The most connections open at once before accepting pauses (descriptor budget).</summary>
    internal long MaxActive => _maxActive;

    /// <summary>An event loop died: the listener is dead, the proxy must exit non-zero.</summary>
    internal void OnLoopFailed(Exception exception)
    {
        ProxyLog.ListenerFailed(_log, EndPoint, exception.Message, exception);
        _fatal.TrySetException(exception);
    }

    private async Task AcceptLoopAsync(Socket listener, TcpConnectionHandler handler)
    {
        // Leave the caller's (startup) thread at once.
        await Task.Yield();
        int backoffMs = 0;
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            if (_counters.Active >= _maxActive)
            {
                // Leave further connections in the kernel's backlog until some close.
                LogBudgetReached();
                try
                {
                    await Task.Delay(BudgetPollMs, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Socket accepted;
            try
            {
                accepted = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (stopping.IsCancellationRequested || ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return;
            }
            catch (SocketException ex) when (IsTransient(ex.SocketErrorCode))
            {
                _counters.OnAcceptError();
                backoffMs = backoffMs == 0 ? MinBackoffMs : Math.Min(backoffMs * 2, MaxBackoffMs);
                LogAcceptError(ex.SocketErrorCode, backoffMs);
                try
                {
                    await Task.Delay(backoffMs, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client gave up while queued: nothing to do.
                continue;
            }
            catch (Exception ex)
            {
                ProxyLog.ListenerFailed(_log, EndPoint, ex.Message, ex);
                _fatal.TrySetException(ex);
                return;
            }

            backoffMs = 0;
            handler.OnAccepted(accepted);
        }
    }

    private static bool IsTransient(SocketError error) =>
        error is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable or SocketError.SystemNotReady
            or SocketError.ProcessLimit or SocketError.TryAgain or SocketError.Interrupted or SocketError.NetworkDown
            or SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.HostDown;

    private void LogAcceptError(SocketError error, int backoffMs)
    {
        int errno = Errno.FromSocketError(error);
        LogAcceptError(errno, DescribeSocketError(error), backoffMs);
    }

    /// <summary>Logs an accept error at most once a second (the suppressed ones are counted in the next line).</summary>
    internal void LogAcceptError(int errno, int backoffMs) => LogAcceptError(errno, Errno.Describe(errno), backoffMs);

    private void LogAcceptError(int errno, string described, int backoffMs)
    {
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _lastAcceptErrorLog);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastAcceptErrorLog, now, last) != last)
        {
            Interlocked.Increment(ref _suppressedAcceptErrors);
            return;
        }

        long suppressed = Interlocked.Exchange(ref _suppressedAcceptErrors, 0);
        string what = errno is Errno.EMFILE or Errno.ENFILE
            ? described + ": raise the open file limit (LimitNOFILE= in the systemd unit, or ulimit -n)"
            : described;
        ProxyLog.AcceptFailed(_log, EndPoint, what, backoffMs, suppressed);
    }

    internal void LogBudgetReached()
    {
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _lastBudgetLog);
        // Polled every few milliseconds while at the budget: one line a second at most.
        if (now - last >= 1000 && Interlocked.CompareExchange(ref _lastBudgetLog, now, last) == last)
        {
            ProxyLog.DescriptorBudgetReached(_log, _counters.Active, EndPoint, _descriptorLimit, DescriptorReserve);
        }
    }

    private static string DescribeSocketError(SocketError error)
    {
        int errno = Errno.FromSocketError(error);
        return errno != 0 ? Errno.Describe(errno) : error.ToString();
    }

    /// <summary>Stops accepting and closes the listening sockets (connections already accepted go on).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (TcpEventLoop loop in _eventLoops)
        {
            loop.RequestStop();
        }

        // A loop must be done with a listening descriptor before it is closed (the number could be reused).
        foreach (TcpEventLoop loop in _eventLoops)
        {
            await loop.AcceptStopped.ConfigureAwait(false);
        }

        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }

        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        finally
        {
            _stopping.Dispose();
        }
    }
}
