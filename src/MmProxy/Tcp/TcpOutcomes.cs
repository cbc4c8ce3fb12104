using System.Net;
using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp;

/// <summary>How a connection ended, counted and logged in one place for every phase.</summary>
internal static class TcpOutcomes
{
    /// <summary>
    /// A connection that ended before its header was complete. True: close with a reset; false: a
    /// plain close (the peer closed first).
    /// </summary>
    public static bool HeaderFailed(TcpLoopContext context, TcpConnection c, HeaderReadStatus status, ProxyParseError error)
    {
        ProxyCounters counters = context.Counters;
        ILogger log = context.Log;
        switch (status)
        {
            case HeaderReadStatus.TimedOut:
                counters.OnHeaderTimedOut();
                ConnectionLog.HeaderTimedOut(log, c.Peer, (long)context.Options.HeaderTimeout.TotalMilliseconds, c.HeaderReceived);
                return true;
            case HeaderReadStatus.Invalid:
                counters.OnHeaderInvalid();
                counters.OnHeaderParseError(error);
                ConnectionLog.HeaderInvalid(log, c.Peer, error.ToMessage());
                return true;
            case HeaderReadStatus.TooLarge:
                counters.OnHeaderInvalid();
                counters.OnHeaderTooLarge();
                ConnectionLog.HeaderInvalid(log, c.Peer, $"no complete header within the first {c.HeaderReceived} bytes (--max-header-size)");
                return true;
            default:
                // Closed or reset before the header was complete: health checks that just connect.
                counters.OnHeaderInvalid();
                counters.OnHeaderIncomplete();
                ConnectionLog.HeaderIncomplete(log, c.Peer, c.HeaderReceived);
                return false;
        }
    }

    public static void UpstreamFailed(TcpLoopContext context, TcpConnection c, UpstreamConnectError error, string message)
    {
        ProxyCounters counters = context.Counters;
        counters.OnUpstreamFailed();
        if (error == UpstreamConnectError.Refused)
        {
            counters.OnUpstreamRefused();
        }
        else if (error == UpstreamConnectError.TimedOut)
        {
            counters.OnUpstreamTimedOut();
        }

        ConnectionLog.UpstreamFailed(context.Log, c.Peer, new LoggedAddress(c.Source), c.Target, message);
    }

    public static void Unroutable(TcpLoopContext context, IPEndPoint peer, string error)
    {
        context.Counters.OnUpstreamFailed();
        ConnectionLog.Unroutable(context.Log, peer, error);
    }

    /// <summary>--dynamic-destination refused the header's destination (or there is none and no -4/-6).</summary>
    public static void DestinationRefused(TcpLoopContext context, TcpConnection c, string reason)
    {
        context.Counters.OnDestinationRefused();
        ConnectionLog.DestinationRefused(context.Log, c.Peer, new LoggedAddress(c.Source), new LoggedAddress(c.Destination), reason);
    }

    public static void RelayEnded(TcpLoopContext context, TcpConnection c, in RelayResult result, TimeSpan duration)
    {
        ProxyCounters counters = context.Counters;
        ILogger log = context.Log;
        counters.OnRelayed(result.BytesToUpstream, result.BytesToClient);
        if (result.IdleTimedOut)
        {
            ConnectionLog.IdleTimeout(log, c.Peer, new LoggedAddress(c.Source), (long)(context.Options.IdleTimeout ?? TimeSpan.Zero).TotalMilliseconds);
        }
        else if (result.FailedSide is { } side)
        {
            counters.OnReset();
            ConnectionLog.Reset(log, c.Peer, new LoggedAddress(c.Source), side, result.FailureError.ToString());
        }
        else
        {
            counters.OnCompleted();
        }

        if (log.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Closed(log, c.Peer, new LoggedAddress(c.Source), result.BytesToUpstream, result.BytesToClient, (long)duration.TotalMilliseconds);
        }
    }
}
