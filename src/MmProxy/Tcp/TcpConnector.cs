using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// The third phase, the upstream connection: target by family or the header (<see cref="TcpDestination"/>), a
/// non-blocking socket bound to the client's address (<see cref="TransparentSocket"/>), connect, and
/// completion on EPOLLOUT under --connect-timeout. The client's port is first reserved at connect,
/// then bound with bind() if that fails; the client's port in use here (EADDRINUSE on bind,
/// EADDRINUSE/EADDRNOTAVAIL on connect) retries once from a kernel-chosen port, and says so.
/// </summary>
internal sealed class TcpConnector
{
    private readonly TcpLoopContext _context;
    private readonly TcpRelay _relay;
    private readonly TcpDestination _destination;
    private readonly IPEndPoint _targetV4;
    private readonly IPEndPoint _targetV6;
    private readonly NativeSocketAddress _targetV4Address;
    private readonly NativeSocketAddress _targetV6Address;

    /// <param name="listen">The listening socket's address (a dynamic destination may never be it).</param>
    /// <param name="destinations">--allowed-destinations as it is now (a reload swaps it).</param>
    public TcpConnector(TcpLoopContext context, TcpRelay relay, IPEndPoint listen, Configuration.AllowedDestinationsProvider? destinations = null)
    {
        _context = context;
        _relay = relay;
        _targetV4 = context.Options.TargetV4;
        _targetV6 = context.Options.TargetV6;
        _destination = new TcpDestination(context.Options, new TargetSelector(_targetV4, _targetV6), listen, destinations);
        _targetV4Address = NativeSocketAddress.FromIPEndPoint(_targetV4);
        _targetV6Address = NativeSocketAddress.FromIPEndPoint(_targetV6);
    }

    public void Start(TcpConnection c)
    {
        TargetSelection selection = _destination.Resolve(c, out string? refused);
        if (refused is not null)
        {
            TcpOutcomes.DestinationRefused(_context, c, refused);
            _context.Pool.Close(c, reset: true);
            return;
        }

        if (!selection.Succeeded)
        {
            TcpOutcomes.Unroutable(_context, c.Peer, selection.Error!);
            _context.Pool.Close(c, reset: true);
            return;
        }

        c.Phase = TcpPhase.Connecting;
        c.Target = selection.Target!;
        c.BindSource = selection.Source;
        c.ConnectStarted = Stopwatch.GetTimestamp();
        Connect(c);
    }

    private void Connect(TcpConnection c)
    {
        bool plainBind = false;
        while (true)
        {
            SocketSetupResult bound = TransparentSocket.Open(c.Target.AddressFamily, SocketType.Stream, c.BindSource, _context.Options.Mark, plainBind);
            if (!bound.Succeeded)
            {
                if (bound.Error == SocketSetupError.AddressInUse && c.BindSource is { Port: not 0 })
                {
                    FallBackToKernelPort(c);
                    continue;
                }

                Fail(c, UpstreamConnectError.Setup, bound.Describe());
                return;
            }

            NativeSocketAddress target = ReferenceEquals(c.Target, _targetV4) ? _targetV4Address
                : ReferenceEquals(c.Target, _targetV6) ? _targetV6Address
                : NativeSocketAddress.FromIPEndPoint(c.Target);
            Errno errno = RawSocket.Connect(bound.Fd, target);
            if (bound.PortAtConnect
                && (errno == Errno.EADDRNOTAVAIL
                    || (errno is Errno.Success or Errno.EINPROGRESS && !TransparentSocket.HasLocalPort(bound.Fd, c.BindSource!.Port))))
            {
                // The port could not be reserved at connect (another socket bound it, or the port
                // range changed): bind() it instead; connect picks the port synchronously.
                _ = Descriptor.Close(bound.Fd);
                plainBind = true;
                continue;
            }

            if (errno is Errno.Success or Errno.EINPROGRESS)
            {
                c.UpstreamFd = bound.Fd;
                if (errno == Errno.Success)
                {
                    Connected(c);
                    return;
                }

                _context.Pool.SetInterest(c, upstream: true, EpollFlags.Out);
                _context.Timeouts.StartConnect(c);
                return;
            }

            _ = Descriptor.Close(bound.Fd);
            if (ShouldFallBack(c, errno))
            {
                FallBackToKernelPort(c);
                plainBind = false;
                continue;
            }

            Failed(c, errno);
            return;
        }
    }

    /// <summary>An event on the upstream descriptor while connecting.</summary>
    public void OnEvent(TcpConnection c, uint events)
    {
        if ((events & (EpollFlags.Out | EpollFlags.Err | EpollFlags.Hup)) == 0)
        {
            return;
        }

        // Writable without an error condition: connected (a failed connect also reports ERR), so
        // SO_ERROR is read only when something went wrong.
        Errno error = Errno.Success;
        if ((events & (EpollFlags.Err | EpollFlags.Hup)) != 0)
        {
            error = RawSocket.PendingError(c.UpstreamFd);
            error = error == Errno.Success ? Errno.ECONNRESET : error;
        }

        c.PhaseDeadline.Cancel();
        if (error == Errno.Success)
        {
            Connected(c);
            return;
        }

        TcpConnectionPool.DropUpstream(c);
        if (ShouldFallBack(c, error))
        {
            FallBackToKernelPort(c);
            Connect(c);
            return;
        }

        Failed(c, error);
    }

    /// <summary>The client sent more while the upstream connects: stop watching it until the relay starts.</summary>
    public void OnClientEvent(TcpConnection c) => _context.Pool.StopWatchingClient(c);

    /// <summary>--connect-timeout came due.</summary>
    public void TimedOut(TcpConnection c) =>
        Fail(c, UpstreamConnectError.TimedOut, UpstreamConnectMessages.TimedOut(c.Target, c.BindSource, _context.Options.ConnectTimeout));

    /// <summary>The 4-tuple is taken (the client port is in use towards this target).</summary>
    private static bool ShouldFallBack(TcpConnection c, Errno errno) =>
        errno is Errno.EADDRINUSE or Errno.EADDRNOTAVAIL && c.BindSource is { Port: not 0 };

    private void FallBackToKernelPort(TcpConnection c)
    {
        if (c.ClientEndPoint is { } client)
        {
            ConnectionLog.SourcePortInUse(_context.Log, client, c.Target);
        }

        c.BindSource = new IPEndPoint(c.BindSource!.Address, 0);
    }

    private void Failed(TcpConnection c, Errno errno)
    {
        if (errno == Errno.ECONNREFUSED)
        {
            Fail(c, UpstreamConnectError.Refused, UpstreamConnectMessages.Refused(c.Target));
        }
        else
        {
            Fail(c, UpstreamConnectError.Other, UpstreamConnectMessages.Failed(errno, c.Target, c.BindSource));
        }
    }

    private void Fail(TcpConnection c, UpstreamConnectError error, string message)
    {
        TcpOutcomes.UpstreamFailed(_context, c, error, message);
        _context.Pool.Close(c, reset: true);
    }

    private void Connected(TcpConnection c)
    {
        _context.Counters.OnUpstreamConnected(Stopwatch.GetElapsedTime(c.ConnectStarted));
        if (_context.Log.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.UpstreamConnected(_context.Log, c.Peer, c.Target, RawSocket.LocalEndPoint(c.UpstreamFd) ?? c.Target);
        }

        _relay.Start(c);
    }
}
