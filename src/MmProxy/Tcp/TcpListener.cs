using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// One TCP listen address: N listening sockets (SO_REUSEPORT when N &gt; 1, so the kernel spreads
/// connections), each served by its own <see cref="TcpLoop"/> thread. Bound first (the kernel
/// queues connections from then on), started once logging is ready. Accept errors from resource
/// exhaustion are logged at most once a second, backed off and survived (<see cref="TcpAcceptLimits"/>);
/// a loop that dies ends <see cref="Completion"/> with the error, which the host turns into a
/// non-zero exit.
/// </summary>
internal sealed class TcpListener : IAsyncDisposable
{
    private readonly int[] _fds;
    private readonly TaskCompletionSource _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ILogger _log = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private TcpLoop[] _loops = [];
    private bool _disposed;

    private TcpListener(int[] fds, IPEndPoint endPoint, int backlog)
    {
        _fds = fds;
        EndPoint = endPoint;
        Backlog = backlog;
    }

    public IPEndPoint EndPoint { get; }

    public int Backlog { get; }

    public int Count => _fds.Length;

    /// <summary>Faults when a loop dies (the proxy must exit non-zero); never completes otherwise.</summary>
    public Task Completion => _fatal.Task;

    /// <summary>The loops, once started (tests: connections open, pipes rented, iteration sync).</summary>
    internal IReadOnlyList<TcpLoop> Loops => _loops;

    /// <summary>Opens, binds and listens on all sockets, or returns an error message with the fix.</summary>
    /// <param name="transparent">--transparent: a TPROXY listener.</param>
    public static TcpListener? Open(IPEndPoint endPoint, int count, int backlog, out string? error, bool transparent = false)
    {
        int[]? fds = ListenSocket.OpenMany(endPoint, SocketType.Stream, count, backlog, out IPEndPoint bound, out SocketSetupResult failure, transparent);
        error = fds is null ? ListenErrorMessages.Describe(endPoint, udp: false, failure) : null;
        if (fds is null)
        {
            return null;
        }

        ListeningEndPoints.Add(bound);
        return new TcpListener(fds, bound, backlog);
    }

    /// <summary>
    /// Starts one loop per socket; every connection goes through <paramref name="subnets"/> and
    /// <paramref name="options"/>. The reason when a loop cannot be created (none runs then), or null.
    /// </summary>
    /// <param name="destinations">--allowed-destinations, swappable by a reload; null without a dynamic destination.</param>
    public string? Start(ProxyOptions options, AllowedSubnetsProvider subnets, ProxyCounters counters, ILoggerFactory loggerFactory, TimeProvider time,
        AllowedDestinationsProvider? destinations = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _log = loggerFactory.CreateLogger(LogCategories.Proxy);
        var context = new TcpListenerContext(options, subnets, counters, loggerFactory.CreateLogger(LogCategories.Connection), _log,
            new TcpAcceptLimits(EndPoint, _log, time), time, destinations);
        var loops = new TcpLoop[_fds.Length];
        for (int i = 0; i < _fds.Length; i++)
        {
            if (TcpLoop.TryCreate(_fds[i], context, OnLoopFailed, out string? error) is not { } loop)
            {
                // EMFILE, say: give back what the loops created so far hold.
                for (int k = 0; k < i; k++)
                {
                    loops[k].Abandon();
                }

                return $"cannot listen on {EndPoint}: {error}";
            }

            loops[i] = loop;
        }

        for (int i = 0; i < loops.Length; i++)
        {
            loops[i].Start(i);
        }

        _loops = loops;
        return null;
    }

    private void OnLoopFailed(Exception exception)
    {
        ProxyLog.ListenerFailed(_log, EndPoint, exception.Message, exception);
        _fatal.TrySetException(exception);
    }

    /// <summary>Stops accepting and closes the listening sockets; connections already accepted run to their end on their loops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (TcpLoop loop in _loops)
        {
            loop.RequestStop();
        }

        // A loop must be done with a listening descriptor before it is closed (the number could be reused).
        foreach (TcpLoop loop in _loops)
        {
            await loop.AcceptStopped.ConfigureAwait(false);
        }

        foreach (int fd in _fds)
        {
            _ = Descriptor.Close(fd);
        }

        ListeningEndPoints.Remove(EndPoint);
    }
}
