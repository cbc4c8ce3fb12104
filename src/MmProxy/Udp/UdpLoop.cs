using System.Net;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.Loop;

namespace MmProxy.Udp;

/// <summary>
/// The UDP engine for one listening socket, on its own <see cref="EventLoop"/>: a single epoll over
/// the listener and all of this loop's flow sockets. Datagrams from the load balancer go through
/// <see cref="UdpReceiver"/> (recvmmsg, classify, per-flow sendmmsg); replies through
/// <see cref="UdpReplies"/> (one sendmmsg on the listener per wake-up); flows live in
/// <see cref="UdpFlows"/> and expire from its deadline list. Nothing is allocated per datagram and
/// nothing needs a lock (the flow bound is shared through Interlocked).
/// </summary>
internal sealed class UdpLoop : ILoopHandler
{
    private const ulong ListenerData = ulong.MaxValue - 1;

    private readonly EventLoop _loop;
    private readonly UdpListenerContext _listener;
    private readonly IPEndPoint _endPoint;
    private readonly UdpFlows _flows;
    private readonly UdpReceiver _receiver;
    private readonly UdpReplies _replies;
    private readonly Action<Exception> _onFailed;
    private bool _listenerReady;
    private bool _stopping;
    private long _allocatedBytes;

    private UdpLoop(EventLoop loop, int listenFd, IPEndPoint endPoint, UdpListenerContext listener, Action<Exception> onFailed)
    {
        _loop = loop;
        _listener = listener;
        _endPoint = endPoint;
        _onFailed = onFailed;
        _flows = new UdpFlows(listener, loop.Epoll, loop.Clock, endPoint);
        _receiver = new UdpReceiver(listener, listenFd, endPoint, _flows);
        _replies = new UdpReplies(listener, listenFd, _flows);
    }

    /// <summary>Completes when the loop's thread has closed its flows and ended.</summary>
    public Task Exited => _loop.Exited;

    /// <summary>Flows open on this loop.</summary>
    public int FlowCount => _flows.Count;

    /// <summary>Bytes the loop's thread has allocated, as of its last iteration (tests: 0 per datagram).</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    public long NextDeadline => _flows.NextExpiry;

    public bool IsFinished => _stopping;

    /// <summary>Creates the loop for <paramref name="listenFd"/> (which it does not own), or null with the error.</summary>
    public static UdpLoop? TryCreate(int listenFd, IPEndPoint endPoint, UdpListenerContext listener, Action<Exception> onFailed, out string? error)
    {
        EventLoop? loop = EventLoop.TryCreate(listener.Time, out Errno errno);
        if (loop is null)
        {
            error = $"cannot create the UDP event loop for {endPoint}: epoll: {errno.Describe()}";
            return null;
        }

        var udp = new UdpLoop(loop, listenFd, endPoint, listener, onFailed);
        errno = loop.Epoll.Add(listenFd, EpollFlags.In, ListenerData);
        if (errno != Errno.Success)
        {
            udp.Abandon();
            error = $"cannot create the UDP event loop for {endPoint}: epoll_ctl: {errno.Describe()}";
            return null;
        }

        error = null;
        return udp;
    }

    public void Start(int index) => _loop.Start(this, "mmproxy-udp", index);

    /// <summary>Frees a loop that was created but will not be started.</summary>
    public void Abandon()
    {
        OnExit();
        _loop.Dispose();
    }

    /// <summary>Asks the loop to close its flows and end; await <see cref="Exited"/>.</summary>
    public void RequestStop() => _loop.RequestStop();

    /// <summary>Runs <paramref name="action"/> on the loop thread (tests: hold the loop while datagrams queue into one batch).</summary>
    public Task RunOnLoopAsync(Action action) => _loop.RunOnLoopAsync(action);

    /// <summary>Completes after the loop's next whole iteration (see <see cref="EventLoop.SyncAsync"/>).</summary>
    public Task SyncAsync() => _loop.SyncAsync();

    public void OnEvent(ulong data, uint events)
    {
        if (data == ListenerData)
        {
            _listenerReady = true;
        }
        else if (_flows.Resolve(data) is { } flow)
        {
            _replies.Receive(flow);
        }
    }

    public void AfterEvents()
    {
        // Replies first: in request/response traffic the next requests wait for them.
        _replies.Flush();
        if (_listenerReady)
        {
            _listenerReady = false;
            _receiver.Receive();
        }
    }

    public void OnTimers(long now)
    {
        _flows.Expire(now);
        Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
    }

    public void OnStopRequested() => _stopping = true;

    public void OnFailed(Exception exception)
    {
        UdpLog.ListenerFailed(_listener.ProxyLog, _endPoint, exception.Message, exception);
        _onFailed(exception);
    }

    public void OnExit()
    {
        _flows.CloseAll();
        _receiver.Dispose();
        _replies.Dispose();
    }
}
