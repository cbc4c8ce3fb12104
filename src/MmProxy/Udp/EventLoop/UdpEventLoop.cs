using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Udp.EventLoop;

/// <summary>
/// One listening socket served by one dedicated thread: a single epoll over the listener and all of
/// this loop's flow sockets (raw descriptors, never touched by the runtime's socket engine).
/// Datagrams from the load balancer arrive by recvmmsg and leave per flow by sendmmsg
/// (UdpEventLoop.Forward.cs); replies of all ready flows are collected by recvmmsg and sent back in
/// one sendmmsg on the listener (UdpEventLoop.Replies.cs); flows are opened inline and expire
/// through an LRU list that sets the epoll timeout (UdpEventLoop.Flows.cs). Nothing is allocated
/// per datagram; nothing here needs a lock (the table bound is shared through Interlocked).
/// </summary>
internal sealed unsafe partial class UdpEventLoop : IDisposable
{
    /// <summary>Datagrams per recvmmsg/sendmmsg.</summary>
    public const int BatchSize = 64;

    private const ulong ListenerData = ulong.MaxValue - 1;
    private const int MaxEvents = 128;
    private const int DontWait = SocketNativeMethods.MsgDontWait;

    private readonly Socket _listener;
    private readonly int _listenerFd;
    private readonly IPEndPoint _endPoint;
    private readonly UdpDatagramHandler _handler;
    private readonly UdpPeerFilter _peerFilter;
    private readonly UdpFlowContext _context;
    private readonly UdpCounters _counters;
    private readonly LogRateLimiter _receiveErrorLog;
    private readonly ILogger _log;
    private readonly Epoll _epoll;
    private readonly UdpMessageBatch _received;
    private readonly UdpMessageBatch _replies;
    private readonly UdpSendList _sends;
    private readonly long _closeAfterTicks;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<Exception> _onFatal;
    private volatile bool _stopping;
    private long _now;
    private long _allocatedBytes;
    private Thread? _thread;

    private UdpEventLoop(Socket listener, IPEndPoint endPoint, Epoll epoll, UdpDatagramHandler handler, UdpPeerFilter peerFilter, ILogger log, Action<Exception> onFatal)
    {
        _listener = listener;
        _listenerFd = (int)listener.Handle;
        _endPoint = endPoint;
        _epoll = epoll;
        _handler = handler;
        _peerFilter = peerFilter;
        _context = handler.Context;
        _counters = handler.Counters;
        _log = log;
        _onFatal = onFatal;
        _receiveErrorLog = new LogRateLimiter(_context.Time, TimeSpan.FromSeconds(1));
        _closeAfterTicks = Math.Max(1, (long)(_context.CloseAfter.TotalSeconds * _context.Time.TimestampFrequency));
        _received = new UdpMessageBatch(BatchSize, UdpFlow.MaxDatagramSize);
        _replies = new UdpMessageBatch(BatchSize, UdpFlow.MaxDatagramSize);
        _sends = new UdpSendList(BatchSize);
        _flows = new Dictionary<UdpFlowKey, UdpLoopFlow>(Math.Min(handler.Table.MaxFlows, 1024));
    }

    /// <summary>Completes when the loop's thread has closed its flows and returned.</summary>
    public Task Exited => _exited.Task;

    /// <summary>Bytes the loop's thread has allocated, as of its last wake-up (tests: 0 per datagram).</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    /// <summary>Flows open on this loop (its thread's view).</summary>
    public int FlowCount => Volatile.Read(ref _flowCount);

    /// <summary>Creates the loop for <paramref name="listener"/> (which it does not own); null with the error.</summary>
    public static UdpEventLoop? Create(Socket listener, UdpDatagramHandler handler, UdpPeerFilter peerFilter, ILogger log, Action<Exception> onFatal, out string? error)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(peerFilter);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(onFatal);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        Epoll? epoll = Epoll.TryCreate(out int errno);
        if (epoll is null)
        {
            error = $"cannot create the UDP event loop for {endPoint}: epoll: {Errno.Describe(errno)}";
            return null;
        }

        var loop = new UdpEventLoop(listener, endPoint, epoll, handler, peerFilter, log, onFatal);
        errno = epoll.Add(loop._listenerFd, EpollFlags.In, ListenerData);
        if (errno != 0)
        {
            loop.Dispose();
            error = $"cannot create the UDP event loop for {endPoint}: epoll_ctl: {Errno.Describe(errno)}";
            return null;
        }

        error = null;
        return loop;
    }

    public void Start(int index)
    {
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = "mmproxy-udp-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        _thread.Start();
    }

    /// <summary>Asks the loop to close its flows and return; await <see cref="Exited"/>.</summary>
    public void Stop()
    {
        _stopping = true;
        _epoll.Wake();
    }

    private void Run()
    {
        try
        {
            EpollEvent* events = stackalloc EpollEvent[MaxEvents];
            var span = new Span<EpollEvent>(events, MaxEvents);
            _now = _context.Time.GetTimestamp();
            while (!_stopping)
            {
                int n = _epoll.Wait(span, TimeoutMs());
                if (n < 0)
                {
                    throw new InvalidOperationException("epoll_wait failed: " + Errno.Describe(-n));
                }

                _now = _context.Time.GetTimestamp();
                bool listenerReady = false;
                for (int i = 0; i < n; i++)
                {
                    ulong data = events[i].Data;
                    if (data == ListenerData)
                    {
                        listenerReady = true;
                    }
                    else if (data != Epoll.WakeData && FlowOf(data) is { } flow)
                    {
                        ReceiveReplies(flow);
                    }
                }

                // Replies first: in request/response traffic the next requests wait for them.
                FlushReplies();
                if (listenerReady)
                {
                    ReceiveFromListener();
                }

                ExpireIdle(_context.Time.GetTimestamp());
                Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
            }
        }
#pragma warning disable CA1031 // Reported through the group's Completion: the host exits non-zero.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            UdpLog.ListenerFailed(_log, _endPoint, ex.Message, ex);
            _onFatal(ex);
        }
        finally
        {
            CloseAllFlows();
            _exited.TrySetResult();
        }
    }

    /// <summary>Receive errors on the listener (ENOBUFS, ENOMEM, a stray ICMP error) are counted and survived.</summary>
    private void OnReceiveError(int errno)
    {
        _counters.OnReceiveError();
        if (_receiveErrorLog.TryEnter(out long suppressed))
        {
            UdpLog.ReceiveFailed(_log, _endPoint, Errno.Describe(errno), suppressed);
        }
    }

    private static bool IsUnreachable(int errno) =>
        errno is Errno.ECONNREFUSED or Errno.EHOSTUNREACH or Errno.ENETUNREACH;

    private static bool IsBufferFull(int errno) =>
        errno is Errno.EAGAIN or Errno.ENOBUFS;

    /// <summary>Frees the native resources; call after <see cref="Exited"/> (or if never started). Does not close the listener.</summary>
    public void Dispose()
    {
        _epoll.Dispose();
        _received.Dispose();
        _replies.Dispose();
        _sends.Dispose();
        _segmented.Dispose();
    }

    private static int LastError() => Marshal.GetLastPInvokeError();
}
