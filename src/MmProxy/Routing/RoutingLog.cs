using Microsoft.Extensions.Logging;

namespace MmProxy.Routing;

/// <summary>Startup check lines (category "mmproxy"). Event ids 300-319 are stable.</summary>
internal static partial class RoutingLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Check OK: {Name}: {Detail}")]
    public static partial void CheckOk(ILogger logger, string name, string detail);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Check FAILED: {Name}: {Detail}; fix: {Fix}")]
    public static partial void CheckFailed(ILogger logger, string name, string detail, string fix);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Check skipped: {Name}: {Detail}")]
    public static partial void CheckSkipped(ILogger logger, string name, string detail);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Startup checks could not run: {Reason}")]
    public static partial void ChecksCrashed(ILogger logger, string reason);

    public static void Log(ILogger logger, CheckResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        switch (result.Status)
        {
            case CheckStatus.Ok:
                CheckOk(logger, result.Name, result.Detail);
                break;
            case CheckStatus.Failed:
                CheckFailed(logger, result.Name, result.Detail, result.Fix ?? "see `mmproxy check`");
                break;
            default:
                CheckSkipped(logger, result.Name, result.Detail);
                break;
        }
    }
}
