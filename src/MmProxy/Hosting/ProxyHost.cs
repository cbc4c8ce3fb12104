using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Configuration.ConfigFile;
using MmProxy.Diagnostics;
using MmProxy.Diagnostics.Metrics;
using MmProxy.Udp;

namespace MmProxy.Hosting;

/// <summary>
/// The one way the proxy runs, for the flags and for <c>--config</c> alike: read the configuration
/// (<see cref="IConfigSource"/>), check the capability, bind every port while logging is built on
/// another core, start accepting, then serve until a signal. SIGHUP reads the configuration again
/// and applies the difference (<see cref="ReloadPlan"/>); a broken one is logged and the running
/// configuration stays. SIGINT/SIGTERM close every listener, drain, and exit 0; a listener failure exits 1.
/// </summary>
internal static class ProxyHost
{
    public static async Task<int> RunAsync(IConfigSource source, Verbosity verbosity, LogFormat logFormat, OperationsOptions operations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(operations);
        long started = Stopwatch.GetTimestamp();

        // Logging setup is the slowest step of startup (mostly JIT): build it on another core
        // while the configuration loads and the ports are bound, then report what happened in order.
        Task<ILoggerFactory> logging = Task.Run(() => LoggingSetup.Create(logFormat, verbosity));
        ConfigLoadResult loaded = source.Load();
        IReadOnlyList<ListenerUnit> units = loaded.Config?.Units() ?? [];

        // Only the receiving side spoofs: a configuration of senders runs without CAP_NET_ADMIN.
        string? capabilityError = loaded.Succeeded && units.Any(IsReceiver)
            ? TransparentCapability.Check()
            : null;
        var counters = new ProxyCounters();
        var udpCounters = new UdpCounters();
        var listenerLog = new DeferredLogger();
        await using var listeners = new ListenerSet(counters, udpCounters, listenerLog, TimeProvider.System, source);
        string? openError = loaded.Succeeded && capabilityError is null ? await listeners.OpenAllAsync(units).ConfigureAwait(false) : null;

        using ILoggerFactory loggerFactory = await logging.ConfigureAwait(false);
        ILogger log = loggerFactory.CreateLogger(LogCategories.Proxy);
        listenerLog.Target = log;
        source.LogStarting(log);
        RetiredSwitches.Warn(log);
        foreach (string warning in loaded.Warnings)
        {
            ProxyLog.ConfigurationWarning(log, warning);
        }

        if (loaded.Config is not { } config)
        {
            ProxyLog.StartupFailed(log, loaded.Error!);
            return ExitCodes.Failure;
        }

        source.LogLoaded(log, config);
        if (capabilityError is not null)
        {
            ProxyLog.StartupFailed(log, capabilityError);
            return ExitCodes.Failure;
        }

        if (openError is not null)
        {
            ProxyLog.StartupFailed(log, openError);
            return ExitCodes.Failure;
        }

        using var signals = new ProcessSignals(cancellationToken);
        OperationsHost operationsHost = OperationsHost.Start(operations, (units.FirstOrDefault(IsReceiver) ?? units[0]).Options, counters, log);
        await using var operationsScope = operationsHost.ConfigureAwait(false);
        if (operationsHost.StartupError is { } operationsError)
        {
            ProxyLog.StartupFailed(log, operationsError);
            return ExitCodes.Failure;
        }

        // The UDP series exist where UDP listeners do (or may, after a reload).
        if (operationsHost.Metrics is { } metrics && (source.ListenersMayChange || units.Any(u => u.Options.Protocol == TransportProtocol.Udp)))
        {
            metrics.UdpSource = UdpMetricsSource.Create(udpCounters, listeners.UdpFlowCount);
        }

        if (listeners.Start(loggerFactory, log) is { } startError)
        {
            ProxyLog.StartupFailed(log, startError);
            return ExitCodes.Failure;
        }

        operationsHost.OnListening(source.ListeningStatus(listeners.Listeners));
        ProxyLog.StartupTime(log, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);

        int exitCode = await ServeAsync(source, listeners, signals, operationsHost, log).ConfigureAwait(false);
        long udpFlows = listeners.UdpFlowCount();
        await listeners.DisposeAsync().ConfigureAwait(false);
        if (exitCode == ExitCodes.Success)
        {
            await ConnectionDrain.RunAsync(counters, operations.ShutdownTimeout, log, signals.DrainAborted).ConfigureAwait(false);
        }

        // A summary for each protocol that ever listened (flags mode: exactly one).
        if (listeners.EverUdp)
        {
            UdpLog.Stopped(log, udpCounters.Received, udpCounters.Forwarded, udpCounters.Replies, udpCounters.DroppedTotal, udpCounters.FlowsCreated,
                (int)udpFlows, udpCounters.DescribeDrops(), udpCounters.UpstreamRefused, udpCounters.ReplyFailures);
        }

        if (listeners.EverTcp || !listeners.EverUdp)
        {
            ProxyLog.Stopped(log, counters.Accepted, counters.Active);
        }
        return exitCode;
    }

    /// <summary>Reloads on SIGHUP until a stop signal (exit 0) or a listener failure (exit 1).</summary>
    private static async Task<int> ServeAsync(IConfigSource source, ListenerSet listeners, ProcessSignals signals, OperationsHost operations, ILogger log)
    {
        Task stopped = Task.Delay(Timeout.Infinite, signals.Stopping);
        while (true)
        {
            Task reload = signals.WaitForReloadAsync();
            Task first = await Task.WhenAny(stopped, listeners.Faulted, reload).ConfigureAwait(false);
            if (first == reload && reload.IsCompletedSuccessfully)
            {
                operations.OnReloading();
                operations.OnReloaded(await ReloadAsync(source, listeners, log).ConfigureAwait(false));
                continue;
            }

            if (first == listeners.Faulted)
            {
                operations.OnStopping("A listener failed");
                return ExitCodes.Failure;
            }

            operations.OnStopping("Stopping");
            ProxyLog.Stopping(log, signals.Reason);
            return ExitCodes.Success;
        }
    }

    private static bool IsReceiver(ListenerUnit unit) => unit.Options.Role == ListenerRole.Receive;

    /// <summary>Returns the status reported to systemd.</summary>
    private static async Task<string> ReloadAsync(IConfigSource source, ListenerSet listeners, ILogger log)
    {
        source.LogReloading(log);
        ConfigLoadResult loaded = source.Load();
        foreach (string warning in loaded.Warnings)
        {
            ProxyLog.ConfigurationWarning(log, warning);
        }

        if (loaded.Config is not { } config)
        {
            ReloadLog.ReloadRejected(log, loaded.Error!);
            return source.RejectedStatus(loaded.Error!);
        }

        ReloadPlan plan = ReloadPlan.Create(listeners.Units.ToArray(), config.Units());

        // A configuration of senders ran without the capability check: a receiver added now needs it.
        if ((plan.Open.Any(IsReceiver) || plan.Reopen.Any(r => IsReceiver(r.New))) && TransparentCapability.Check() is { } capabilityError)
        {
            ReloadLog.ReloadRejected(log, capabilityError);
            return source.RejectedStatus(capabilityError);
        }

        if (await listeners.ApplyAsync(plan).ConfigureAwait(false) is { } error)
        {
            ReloadLog.ReloadRejected(log, error);
            return source.RejectedStatus(error);
        }

        return source.LogReloaded(log, config, plan, listeners.Count);
    }
}
