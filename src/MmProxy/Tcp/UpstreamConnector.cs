using System.Net;
using System.Net.Sockets;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// Opens the upstream connection from the client's address for the socket engine: the socket bound
/// by <see cref="UpstreamBinder"/> (shared with the event loop), then connect under --connect-timeout. If the client's port is in use here (EADDRINUSE on bind, or
/// EADDRINUSE/EADDRNOTAVAIL on connect), retries once from a kernel-chosen port.
/// </summary>
internal sealed class UpstreamConnector
{
    private readonly uint _mark;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public UpstreamConnector(uint mark, TimeSpan connectTimeout, TimeProvider? time = null)
    {
        _mark = mark;
        _timeout = connectTimeout;
        _time = time ?? TimeProvider.System;
    }

    public async ValueTask<UpstreamConnectResult> ConnectAsync(TargetSelection selection)
    {
        IPEndPoint target = selection.Target ?? throw new ArgumentException("no target", nameof(selection));
        IPEndPoint? source = selection.Source;
        bool fallback = false;
        bool plainBind = false;
        while (true)
        {
            UpstreamBindResult setup = UpstreamBinder.OpenSocket(target.AddressFamily, source, _mark, out Socket? opened, plainBind);
            if (!setup.Succeeded)
            {
                if (setup.Error == SocketSetupError.AddressInUse && source is { Port: not 0 })
                {
                    source = new IPEndPoint(source.Address, 0);
                    fallback = true;
                    continue;
                }

                return new UpstreamConnectResult(null, UpstreamConnectError.Setup, setup.Describe(), fallback);
            }

            Socket socket = opened!;
            using var timeout = new CancellationTokenSource(_timeout, _time);
            try
            {
                await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
                if (setup.PortAtConnect && !UpstreamBinder.HasLocalPort(setup.Fd, source!.Port))
                {
                    // The reservation did not hold (the port range changed): bind the port instead.
                    socket.Dispose();
                    plainBind = true;
                    continue;
                }

                return new UpstreamConnectResult(socket, UpstreamConnectError.None, null, fallback);
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                return new UpstreamConnectResult(null, UpstreamConnectError.TimedOut, UpstreamConnectMessages.TimedOut(target, source, _timeout), fallback);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                if (setup.PortAtConnect && ex.SocketErrorCode == SocketError.AddressNotAvailable)
                {
                    // Not free for a connect-time reservation (bound by another socket): try bind().
                    plainBind = true;
                    continue;
                }

                if (ex.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AddressNotAvailable
                    && source is { Port: not 0 })
                {
                    // The 4-tuple is taken (the client port is in use towards this target).
                    source = new IPEndPoint(source.Address, 0);
                    fallback = true;
                    plainBind = false;
                    continue;
                }

                return ex.SocketErrorCode == SocketError.ConnectionRefused
                    ? new UpstreamConnectResult(null, UpstreamConnectError.Refused, UpstreamConnectMessages.Refused(target), fallback)
                    : new UpstreamConnectResult(null, UpstreamConnectError.Other, UpstreamConnectMessages.Failed(ex.SocketErrorCode, target, source), fallback);
            }
        }
    }
}
