using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// The upstream connection: target by family (<see cref="TargetSelector"/>), a non-blocking
/// socket bound to the client's address (<see cref="UpstreamBinder"/>), connect, completion on
/// EPOLLOUT (SO_ERROR) under --connect-timeout. The client's port is first reserved at connect
/// (see <see cref="UpstreamBinder"/>), then bound with bind() if that fails; the client's port in
/// use here (EADDRINUSE on bind, EADDRINUSE/EADDRNOTAVAIL on connect) retries once from a
/// kernel-chosen port, logged like the socket engine.
/// </summary>
internal sealed unsafe partial class TcpEventLoop
{
    private TargetSelector _selector = null!;
    private IPEndPoint _targetV4 = null!;
    private IPEndPoint _targetV6 = null!;
    private NativeSocketAddress _targetV4Address;
    private NativeSocketAddress _targetV6Address;
    private uint _mark;
    private TimeSpan _connectTimeout;

    private void InitializeConnect(ProxyOptions options)
    {
        _targetV4 = options.TargetV4;
        _targetV6 = options.TargetV6;
        _selector = new TargetSelector(options.TargetV4, options.TargetV6);
        _targetV4Address = NativeSocketAddress.FromIPEndPoint(options.TargetV4);
        _targetV6Address = NativeSocketAddress.FromIPEndPoint(options.TargetV6);
        _mark = options.Mark;
        _connectTimeout = options.ConnectTimeout;
    }

    private void StartConnect(TcpLoopConnection c)
    {
        TargetSelection selection = _selector.Select(c.ClientEndPoint, c.Peer);
        if (!selection.Succeeded)
        {
            _counters.OnUpstreamFailed();
            ConnectionLog.Unroutable(_log, c.Peer, selection.Error!);
            Recycle(c, reset: true);
            return;
        }

        c.Phase = TcpLoopPhase.Connecting;
        c.Target = selection.Target!;
        c.BindSource = selection.Source;
        c.ConnectStarted = Stopwatch.GetTimestamp();
        Connect(c);
    }

    private void Connect(TcpLoopConnection c)
    {
        bool plainBind = false;
        while (true)
        {
            UpstreamBindResult bound = UpstreamBinder.Open(c.Target.AddressFamily, c.BindSource, _mark, nonBlocking: true, plainBind);
            if (!bound.Succeeded)
            {
                if (bound.Error == SocketSetupError.AddressInUse && c.BindSource is { Port: not 0 })
                {
                    FallBackToKernelPort(c);
                    continue;
                }

                UpstreamFailed(c, UpstreamConnectError.Setup, bound.Describe());
                return;
            }

            NativeSocketAddress target = ReferenceEquals(c.Target, _targetV4) ? _targetV4Address
                : ReferenceEquals(c.Target, _targetV6) ? _targetV6Address
                : NativeSocketAddress.FromIPEndPoint(c.Target);
            int errno = SocketNativeMethods.Connect(bound.Fd, (byte*)&target, (uint)target.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
            if (bound.PortAtConnect
                && (errno == Errno.EADDRNOTAVAIL
                    || ((errno is 0 or Errno.EINPROGRESS) && !UpstreamBinder.HasLocalPort(bound.Fd, c.BindSource!.Port))))
            {
                // The port could not be reserved at connect (another socket bound it, or the port
                // range changed): bind() it instead; connect picks the port synchronously.
                _ = DescriptorNativeMethods.Close(bound.Fd);
                plainBind = true;
                continue;
            }

            if (errno is 0 or Errno.EINPROGRESS)
            {
                c.UpstreamFd = bound.Fd;
                if (errno == 0)
                {
                    OnConnected(c);
                    return;
                }

                SetInterest(c, upstream: true, EpollFlags.Out);
                _connectQueue.Enqueue(c.PhaseDeadline, _now + (long)_connectTimeout.TotalMilliseconds);
                return;
            }

            _ = DescriptorNativeMethods.Close(bound.Fd);
            if (ShouldFallBack(c, errno))
            {
                FallBackToKernelPort(c);
                plainBind = false;
                continue;
            }

            ConnectFailed(c, errno);
            return;
        }
    }

    private void OnConnectEvent(TcpLoopConnection c, uint events)
    {
        if ((events & (EpollFlags.Out | EpollFlags.Err | EpollFlags.Hup)) == 0)
        {
            return;
        }

        // Writable without an error condition: connected (a failed connect also reports ERR), so
        // SO_ERROR is read only when something went wrong.
        int errno = 0;
        int error = 0;
        if ((events & (EpollFlags.Err | EpollFlags.Hup)) != 0)
        {
            errno = SocketNativeMethods.GetInt(c.UpstreamFd, LinuxSocketOptions.SolSocket, SocketNativeMethods.SoError, out error);
            error = errno == 0 && error == 0 ? Errno.ECONNRESET : error;
        }

        if (errno == 0 && error == 0)
        {
            _connectQueue.Remove(c.PhaseDeadline);
            OnConnected(c);
            return;
        }

        _connectQueue.Remove(c.PhaseDeadline);
        _ = DescriptorNativeMethods.Close(c.UpstreamFd);
        c.UpstreamFd = -1;
        c.UpstreamEvents = TcpLoopConnection.NotRegistered;
        error = errno != 0 ? errno : error;
        if (ShouldFallBack(c, error))
        {
            FallBackToKernelPort(c);
            Connect(c);
            return;
        }

        ConnectFailed(c, error);
    }

    /// <summary>The 4-tuple is taken (the client port is in use towards this target).</summary>
    private static bool ShouldFallBack(TcpLoopConnection c, int errno) =>
        errno is Errno.EADDRINUSE or Errno.EADDRNOTAVAIL && c.BindSource is { Port: not 0 };

    private void FallBackToKernelPort(TcpLoopConnection c)
    {
        if (c.ClientEndPoint is { } client)
        {
            ConnectionLog.SourcePortInUse(_log, client, c.Target);
        }

        c.BindSource = new IPEndPoint(c.BindSource!.Address, 0);
    }

    private void ConnectFailed(TcpLoopConnection c, int errno)
    {
        if (errno == Errno.ECONNREFUSED)
        {
            UpstreamFailed(c, UpstreamConnectError.Refused, UpstreamConnectMessages.Refused(c.Target));
        }
        else
        {
            UpstreamFailed(c, UpstreamConnectError.Other, UpstreamConnectMessages.Failed(errno, c.Target, c.BindSource));
        }
    }

    private void ConnectTimedOut(TcpLoopConnection c) =>
        UpstreamFailed(c, UpstreamConnectError.TimedOut, UpstreamConnectMessages.TimedOut(c.Target, c.BindSource, _connectTimeout));

    private void UpstreamFailed(TcpLoopConnection c, UpstreamConnectError error, string message)
    {
        TcpConnectionHandler.ReportUpstreamFailure(_counters, _log, c.Peer, c.Source, c.Target, error, message);
        Recycle(c, reset: true);
    }

    /// <summary>
    /// The client sent more while the upstream connects (or failed): stop watching it until the
    /// relay starts (level-triggered epoll would report it again and again).
    /// </summary>
    private void PauseClientWhileConnecting(TcpLoopConnection c)
    {
        if (c.ClientEvents != TcpLoopConnection.NotRegistered)
        {
            _ = _epoll.Delete(c.ClientFd);
            c.ClientEvents = TcpLoopConnection.NotRegistered;
        }
    }

    private void OnConnected(TcpLoopConnection c)
    {
        _counters.OnUpstreamConnected(Stopwatch.GetElapsedTime(c.ConnectStarted));
        if (_log.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.UpstreamConnected(_log, c.Peer, c.Target, LocalEndPoint(c.UpstreamFd) ?? c.Target);
        }

        StartRelay(c);
    }
}
