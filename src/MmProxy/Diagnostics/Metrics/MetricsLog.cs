using System.Net;
using Microsoft.Extensions.Logging;

namespace MmProxy.Diagnostics.Metrics;

/// <summary>Metrics endpoint events (category "mmproxy"). Event ids 320-339 are stable.</summary>
internal static partial class MetricsLog
{
    [LoggerMessage(EventId = 320, Level = LogLevel.Information, Message = "Serving metrics on http://{EndPoint}/metrics and /healthz")]
    public static partial void Serving(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(EventId = 321, Level = LogLevel.Warning, Message = "Metrics endpoint {EndPoint}: accept failed: {Error}")]
    public static partial void AcceptFailed(ILogger logger, IPEndPoint endPoint, string error);
}
