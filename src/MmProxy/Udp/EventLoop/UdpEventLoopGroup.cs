using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;

namespace MmProxy.Udp.EventLoop;

/// <summary>
/// The native engine (default; MMPROXY_ENGINE=sockets selects <see cref="UdpListenerGroup"/>):
/// N listening sockets on one address, each served by its own <see cref="UdpEventLoop"/> thread.
/// With SO_REUSEPORT a load balancer endpoint always lands on the same socket, so each loop owns
/// its flows outright; only the table bound (--max-udp-flows) is shared.
/// </summary>
internal sealed class UdpEventLoopGroup : IUdpListenerGroup
{
    private readonly Socket[] _sockets;
    private readonly ILogger _log;
    private readonly TaskCompletionSource _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private UdpEventLoop[] _loops = [];
    private bool _disposed;

    private UdpEventLoopGroup(Socket[] sockets, ILogger log)
    {
        _sockets = sockets;
        _log = log;
        EndPoint = (IPEndPoint)sockets[0].LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public int Count => _sockets.Length;

    public Task Completion => _fatal.Task;

    public static UdpEventLoopGroup? Open(IPEndPoint endPoint, int count, ILogger log, out string? error)
    {
        ArgumentNullException.ThrowIfNull(log);
        Socket[]? sockets = UdpListenerSockets.Open(endPoint, count, out error);
        return sockets is null ? null : new UdpEventLoopGroup(sockets, log);
    }

    public void Start(UdpDatagramHandler handler, AllowedSubnetsProvider subnets)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(subnets);
        var loops = new List<UdpEventLoop>(_sockets.Length);
        foreach (Socket socket in _sockets)
        {
            UdpEventLoop? loop = UdpEventLoop.Create(socket, handler, new UdpPeerFilter(subnets), _log, OnFatal, out string? error);
            if (loop is null)
            {
                // No loop, no listener: as fatal as a listener dying later.
                var ex = new InvalidOperationException(error);
                Diagnostics.UdpLog.ListenerFailed(_log, EndPoint, error!, null);
                _fatal.TrySetException(ex);
                break;
            }

            loops.Add(loop);
        }

        _loops = [.. loops];
        for (int i = 0; i < _loops.Length; i++)
        {
            _loops[i].Start(i);
        }
    }

    /// <summary>Flows open on all loops.</summary>
    public int FlowCount
    {
        get
        {
            int total = 0;
            foreach (UdpEventLoop loop in _loops)
            {
                total += loop.FlowCount;
            }

            return total;
        }
    }

    /// <summary>Bytes allocated by the loops' threads (diagnostics and the allocation test).</summary>
    public long AllocatedBytes
    {
        get
        {
            long total = 0;
            foreach (UdpEventLoop loop in _loops)
            {
                total += loop.AllocatedBytes;
            }

            return total;
        }
    }

    private void OnFatal(Exception exception) => _fatal.TrySetException(exception);

    /// <summary>Stops the loops (each closes its flows), then closes the listening sockets.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (UdpEventLoop loop in _loops)
        {
            loop.Stop();
        }

        foreach (UdpEventLoop loop in _loops)
        {
            await loop.Exited.ConfigureAwait(false);
            loop.Dispose();
        }

        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }
    }
}
