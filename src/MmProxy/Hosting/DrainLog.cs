using Microsoft.Extensions.Logging;

namespace MmProxy.Hosting;

/// <summary>Shutdown drain events (category "mmproxy"). Event ids 360-369 are stable.</summary>
internal static partial class DrainLog
{
    [LoggerMessage(EventId = 360, Level = LogLevel.Information,
        Message = "Listeners closed; waiting up to {TimeoutMs} ms for {Open} open connection(s) to finish (--shutdown-timeout; a second signal stops waiting)")]
    public static partial void Draining(ILogger logger, long open, long timeoutMs);

    [LoggerMessage(EventId = 361, Level = LogLevel.Information, Message = "All connections finished after {ElapsedMs} ms")]
    public static partial void Drained(ILogger logger, long elapsedMs);

    [LoggerMessage(EventId = 362, Level = LogLevel.Warning, Message = "Closing {Open} connection(s) still open after {ElapsedMs} ms")]
    public static partial void Abandoned(ILogger logger, long open, long elapsedMs);
}
