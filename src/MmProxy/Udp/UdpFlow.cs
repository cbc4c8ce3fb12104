using System.Net;
using System.Net.Sockets;

namespace MmProxy.Udp;

/// <summary>
/// One (load balancer, client) pair: a connected, non-blocking upstream socket bound to the client's
/// address, a reply loop that sends the upstream's answers back to the load balancer from the
/// listening socket that received the flow, and an exact idle timer (see UdpFlow.Expiry.cs).
/// Activity in either direction keeps it alive.
/// </summary>
internal sealed partial class UdpFlow
{
    private readonly Lock _gate = new();
    private readonly UdpFlowContext _context;
    private readonly UdpFlowTable _owner;
    private readonly Socket _upstream;
    private readonly Socket _listener;
    private readonly SocketAddress _balancer;
    private long _lastActivity;
    private bool _closed;
    private long _toUpstream;
    private long _toClient;

    /// <param name="key">The table key.</param>
    /// <param name="upstream">Connected to <paramref name="target"/>; set non-blocking here.</param>
    /// <param name="listener">The listening socket replies are sent from.</param>
    /// <param name="balancer">The load balancer's address (the flow keeps this instance).</param>
    /// <param name="target">Where the upstream socket is connected (for logs).</param>
    /// <param name="owner">The table that holds the flow; told when it expires.</param>
    /// <param name="context">Shared clock, limits, counters and logs.</param>
    public UdpFlow(UdpFlowKey key, Socket upstream, Socket listener, SocketAddress balancer, IPEndPoint target, UdpFlowTable owner, UdpFlowContext context)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(balancer);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(context);
        Key = key;
        _upstream = upstream;
        _upstream.Blocking = false;
        _listener = listener;
        _balancer = balancer;
        Target = target;
        _owner = owner;
        _context = context;
        _lastActivity = context.Time.GetTimestamp();
    }

    public UdpFlowKey Key { get; }

    public IPEndPoint Target { get; }

    /// <summary>The upstream socket's local endpoint (the client's, or a fallback port); null once closed.</summary>
    public EndPoint? LocalEndPoint
    {
        get
        {
            try
            {
                return _upstream.LocalEndPoint;
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
        }
    }

    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    public long DatagramsToUpstream => Volatile.Read(ref _toUpstream);

    public long DatagramsToClient => Volatile.Read(ref _toClient);

    /// <summary>Starts the idle timer and the reply loop. Call once, after the flow is in the table.</summary>
    public void Start()
    {
        StartTimer();
        _ = RunRepliesAsync();
    }

    /// <summary>Records activity now; false when the flow has already been closed (look it up again).</summary>
    public bool TryTouch()
    {
        long now = _context.Time.GetTimestamp();
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _lastActivity = now;
            return true;
        }
    }

    /// <summary>
    /// Sends one payload upstream without blocking: EAGAIN drops it (the listener never waits for one
    /// flow). A pending ICMP error (ECONNREFUSED, reported once by the kernel instead of sending) is
    /// counted and the send retried once, so a recovered upstream gets the datagram.
    /// </summary>
    public UdpSendStatus Send(ReadOnlySpan<byte> payload, out SocketError error)
    {
        if (!TryTouch())
        {
            error = SocketError.Success;
            return UdpSendStatus.Closed;
        }

        try
        {
            _upstream.Send(payload, SocketFlags.None, out error);
            if (error is SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
            {
                OnUpstreamRefused();
                _upstream.Send(payload, SocketFlags.None, out error);
            }
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.Success;
            return UdpSendStatus.Closed;
        }

        switch (error)
        {
            case SocketError.Success:
                Interlocked.Increment(ref _toUpstream);
                return UdpSendStatus.Sent;
            case SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable:
                return UdpSendStatus.WouldBlock;
            default:
                return UdpSendStatus.Failed;
        }
    }

    /// <summary>Closes without telling the table (the table is closing everything). Idempotent.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
        }

        ReleaseResources();
    }

    private void ReleaseResources()
    {
        _timer?.Dispose();
        _upstream.Dispose();
    }
}
