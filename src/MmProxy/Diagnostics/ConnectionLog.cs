using System.Net;
using Microsoft.Extensions.Logging;
using MmProxy.ProxyProtocol;

namespace MmProxy.Diagnostics;

/// <summary>
/// Per-connection events (category "mmproxy.connection"). Warnings (ids 100-199) show at -v 1,
/// debug state changes (ids 200-299) at -v 2. Ids are stable. Only parsed values are logged, never
/// raw header bytes.
/// </summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning,
        Message = "Connection from {Peer} rejected: not in the allowed subnets")]
    public static partial void NotAllowed(ILogger logger, IPEndPoint peer);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning,
        Message = "Connection from {Peer} closed: invalid PROXY header: {Reason}")]
    public static partial void HeaderInvalid(ILogger logger, IPEndPoint peer, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning,
        Message = "Connection from {Peer} closed: no complete PROXY header within {TimeoutMs} ms ({Received} byte(s) received)")]
    public static partial void HeaderTimedOut(ILogger logger, IPEndPoint peer, long timeoutMs, int received);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning,
        Message = "Connection from {Peer} closed before a complete PROXY header ({Received} byte(s) received)")]
    public static partial void HeaderIncomplete(ILogger logger, IPEndPoint peer, int received);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning,
        Message = "Connection from {Peer} (client {Client}): cannot connect to {Target}: {Reason}")]
    public static partial void UpstreamFailed(ILogger logger, IPEndPoint peer, LoggedAddress client, IPEndPoint target, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning,
        Message = "Client port of {Client} is in use locally; connecting to {Target} from a kernel-chosen port instead")]
    public static partial void SourcePortInUse(ILogger logger, IPEndPoint client, IPEndPoint target);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning,
        Message = "Connection from {Peer} (client {Client}) reset by the {Side}: {Reason}")]
    public static partial void Reset(ILogger logger, IPEndPoint peer, LoggedAddress client, string side, string reason);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning,
        Message = "Connection from {Peer} (client {Client}) closed: the destination {Destination} {Reason}")]
    public static partial void DestinationRefused(ILogger logger, IPEndPoint peer, LoggedAddress client, LoggedAddress destination, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning,
        Message = "Connection from {Peer} closed: {Reason}")]
    public static partial void Unroutable(ILogger logger, IPEndPoint peer, string reason);

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning,
        Message = "Connection from {Peer} (client {Client}) closed after {IdleMs} ms idle")]
    public static partial void IdleTimeout(ILogger logger, IPEndPoint peer, LoggedAddress client, long idleMs);

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug,
        Message = "Accepted connection from {Peer} on {Local}")]
    public static partial void Accepted(ILogger logger, IPEndPoint peer, IPEndPoint local);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug,
        Message = "PROXY header from {Peer}: v{Version} {Command} {Family} source {Source} destination {Destination}")]
    public static partial void HeaderParsed(ILogger logger, IPEndPoint peer, int version, ProxyCommand command, ProxyFamily family, LoggedAddress source, LoggedAddress destination);

    [LoggerMessage(EventId = 206, Level = LogLevel.Debug,
        Message = "PROXY header for {Peer} written ({Bytes} bytes), connecting to the remote")]
    public static partial void HeaderWritten(ILogger logger, IPEndPoint peer, int bytes);

    [LoggerMessage(EventId = 202, Level = LogLevel.Debug,
        Message = "Connection from {Peer}: upstream {Target} connected from {Local}")]
    public static partial void UpstreamConnected(ILogger logger, IPEndPoint peer, IPEndPoint target, IPEndPoint local);

    [LoggerMessage(EventId = 203, Level = LogLevel.Debug,
        Message = "Connection from {Peer} (client {Client}) closed: {ToUpstream} byte(s) to upstream, {ToClient} byte(s) to client, {DurationMs} ms")]
    public static partial void Closed(ILogger logger, IPEndPoint peer, LoggedAddress client, long toUpstream, long toClient, long durationMs);
}
