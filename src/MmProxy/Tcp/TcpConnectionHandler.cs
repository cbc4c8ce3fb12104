using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp;

/// <summary>
/// The data path of one connection, top to bottom: allow → header → target → connect → relay.
/// One instance serves all connections; expected failures are logged at -v 1 and counted.
/// </summary>
internal sealed class TcpConnectionHandler
{
    private readonly AllowedSubnetsProvider _subnets;
    private readonly HeaderReader _headerReader;
    private readonly TargetSelector _targetSelector;
    private readonly UpstreamConnector _connector;
    private readonly RelayPump _pump;
    private readonly TimeSpan? _idleTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ILogger _proxyLog;

    public TcpConnectionHandler(
        ProxyOptions options,
        AllowedSubnetsProvider subnets,
        ILoggerFactory loggerFactory,
        ProxyCounters counters,
        TimeProvider? time = null,
        RelayPump? pump = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(subnets);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(counters);
        _time = time ?? TimeProvider.System;
        _subnets = subnets;
        _headerReader = new HeaderReader(options.MaxHeaderSize, options.HeaderTimeout, _time);
        _targetSelector = new TargetSelector(options.TargetV4, options.TargetV6);
        _connector = new UpstreamConnector(options.Mark, options.ConnectTimeout, _time);
        _pump = pump ?? RelayPumpFactory.Default;
        _idleTimeout = options.IdleTimeout;
        _log = loggerFactory.CreateLogger(LogCategories.Connection);
        _proxyLog = loggerFactory.CreateLogger(LogCategories.Proxy);
        Counters = counters;
    }

    public ProxyCounters Counters { get; }

    /// <summary>Called on the accept loop: checks the peer, then hands the connection to the thread pool.</summary>
    public void OnAccepted(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Counters.OnAccepted();
        IPEndPoint? peer;
        try
        {
            peer = socket.RemoteEndPoint as IPEndPoint;
        }
        catch (SocketException)
        {
            peer = null; // Reset between accept and here.
        }

        if (peer is null)
        {
            socket.Dispose();
            Counters.OnClosed();
            return;
        }

        if (!_subnets.Current.Contains(peer.Address))
        {
            // Before a single byte is read: reset, so the peer learns at once.
            Counters.OnNotAllowed();
            ConnectionLog.NotAllowed(_log, peer);
            TcpRelay.ResetAndClose(socket);
            Counters.OnClosed();
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(new TcpConnection(this, socket, peer), preferLocal: false);
    }

    /// <summary>Runs the connection to its end. Never throws.</summary>
    public async Task HandleAsync(Socket client, IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(peer);
        try
        {
            await HandleCoreAsync(client, peer).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The last line of defence: one connection must never take the process down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ProxyLog.ConnectionCrashed(_proxyLog, peer, ex);
            TcpRelay.ResetAndClose(client);
        }
        finally
        {
            Counters.OnClosed();
        }
    }

    private async Task HandleCoreAsync(Socket client, IPEndPoint peer)
    {
        long started = _time.GetTimestamp();
        client.NoDelay = true;
        if (_log.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Accepted(_log, peer, (IPEndPoint)client.LocalEndPoint!);
        }

        HeaderReadResult read = await _headerReader.ReadAsync(client).ConfigureAwait(false);
        try
        {
            if (read.Status != HeaderReadStatus.Complete)
            {
                OnHeaderFailed(client, peer, read);
                return;
            }

            ProxyHeader header = read.Header;
            ConnectionLog.HeaderParsed(_log, peer, (int)header.Version, header.Command, header.Family,
                new LoggedAddress(header.Source), new LoggedAddress(header.Destination));

            IPEndPoint? source = header.HasClientAddress ? header.Source.ToIPEndPoint() : null;
            TargetSelection selection = _targetSelector.Select(source, peer);
            if (!selection.Succeeded)
            {
                Counters.OnUpstreamFailed();
                ConnectionLog.Unroutable(_log, peer, selection.Error!);
                TcpRelay.ResetAndClose(client);
                return;
            }

            long connectStarted = _time.GetTimestamp();
            UpstreamConnectResult connected = await _connector.ConnectAsync(selection).ConfigureAwait(false);
            if (connected.UsedFallbackPort && source is not null)
            {
                ConnectionLog.SourcePortInUse(_log, source, selection.Target!);
            }

            if (!connected.Succeeded)
            {
                Counters.OnUpstreamFailed();
                if (connected.Error == UpstreamConnectError.Refused)
                {
                    Counters.OnUpstreamRefused();
                }
                else if (connected.Error == UpstreamConnectError.TimedOut)
                {
                    Counters.OnUpstreamTimedOut();
                }

                ConnectionLog.UpstreamFailed(_log, peer, new LoggedAddress(header.Source), selection.Target!, connected.Message!);
                TcpRelay.ResetAndClose(client);
                return;
            }

            Counters.OnUpstreamConnected(_time.GetElapsedTime(connectStarted));
            Socket upstream = connected.Socket!;
            if (_log.IsEnabled(LogLevel.Debug))
            {
                ConnectionLog.UpstreamConnected(_log, peer, selection.Target!, (IPEndPoint)upstream.LocalEndPoint!);
            }

            using var relay = new TcpRelay(client, upstream, _pump, _time);
            if (_idleTimeout is { } idle)
            {
                relay.StartIdleTimer(idle);
            }

            // On failure the relay is already aborted and RunAsync reports it.
            _ = await relay.SendPrefixAsync(read.Leftover).ConfigureAwait(false);
            read.ReturnBuffer();
            RelayResult result = await relay.RunAsync().ConfigureAwait(false);
            OnRelayEnded(peer, header, result, started);
        }
        finally
        {
            read.ReturnBuffer();
        }
    }

    private void OnHeaderFailed(Socket client, IPEndPoint peer, HeaderReadResult read)
    {
        switch (read.Status)
        {
            case HeaderReadStatus.TimedOut:
                Counters.OnHeaderTimedOut();
                ConnectionLog.HeaderTimedOut(_log, peer, (long)_headerReader.Timeout.TotalMilliseconds, read.Received);
                TcpRelay.ResetAndClose(client);
                break;
            case HeaderReadStatus.Invalid:
                Counters.OnHeaderInvalid();
                Counters.OnHeaderParseError(read.Error);
                ConnectionLog.HeaderInvalid(_log, peer, read.Error.ToMessage());
                TcpRelay.ResetAndClose(client);
                break;
            case HeaderReadStatus.TooLarge:
                Counters.OnHeaderInvalid();
                Counters.OnHeaderTooLarge();
                ConnectionLog.HeaderInvalid(_log, peer, $"no complete header within the first {read.Received} bytes (--max-header-size)");
                TcpRelay.ResetAndClose(client);
                break;
            default:
                // Closed or reset before the header was complete: health checks that just connect.
                Counters.OnHeaderInvalid();
                Counters.OnHeaderIncomplete();
                ConnectionLog.HeaderIncomplete(_log, peer, read.Received);
                client.Dispose();
                break;
        }
    }

    private void OnRelayEnded(IPEndPoint peer, ProxyHeader header, RelayResult result, long started)
    {
        Counters.OnRelayed(result.BytesToUpstream, result.BytesToClient);
        if (result.IdleTimedOut)
        {
            ConnectionLog.IdleTimeout(_log, peer, new LoggedAddress(header.Source), (long)_idleTimeout!.Value.TotalMilliseconds);
        }
        else if (result.FailedSide is { } side)
        {
            Counters.OnReset();
            ConnectionLog.Reset(_log, peer, new LoggedAddress(header.Source), side, result.FailureError.ToString());
        }
        else
        {
            Counters.OnCompleted();
        }

        if (_log.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Closed(_log, peer, new LoggedAddress(header.Source), result.BytesToUpstream, result.BytesToClient,
                (long)_time.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
