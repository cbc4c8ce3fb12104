using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Udp;

/// <summary>
/// One UDP listen address: N listening sockets (SO_REUSEPORT when N &gt; 1: the kernel hashes each
/// sender's 4-tuple to one socket, so a load balancer endpoint always lands on the same loop, which
/// owns its flows outright; only the flow bound is shared), each served by its own
/// <see cref="UdpLoop"/> thread. Closing stops the loops (each closes its flows: replies need the
/// listening socket, so flows cannot outlive it), then the sockets.
/// </summary>
internal sealed class UdpListener : IAsyncDisposable
{
    private readonly int[] _fds;
    private readonly TaskCompletionSource _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private UdpLoop[] _loops = [];
    private bool _disposed;

    private UdpListener(int[] fds, IPEndPoint endPoint)
    {
        _fds = fds;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public int Count => _fds.Length;

    /// <summary>Faults when a loop dies (the proxy must exit non-zero); never completes otherwise.</summary>
    public Task Completion => _fatal.Task;

    /// <summary>The loops, once started (tests: flows, allocations, iteration sync).</summary>
    internal IReadOnlyList<UdpLoop> Loops => _loops;

    /// <summary>The flow bound the loops share, once started (tests: reservations held).</summary>
    internal UdpFlowLimit? FlowLimit { get; private set; }

    /// <summary>Flows open on every loop.</summary>
    public int FlowCount
    {
        get
        {
            int total = 0;
            foreach (UdpLoop loop in _loops)
            {
                total += loop.FlowCount;
            }

            return total;
        }
    }

    /// <summary>Opens and binds all sockets, or returns an error message with the fix.</summary>
    public static UdpListener? Open(IPEndPoint endPoint, int count, out string? error)
    {
        int[]? fds = ListenSocket.OpenMany(endPoint, SocketType.Dgram, count, backlog: 0, out IPEndPoint bound, out SocketSetupResult failure);
        error = fds is null ? ListenErrorMessages.Describe(endPoint, udp: true, failure) : null;
        return fds is null ? null : new UdpListener(fds, bound);
    }

    /// <summary>Starts one loop per socket; the reason when a loop cannot be created (none runs then), or null.</summary>
    public string? Start(ProxyOptions options, AllowedSubnetsProvider subnets, UdpCounters counters, ILoggerFactory loggerFactory, TimeProvider time)
    {
        var context = new UdpListenerContext(options, subnets, counters, loggerFactory, time);
        FlowLimit = context.Limit;
        var loops = new List<UdpLoop>(_fds.Length);
        foreach (int fd in _fds)
        {
            UdpLoop? loop = UdpLoop.TryCreate(fd, EndPoint, context, OnLoopFailed, out string? error);
            if (loop is null)
            {
                // EMFILE, say: give back what the loops created so far hold.
                foreach (UdpLoop created in loops)
                {
                    created.Abandon();
                }

                return $"cannot listen on {EndPoint}/udp: {error}";
            }

            loops.Add(loop);
        }

        _loops = [.. loops];
        for (int i = 0; i < _loops.Length; i++)
        {
            _loops[i].Start(i);
        }

        return null;
    }

    private void OnLoopFailed(Exception exception) => _fatal.TrySetException(exception);

    /// <summary>Stops the loops (each closes its flows), then closes the listening sockets.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (UdpLoop loop in _loops)
        {
            loop.RequestStop();
        }

        foreach (UdpLoop loop in _loops)
        {
            await loop.Exited.ConfigureAwait(false);
        }

        foreach (int fd in _fds)
        {
            _ = Descriptor.Close(fd);
        }
    }
}
