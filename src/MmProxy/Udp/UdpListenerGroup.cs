using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Udp;

/// <summary>
/// N UDP sockets on one address (SO_REUSEPORT when N &gt; 1: the kernel hashes each sender's
/// 4-tuple to one socket, so a load balancer endpoint always lands on the same listener), each
/// with a receive loop. The loop owns one 64 KiB buffer and one <see cref="SocketAddress"/> and
/// hands each datagram to <see cref="UdpDatagramHandler.Handle"/> synchronously: nothing is
/// allocated per datagram, and nothing in the loop waits on an upstream.
/// </summary>
internal sealed class UdpListenerGroup : IAsyncDisposable
{
    // Bursts from the load balancer queue here rather than being dropped by the kernel.
    private const int ReceiveBufferBytes = 4 * 1024 * 1024;
    private const int SoRcvBufForce = 33;

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
        ArgumentNullException.ThrowIfNull(endPoint);
        var sockets = new List<Socket>(count);
        error = null;
        try
        {
            for (int i = 0; i < count; i++)
            {
                Socket? socket = OpenOne(endPoint, count > 1, out error);
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

            var group = new UdpListenerGroup([.. sockets], log, time);
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

    private static Socket? OpenOne(IPEndPoint endPoint, bool reusePort, out string? error)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // [::] takes IPv4 too, as Go does; a specific IPv6 address is unaffected.
                socket.DualMode = endPoint.Address.Equals(IPAddress.IPv6Any);
            }

            // Never SO_REUSEADDR on UDP: on Linux it would let another process share the port.
            int errno = reusePort ? LinuxSocketOptions.SetReusePort(socket) : 0;
            if (errno != 0)
            {
                error = $"cannot prepare the UDP socket for {endPoint}: {Errno.Describe(errno)}";
                socket.Dispose();
                return null;
            }

            // Root (CAP_NET_ADMIN) may exceed net.core.rmem_max; otherwise take what the kernel allows.
            if (LinuxSocketOptions.SetInt(socket, LinuxSocketOptions.SolSocket, SoRcvBufForce, ReceiveBufferBytes) != 0)
            {
                socket.ReceiveBufferSize = ReceiveBufferBytes;
            }

            socket.Bind(endPoint);
            error = null;
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            error = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse =>
                    $"cannot listen on {endPoint}/udp: the address is already in use: another process holds it (see `ss -lunp 'sport = :{endPoint.Port}'`)",
                SocketError.AddressNotAvailable =>
                    $"cannot listen on {endPoint}/udp: the address is not assigned to any interface of this host",
                SocketError.AccessDenied =>
                    $"cannot listen on {endPoint}/udp: permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE",
                _ => $"cannot listen on {endPoint}/udp: {UdpFlow.DescribeError(ex.SocketErrorCode)}",
            };
            return null;
        }
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
