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
        Options = options;
    }

    public ProxyCounters Counters { get; }

    /// <summary>The listener's options (the event loop builds its own parser and target choice from them).</summary>
    public ProxyOptions Options { get; }

    /// <summary>The allowed subnets, read per accept (SIGHUP replaces them).</summary>
    public AllowedSubnetsProvider Subnets => _subnets;

    /// <summary>Per-connection events ("mmproxy.connection").</summary>
    public ILogger ConnectionLogger => _log;

    /// <summary>Process-level events ("mmproxy").</summary>
    public ILogger ProxyLogger => _proxyLog;

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
                ReportUpstreamFailure(Counters, _log, peer, header.Source, selection.Target!, connected.Error, connected.Message!);
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
        if (ReportHeaderFailure(Counters, _log, peer, read.Status, read.Error, read.Received, _headerReader.Timeout))
        {
            TcpRelay.ResetAndClose(client);
        }
        else
        {
            client.Dispose();
        }
    }

    /// <summary>
    /// Counts and logs a connection that ended before its header was complete (both engines).
    /// True: close with a reset; false: a plain close (the peer closed first).
    /// </summary>
    internal static bool ReportHeaderFailure(ProxyCounters counters, ILogger log, IPEndPoint peer, HeaderReadStatus status, ProxyParseError error, int received, TimeSpan timeout)
    {
        switch (status)
        {
            case HeaderReadStatus.TimedOut:
                counters.OnHeaderTimedOut();
                ConnectionLog.HeaderTimedOut(log, peer, (long)timeout.TotalMilliseconds, received);
                return true;
            case HeaderReadStatus.Invalid:
                counters.OnHeaderInvalid();
                counters.OnHeaderParseError(error);
                ConnectionLog.HeaderInvalid(log, peer, error.ToMessage());
                return true;
            case HeaderReadStatus.TooLarge:
                counters.OnHeaderInvalid();
                counters.OnHeaderTooLarge();
                ConnectionLog.HeaderInvalid(log, peer, $"no complete header within the first {received} bytes (--max-header-size)");
                return true;
            default:
                // Closed or reset before the header was complete: health checks that just connect.
                counters.OnHeaderInvalid();
                counters.OnHeaderIncomplete();
                ConnectionLog.HeaderIncomplete(log, peer, received);
                return false;
        }
    }

    /// <summary>Counts and logs an upstream connect failure (both engines).</summary>
    internal static void ReportUpstreamFailure(ProxyCounters counters, ILogger log, IPEndPoint peer, ProxyAddress client, IPEndPoint target, UpstreamConnectError error, string message)
    {
        counters.OnUpstreamFailed();
        if (error == UpstreamConnectError.Refused)
        {
            counters.OnUpstreamRefused();
        }
        else if (error == UpstreamConnectError.TimedOut)
        {
            counters.OnUpstreamTimedOut();
        }

        ConnectionLog.UpstreamFailed(log, peer, new LoggedAddress(client), target, message);
    }

    private void OnRelayEnded(IPEndPoint peer, ProxyHeader header, RelayResult result, long started) =>
        ReportRelayEnded(Counters, _log, _idleTimeout, peer, header.Source, result, _time.GetElapsedTime(started));

    /// <summary>Counts and logs the end of a relayed connection (both engines).</summary>
    internal static void ReportRelayEnded(ProxyCounters counters, ILogger log, TimeSpan? idleTimeout, IPEndPoint peer, ProxyAddress client, RelayResult result, TimeSpan duration)
    {
        counters.OnRelayed(result.BytesToUpstream, result.BytesToClient);
        if (result.IdleTimedOut)
        {
            ConnectionLog.IdleTimeout(log, peer, new LoggedAddress(client), (long)(idleTimeout ?? TimeSpan.Zero).TotalMilliseconds);
        }
        else if (result.FailedSide is { } side)
        {
            counters.OnReset();
            ConnectionLog.Reset(log, peer, new LoggedAddress(client), side, result.FailureError.ToString());
        }
        else
        {
            counters.OnCompleted();
        }

        if (log.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Closed(log, peer, new LoggedAddress(client), result.BytesToUpstream, result.BytesToClient, (long)duration.TotalMilliseconds);
        }
    }
}
