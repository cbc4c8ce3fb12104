using Microsoft.Extensions.Logging;

namespace MmProxy.Hosting.Systemd;

/// <summary>systemd integration events (category "mmproxy"). Event ids 340-359 are stable.</summary>
internal static partial class SystemdLog
{
    [LoggerMessage(EventId = 340, Level = LogLevel.Information, Message = "Notifying systemd at {Address}; watchdog ping every {WatchdogMs} ms (0 = off)")]
    public static partial void Notifying(ILogger logger, string address, long watchdogMs);

    [LoggerMessage(EventId = 341, Level = LogLevel.Warning, Message = "{Error}")]
    public static partial void NotifyFailed(ILogger logger, string error);
}
