using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Diagnostics.Metrics;
using MmProxy.Hosting;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// UDP mode (-p udp): opens the listeners, runs until <paramref name="stop"/> or a listener failure,
/// then closes the listeners and every flow.
/// </summary>
internal static class UdpProxyService
{
    /// <param name="options">Validated options.</param>
    /// <param name="subnets">Allowed load balancers.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="started">Stopwatch timestamp of process start, for the startup time.</param>
    /// <param name="stopReason">Names what stopped the proxy (the signal), asked when stopping.</param>
    /// <param name="operations">Metrics, systemd notification and startup checks; told when listening and stopping.</param>
    /// <param name="stop">Cancelled on SIGINT/SIGTERM.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(
        ProxyOptions options,
        AllowedSubnetsProvider subnets,
        ILoggerFactory loggerFactory,
        long started,
        Func<string> stopReason,
        OperationsHost? operations,
        CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(subnets);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(stopReason);
        ILogger log = loggerFactory.CreateLogger(LogCategories.Proxy);
        ILogger flowLog = loggerFactory.CreateLogger(LogCategories.Connection);
        TimeProvider time = TimeProvider.System;

        IUdpListenerGroup? listeners = UdpEngine.Open(options.ListenEndPoint, options.Listeners, log, time, out string? error);
        if (listeners is null)
        {
            ProxyLog.StartupFailed(log, error!);
            return ExitCodes.Failure;
        }

        var counters = new UdpCounters();
        var context = new UdpFlowContext(options.CloseAfter, time, counters, flowLog);
        using var table = new UdpFlowTable(UdpFlowBudget.Cap(options.MaxUdpFlows, log));
        var parser = new ProxyHeaderParser(new ProxyHeaderParserOptions { MaxHeaderSize = options.MaxHeaderSize });
        var handler = new UdpDatagramHandler(parser, table, new UdpUpstreamOpener(options.TargetV4, options.TargetV6, options.Mark), context);

        int exitCode = ExitCodes.Success;
        int open;
        await using (listeners.ConfigureAwait(false))
        {
            listeners.Start(handler, subnets);
            UdpLog.Listening(log, listeners.EndPoint, listeners.Count, (long)options.CloseAfter.TotalMilliseconds, table.MaxFlows);
            if (operations is not null)
            {
                if (operations.Metrics is { } metrics)
                {
                    metrics.UdpSource = UdpMetricsSource.Create(counters, () => table.Count);
                }

                operations.OnListening($"Listening on {listeners.EndPoint} (udp)");
            }

            ProxyLog.StartupTime(log, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);

            Task stopped = Task.Delay(Timeout.Infinite, stop);
            Task first = await Task.WhenAny(stopped, listeners.Completion).ConfigureAwait(false);
            operations?.OnStopping(first == listeners.Completion ? "A listener failed" : "Stopping");
            if (first == listeners.Completion)
            {
                exitCode = ExitCodes.Failure;
            }
            else
            {
                ProxyLog.Stopping(log, stopReason());
            }

            // Before the listeners close: the native loops close their flows with them.
            open = table.Count;
        }

        table.Dispose();
        UdpLog.Stopped(log, counters.Received, counters.Forwarded, counters.Replies, counters.DroppedTotal, counters.FlowsCreated, open,
            counters.DescribeDrops(), counters.UpstreamRefused, counters.ReplyFailures);
        return exitCode;
    }
}
