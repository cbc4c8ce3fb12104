using System.Net;
using Microsoft.Extensions.Logging;

namespace MmProxy.Diagnostics;

/// <summary>
/// UDP events. Per-datagram/per-flow events go to the "mmproxy.connection" category so -v applies:
/// warnings (ids 300-349, -v 1) are rate-limited by the caller and carry how many similar events were
/// not logged; debug flow state changes (ids 350-399, -v 2). Process-level UDP events (ids 400-449)
/// go to "mmproxy". Ids are stable.
/// </summary>
internal static partial class UdpLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning,
        Message = "Datagram from {Peer} dropped: {Reason} ({Suppressed} similar drop(s) not logged)")]
    public static partial void DatagramDropped(ILogger logger, LoggedAddress peer, string reason, long suppressed);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning,
        Message = "Datagram from {Peer} dropped: not in the allowed subnets ({Suppressed} similar drop(s) not logged)")]
    public static partial void NotAllowed(ILogger logger, LoggedAddress peer, long suppressed);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning,
        Message = "Datagram from {Peer} (client {Client}) dropped: the flow table is full ({MaxFlows} flows, --max-udp-flows) ({Suppressed} similar drop(s) not logged)")]
    public static partial void TableFull(ILogger logger, LoggedAddress peer, LoggedAddress client, int maxFlows, long suppressed);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning,
        Message = "Datagram from {Peer} (client {Client}) dropped: cannot open the upstream socket: {Reason} ({Suppressed} similar drop(s) not logged)")]
    public static partial void FlowSetupFailed(ILogger logger, LoggedAddress peer, LoggedAddress client, string reason, long suppressed);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning,
        Message = "Datagram from {Peer} (client {Client}) to {Target} dropped: {Reason} ({Suppressed} similar drop(s) not logged)")]
    public static partial void UpstreamSendFailed(ILogger logger, LoggedAddress peer, LoggedAddress client, IPEndPoint target, string reason, long suppressed);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning,
        Message = "Upstream {Target} unreachable for client {Client} (ICMP: connection refused); the flow stays open ({Suppressed} similar event(s) not logged)")]
    public static partial void UpstreamRefused(ILogger logger, IPEndPoint target, LoggedAddress client, long suppressed);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning,
        Message = "Reply to {Peer} (client {Client}) dropped: {Reason} ({Suppressed} similar drop(s) not logged)")]
    public static partial void ReplyFailed(ILogger logger, LoggedAddress peer, LoggedAddress client, string reason, long suppressed);

    [LoggerMessage(EventId = 307, Level = LogLevel.Warning,
        Message = "Receive on {ListenEndPoint} failed: {Reason} ({Suppressed} similar error(s) not logged)")]
    public static partial void ReceiveFailed(ILogger logger, IPEndPoint listenEndPoint, string reason, long suppressed);

    [LoggerMessage(EventId = 308, Level = LogLevel.Error,
        Message = "Unexpected error handling a datagram from {Peer} ({Suppressed} similar error(s) not logged)")]
    public static partial void DatagramCrashed(ILogger logger, LoggedAddress peer, long suppressed, Exception exception);

    [LoggerMessage(EventId = 309, Level = LogLevel.Error,
        Message = "Unexpected error in the reply loop of {Peer} (client {Client}); its replies stop until it expires")]
    public static partial void ReplyLoopCrashed(ILogger logger, LoggedAddress peer, LoggedAddress client, Exception exception);

    [LoggerMessage(EventId = 350, Level = LogLevel.Debug,
        Message = "UDP flow created ({Header}): {Peer} client {Client} -> {Target} from {Local}")]
    public static partial void FlowCreated(ILogger logger, string header, LoggedAddress peer, LoggedAddress client, IPEndPoint target, EndPoint? local);

    [LoggerMessage(EventId = 351, Level = LogLevel.Debug,
        Message = "UDP flow expired after {IdleMs} ms idle: {Peer} client {Client} -> {Target}: {ToUpstream} datagram(s) to upstream, {ToClient} to client")]
    public static partial void FlowExpired(ILogger logger, LoggedAddress peer, LoggedAddress client, IPEndPoint target, long idleMs, long toUpstream, long toClient);

    [LoggerMessage(EventId = 352, Level = LogLevel.Debug,
        Message = "Client port of {Client} is in use locally; UDP flow to {Target} uses a kernel-chosen port instead")]
    public static partial void SourcePortInUse(ILogger logger, LoggedAddress client, IPEndPoint target);

    [LoggerMessage(EventId = 353, Level = LogLevel.Debug,
        Message = "UDP session of {Peer} re-targeted: a new PROXY v2 header names client {Client} (was {Previous}: {ToUpstream} datagram(s) to upstream, {ToClient} to client)")]
    public static partial void SessionRetargeted(ILogger logger, LoggedAddress peer, LoggedAddress client, LoggedAddress previous, long toUpstream, long toClient);

    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "Listening for UDP on {ListenEndPoint} with {Listeners} socket(s), header {Header}; flows expire after {CloseAfterMs} ms idle, at most {MaxFlows} flows")]
    public static partial void Listening(ILogger logger, IPEndPoint listenEndPoint, int listeners, string header, long closeAfterMs, int maxFlows);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information,
        Message = "UDP stopped: {Received} datagram(s) received, {Forwarded} forwarded, {Replies} replies, {Dropped} dropped, {Flows} flow(s) created, {Open} still open; drops by reason: {DropsByReason}; ICMP unreachable: {Unreachable}; failed replies: {FailedReplies}")]
    public static partial void Stopped(ILogger logger, long received, long forwarded, long replies, long dropped, long flows, int open, string dropsByReason, long unreachable, long failedReplies);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning,
        Message = "The open file limit ({Limit}) leaves room for {Flows} UDP flow(s), fewer than --max-udp-flows {MaxFlows}: each flow holds a socket; raise the open file limit (LimitNOFILE= in the systemd unit, or ulimit -n)")]
    public static partial void FlowsCappedByFileLimit(ILogger logger, long limit, int flows, int maxFlows);

    [LoggerMessage(EventId = 402, Level = LogLevel.Critical,
        Message = "UDP listener on {ListenEndPoint} failed: {Error}")]
    public static partial void ListenerFailed(ILogger logger, IPEndPoint listenEndPoint, string error, Exception? exception);
}
