using System.Net;
using System.Net.Sockets;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// Opens the upstream connection from the client's address: IP_TRANSPARENT/IPV6_TRANSPARENT,
/// SO_MARK, bind to the client's IP and port (port 0: IP_BIND_ADDRESS_NO_PORT), TCP_NODELAY, connect
/// under --connect-timeout. If the client's port is in use here (EADDRINUSE on bind, or
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
        while (true)
        {
            SocketSetupResult setup = TransparentSocket.Create(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp, source, _mark);
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

            Socket socket = setup.Socket!;
            socket.NoDelay = true;
            using var timeout = new CancellationTokenSource(_timeout, _time);
            try
            {
                await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
                return new UpstreamConnectResult(socket, UpstreamConnectError.None, null, fallback);
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                return new UpstreamConnectResult(null, UpstreamConnectError.TimedOut, DescribeTimeout(target, source), fallback);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                if (ex.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AddressNotAvailable
                    && source is { Port: not 0 })
                {
                    // The 4-tuple is taken (the client port is in use towards this target).
                    source = new IPEndPoint(source.Address, 0);
                    fallback = true;
                    continue;
                }

                return ex.SocketErrorCode == SocketError.ConnectionRefused
                    ? new UpstreamConnectResult(null, UpstreamConnectError.Refused, $"connection refused: nothing listens on {target}", fallback)
                    : new UpstreamConnectResult(null, UpstreamConnectError.Other, DescribeError(ex.SocketErrorCode, target, source), fallback);
            }
        }
    }

    private string DescribeTimeout(IPEndPoint target, IPEndPoint? source)
    {
        string waited = $"no answer from {target} within {(long)_timeout.TotalMilliseconds} ms";
        if (source is null || IPAddress.IsLoopback(source.Address))
        {
            return waited + ": is the service up and reachable?";
        }

        return IsIPv4(source.Address)
            ? waited + ": replies are not routed back to loopback: add `ip rule add from 127.0.0.1/8 iif lo table 123` and `ip route add local 0.0.0.0/0 dev lo table 123`"
            : waited + ": replies are not routed back to loopback: add `ip -6 rule add from ::1/128 iif lo table 123` and `ip -6 route add local ::/0 dev lo table 123`";
    }

    private static string DescribeError(SocketError error, IPEndPoint target, IPEndPoint? source)
    {
        int errno = Errno.FromSocketError(error);
        string what = errno != 0 ? Errno.Describe(errno) : error.ToString();
        return source is null ? $"connect to {target} failed: {what}" : $"connect from {source} to {target} failed: {what}";
    }

    private static bool IsIPv4(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6;
}
