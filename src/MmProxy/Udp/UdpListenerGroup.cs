using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;

namespace MmProxy.Udp;

/// <summary>
/// The runtime-socket engine (MMPROXY_ENGINE=sockets): N UDP sockets on one address
/// (<see cref="UdpListenerSockets"/>), each with an async receive loop. The loop owns one 64 KiB buffer and one <see cref="SocketAddress"/> and
/// hands each datagram to <see cref="UdpDatagramHandler.Handle"/> synchronously: nothing is
/// allocated per datagram, and nothing in the loop waits on an upstream.
/// </summary>
internal sealed class UdpListenerGroup : IUdpListenerGroup
{
    private readonly Socket[] _sockets;
    private readonly ILogger _log;
    private readonly TaskCompletionSource _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private LogRateLimiter? _receiveErrorLog;
    private Task[] _loops = [];
    private volatile bool _stopping;

    private UdpListenerGroup(Socket[] sockets, ILogger log, TimeProvider time)
    {
        _sockets = sockets;
        _log = log;
        _time = time;
        EndPoint = (IPEndPoint)sockets[0].LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public int Count => _sockets.Length;

    /// <summary>Faults when a listener dies (the proxy must exit non-zero); never completes otherwise.</summary>
    public Task Completion => _fatal.Task;

    public static UdpListenerGroup? Open(IPEndPoint endPoint, int count, ILogger log, TimeProvider time, out string? error)
    {
        Socket[]? sockets = UdpListenerSockets.Open(endPoint, count, out error);
        return sockets is null ? null : new UdpListenerGroup(sockets, log, time);
    }

    public void Start(UdpDatagramHandler handler, AllowedSubnetsProvider subnets)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(subnets);
        _receiveErrorLog = new LogRateLimiter(_time, TimeSpan.FromSeconds(1));
        var loops = new Task[_sockets.Length];
        for (int i = 0; i < _sockets.Length; i++)
        {
            loops[i] = ReceiveLoopAsync(_sockets[i], handler, new UdpPeerFilter(subnets));
        }

        _loops = loops;
    }

    private async Task ReceiveLoopAsync(Socket socket, UdpDatagramHandler handler, UdpPeerFilter peerFilter)
    {
        // Leave the caller's (startup) thread at once.
        await Task.Yield();
        byte[] buffer = GC.AllocateUninitializedArray<byte>(UdpFlow.MaxDatagramSize, pinned: true);
        var from = new SocketAddress(socket.AddressFamily);
        while (!_stopping)
        {
            int received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, from).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (_stopping)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode != SocketError.OperationAborted)
            {
                // Unconnected UDP sockets report few errors (ENOBUFS, ENOMEM, a stray ICMP error): survive them.
                handler.Counters.OnReceiveError();
                if (_receiveErrorLog!.TryEnter(out long suppressed))
                {
                    UdpLog.ReceiveFailed(_log, EndPoint, UdpFlow.DescribeError(ex.SocketErrorCode), suppressed);
                }

                continue;
            }
#pragma warning disable CA1031 // Reported through Completion: the host exits non-zero.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                UdpLog.ListenerFailed(_log, EndPoint, ex.Message, ex);
                _fatal.TrySetException(ex);
                return;
            }

            handler.Handle(socket, buffer.AsSpan(0, received), from, peerFilter);
        }
    }

    /// <summary>Stops receiving and closes the listening sockets.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
    }
}
