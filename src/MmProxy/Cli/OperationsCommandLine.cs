using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using MmProxy.Configuration;
using MmProxy.Hosting;

namespace MmProxy.Cli;

/// <summary>The proxy's operational flags (--quiet, --metrics, --shutdown-timeout), also accepted with one dash like Go flags.</summary>
internal sealed class OperationsCommandLine
{
    public OperationsCommandLine()
    {
        Quiet = new Option<bool>("--quiet")
        {
            Description = "Skip the startup checks (IP_TRANSPARENT, return routes for spoofed sources); `mmproxy check` runs them all",
        };
        Metrics = new Option<IPEndPoint?>("--metrics")
        {
            Description = "Serve Prometheus metrics at http://ADDR:PORT/metrics and a health check at /healthz (200 once listening)",
            HelpName = "ADDR:PORT",
            CustomParser = ParseEndPoint,
        };
        ShutdownTimeout = new Option<TimeSpan?>("--shutdown-timeout")
        {
            Description = "On SIGTERM/SIGINT: stop accepting, give open connections this long to finish, then close the rest and exit 0 (default: 30s; 0 = close at once)",
            HelpName = "DURATION",
            CustomParser = ParseDuration,
        };
    }

    public Option<bool> Quiet { get; }

    public Option<TimeSpan?> ShutdownTimeout { get; }

    public Option<IPEndPoint?> Metrics { get; }

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Quiet);
        command.Options.Add(Metrics);
        command.Options.Add(ShutdownTimeout);
    }

    public OperationsOptions ToOperationsOptions(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new OperationsOptions
        {
            Quiet = result.GetValue(Quiet),
            MetricsEndPoint = result.GetValue(Metrics),
            ShutdownTimeout = result.GetValue(ShutdownTimeout) ?? OperationsOptions.DefaultShutdownTimeout,
        };
    }

    private static TimeSpan? ParseDuration(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (!DurationParser.TryParse(text, out TimeSpan value))
        {
            result.AddError($"--shutdown-timeout: invalid duration '{text}': expected seconds or a number with ms, s, m or h (500ms, 30s, 1m)");
            return null;
        }

        return value;
    }

    private static IPEndPoint? ParseEndPoint(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (!EndPointParser.TryParse(text, out IPEndPoint? endPoint, out string? problem))
        {
            result.AddError($"--metrics: invalid address '{text}': {problem}");
            return null;
        }

        return endPoint;
    }
}
