using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using MmProxy.Configuration;
using MmProxy.Diagnostics;

namespace MmProxy.Hosting;

/// <summary>
/// Console logging to stderr: text (one line per event, UTC timestamps) or JSON. -v decides how much
/// of the per-connection category gets through; process events always do.
/// </summary>
internal static class LoggingSetup
{
    public static ILoggerFactory Create(LogFormat format, Verbosity verbosity)
    {
        return LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Information);
            builder.AddFilter(LogCategories.Proxy, LogLevel.Information);
            builder.AddFilter(LogCategories.Connection, ConnectionLevel(verbosity));
            builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
            if (format == LogFormat.Json)
            {
                builder.AddJsonConsole(options =>
                {
                    options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    options.UseUtcTimestamp = true;
                });
            }
            else
            {
                builder.AddSimpleConsole(options =>
                {
                    options.SingleLine = true;
                    options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    options.UseUtcTimestamp = true;
                    options.IncludeScopes = false;
                });
            }
        });
    }

    public static LogLevel ConnectionLevel(Verbosity verbosity) => verbosity switch
    {
        Verbosity.Quiet => LogLevel.None,
        Verbosity.Errors => LogLevel.Warning,
        _ => LogLevel.Debug,
    };
}
