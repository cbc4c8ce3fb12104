using System.Net;
using Microsoft.Extensions.Logging;

namespace MmProxy.Hosting;

/// <summary>Configuration-file mode and reloads (SIGHUP): listeners opened, kept, closed, and rejected reloads.</summary>
internal static partial class ReloadLog
{
    [LoggerMessage(EventId = 700, Level = LogLevel.Information,
        Message = "Configuration {Path}: {Listeners} listeners, {Ports} ports")]
    public static partial void ConfigLoaded(ILogger logger, string path, int listeners, int ports);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information,
        Message = "Opened {Label}: {Protocol} {ListenEndPoint} -> {TargetV4} / {TargetV6} ({Sockets} sockets, subnets: {Subnets})")]
    public static partial void ListenerOpened(ILogger logger, string label, string protocol, IPEndPoint listenEndPoint, IPEndPoint targetV4, IPEndPoint targetV6, int sockets, string subnets);

    [LoggerMessage(EventId = 702, Level = LogLevel.Information,
        Message = "Closed {Label}: {Key} stops accepting; its established connections finish")]
    public static partial void ListenerClosed(ILogger logger, string label, string key);

    [LoggerMessage(EventId = 703, Level = LogLevel.Information,
        Message = "SIGHUP received: reloading {Path}")]
    public static partial void Reloading(ILogger logger, string path);

    [LoggerMessage(EventId = 704, Level = LogLevel.Information,
        Message = "Reloaded {Path}: {Kept} ports kept, {Opened} opened, {Closed} closed, {Reopened} reopened with new settings")]
    public static partial void Reloaded(ILogger logger, string path, int kept, int opened, int closed, int reopened);

    [LoggerMessage(EventId = 705, Level = LogLevel.Error,
        Message = "Reload rejected, the previous configuration keeps running: {Reason}")]
    public static partial void ReloadRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 706, Level = LogLevel.Error,
        Message = "Reload: cannot reopen {Label} ({Key}) with its new settings: {Reason}")]
    public static partial void ReopenFailed(ILogger logger, string label, string key, string reason);

    [LoggerMessage(EventId = 707, Level = LogLevel.Information,
        Message = "SIGHUP received: reloaded the allowed subnets from {Path} ({Count} subnets)")]
    public static partial void SubnetsReloaded(ILogger logger, string path, int count);

    [LoggerMessage(EventId = 708, Level = LogLevel.Information,
        Message = "SIGHUP received: no allowed subnets file to reload (every peer stays allowed)")]
    public static partial void NothingToReload(ILogger logger);

    [LoggerMessage(EventId = 709, Level = LogLevel.Information,
        Message = "SIGHUP received: reloaded the allowed destinations from {Path} ({Count} entries; {Change})")]
    public static partial void DestinationsReloaded(ILogger logger, string path, int count, string change);
}
