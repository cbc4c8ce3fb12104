using System.Net;
using Microsoft.Extensions.Logging;

namespace MmProxy.Diagnostics;

/// <summary>Process-level events (category "mmproxy"): always logged. Event ids 1-99 are stable.</summary>
internal static partial class ProxyLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "mmproxy {Version} starting: {Protocol} listen {ListenEndPoint}, IPv4 target {TargetV4}, IPv6 target {TargetV6}, mark {Mark}")]
    public static partial void Starting(ILogger logger, string version, string protocol, IPEndPoint listenEndPoint, IPEndPoint targetV4, IPEndPoint targetV6, uint mark);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information,
        Message = "mmproxy {Version} starting: send {Protocol} listen {ListenEndPoint}, remote {Remote}, mark {Mark}")]
    public static partial void StartingSend(ILogger logger, string version, string protocol, IPEndPoint listenEndPoint, IPEndPoint remote, uint mark);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Listening on {ListenEndPoint} with {Listeners} socket(s), backlog {Backlog}")]
    public static partial void Listening(ILogger logger, IPEndPoint listenEndPoint, int listeners, int backlog);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "No -allowed-subnets file given: connections from every address are accepted and may claim any client address")]
    public static partial void AllowingEveryone(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information,
        Message = "Loaded {Count} allowed subnet(s) from {Path}")]
    public static partial void SubnetsLoaded(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void ConfigurationWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 6, Level = LogLevel.Critical, Message = "Cannot start: {Reason}")]
    public static partial void StartupFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "{Signal} received: closing listeners")]
    public static partial void Stopping(ILogger logger, string signal);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information,
        Message = "Stopped ({Accepted} connection(s) accepted, {Active} still open)")]
    public static partial void Stopped(ILogger logger, long accepted, long active);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning,
        Message = "accept() on {ListenEndPoint} failed: {Error}; retrying in {BackoffMs} ms ({Suppressed} similar error(s) not logged)")]
    public static partial void AcceptFailed(ILogger logger, IPEndPoint listenEndPoint, string error, int backoffMs, long suppressed);

    [LoggerMessage(EventId = 10, Level = LogLevel.Critical, Message = "Listener on {ListenEndPoint} failed: {Error}")]
    public static partial void ListenerFailed(ILogger logger, IPEndPoint listenEndPoint, string error, Exception? exception);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Unexpected error handling a connection from {Peer}")]
    public static partial void ConnectionCrashed(ILogger logger, IPEndPoint? peer, Exception exception);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning,
        Message = "{Active} connection(s) open on {ListenEndPoint}: the open file limit ({Limit}) allows no more (2 descriptors per connection, {Reserve} kept for the runtime); new connections wait in the listen backlog. Raise the limit (LimitNOFILE= in the systemd unit, or ulimit -n)")]
    public static partial void DescriptorBudgetReached(ILogger logger, long active, IPEndPoint listenEndPoint, long limit, int reserve);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information,
        Message = "Sending: {Protocol} on {ListenEndPoint} with {Listeners} socket(s) -> {Remote} with {Header} headers")]
    public static partial void Sending(ILogger logger, string protocol, IPEndPoint listenEndPoint, int listeners, IPEndPoint remote, string header);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Startup took {Milliseconds} ms")]
    public static partial void StartupTime(ILogger logger, long milliseconds);
}
