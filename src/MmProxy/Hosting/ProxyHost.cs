using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Configuration.ConfigFile;
using MmProxy.Diagnostics;
using MmProxy.Diagnostics.Metrics;
using MmProxy.Udp;

namespace MmProxy.Hosting;

/// <summary>
/// Configuration-file mode (<c>--config</c>): every listener of the file (TCP and UDP, port ranges)
/// in one process. SIGHUP re-reads the file and its allowed-subnets files and applies the
/// difference (see <see cref="ReloadPlan"/>); a broken file is logged and the running configuration
/// stays. SIGINT/SIGTERM close every listener and exit 0; a listener failure exits 1.
/// </summary>
internal static class ProxyHost
{
    public static async Task<int> RunAsync(string configPath, Verbosity verbosity, LogFormat logFormat, OperationsOptions operations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configPath);
        ArgumentNullException.ThrowIfNull(operations);
        long started = Stopwatch.GetTimestamp();
        Task<ILoggerFactory> logging = Task.Run(() => LoggingSetup.Create(logFormat, verbosity));
        ConfigLoadResult loaded = ConfigFileLoader.LoadFile(configPath);
        string? capabilityError = loaded.Succeeded ? TransparentCapability.Check() : null;

        // Bind every port while the logger factory is built on another core; accept once it is ready.
        var counters = new ProxyCounters();
        var listenerLog = new DeferredLogger();
        await using var listeners = new ListenerSet(counters, new UdpCounters(), listenerLog);
        IReadOnlyList<ListenerUnit> units = loaded.Config?.Units() ?? [];
        string? openError = loaded.Succeeded && capabilityError is null ? await listeners.OpenAllAsync(units).ConfigureAwait(false) : null;

        using ILoggerFactory loggerFactory = await logging.ConfigureAwait(false);
        ILogger log = loggerFactory.CreateLogger(LogCategories.Proxy);
        listenerLog.Target = log;
        foreach (string warning in loaded.Warnings)
        {
            ProxyLog.ConfigurationWarning(log, warning);
        }

        if (loaded.Config is not { } config)
        {
            ProxyLog.StartupFailed(log, loaded.Error!);
            return ExitCodes.Failure;
        }

        if (capabilityError is not null)
        {
            ProxyLog.StartupFailed(log, capabilityError);
            return ExitCodes.Failure;
        }

        ReloadLog.ConfigLoaded(log, configPath, config.Listeners.Count, units.Count);
        WarnAllowingEveryone(config, log);
        if (openError is not null)
        {
            ProxyLog.StartupFailed(log, openError);
            return ExitCodes.Failure;
        }

        using var signals = new StopSignals(cancellationToken);
        using var reloadRequested = new SemaphoreSlim(0);
        using PosixSignalRegistration sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // Ours: the default action of SIGHUP would terminate the process.
            context.Cancel = true;
            reloadRequested.Release();
        });

        OperationsHost operationsHost = OperationsHost.Start(operations, units[0].Options, counters, log);
        await using var operationsScope = operationsHost.ConfigureAwait(false);
        if (operationsHost.StartupError is { } operationsError)
        {
            ProxyLog.StartupFailed(log, operationsError);
            return ExitCodes.Failure;
        }

        if (operationsHost.Metrics is { } metrics)
        {
            metrics.UdpSource = UdpMetricsSource.Create(listeners.UdpCounters, listeners.UdpFlowCount);
        }

        listeners.Start(loggerFactory, log);
        operationsHost.OnListening(Status(listeners.Count));
        ProxyLog.StartupTime(log, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);

        int exitCode = ExitCodes.Success;
        Task stopped = Task.Delay(Timeout.Infinite, signals.Stopping);
        while (true)
        {
            Task reload = reloadRequested.WaitAsync(signals.Stopping);
            Task first = await Task.WhenAny(stopped, listeners.Faulted, reload).ConfigureAwait(false);
            if (first == reload && reload.IsCompletedSuccessfully)
            {
                operationsHost.OnReloading();
                string status = await ReloadAsync(configPath, listeners, log).ConfigureAwait(false);
                operationsHost.OnReloaded(status);
                continue;
            }

            if (first == listeners.Faulted)
            {
                operationsHost.OnStopping("A listener failed");
                exitCode = ExitCodes.Failure;
            }
            else
            {
                operationsHost.OnStopping("Stopping");
                ProxyLog.Stopping(log, signals.Reason);
            }

            break;
        }

        await listeners.DisposeAsync().ConfigureAwait(false);
        if (exitCode == ExitCodes.Success)
        {
            await ConnectionDrain.RunAsync(counters, operations.ShutdownTimeout, log, signals.DrainAborted).ConfigureAwait(false);
        }

        ProxyLog.Stopped(log, counters.Accepted, counters.Active);
        return exitCode;
    }

    private static async Task<string> ReloadAsync(string configPath, ListenerSet listeners, ILogger log)
    {
        ReloadLog.Reloading(log, configPath);
        ConfigLoadResult loaded = ConfigFileLoader.LoadFile(configPath);
        foreach (string warning in loaded.Warnings)
        {
            ProxyLog.ConfigurationWarning(log, warning);
        }

        if (loaded.Config is not { } config)
        {
            ReloadLog.ReloadRejected(log, loaded.Error!);
            return "Reload rejected (previous configuration running): " + loaded.Error;
        }

        ReloadPlan plan = ReloadPlan.Create(listeners.Units.ToArray(), config.Units());
        if (await listeners.ApplyAsync(plan).ConfigureAwait(false) is { } error)
        {
            ReloadLog.ReloadRejected(log, error);
            return "Reload rejected (previous configuration running): " + error;
        }

        WarnAllowingEveryone(config, log);
        ReloadLog.Reloaded(log, configPath, plan.Keep.Count, plan.Open.Count, plan.Close.Count, plan.Reopen.Count);
        return Status(listeners.Count);
    }

    private static void WarnAllowingEveryone(ProxyConfig config, ILogger log)
    {
        foreach (ListenerConfig listener in config.Listeners)
        {
            if (listener.Subnets is null)
            {
                ProxyLog.ConfigurationWarning(log, $"{config.Path}: {listener.Label}: no \"allowedSubnets\": every peer may send PROXY headers to it");
            }
        }
    }

    private static string Status(int ports) =>
        string.Create(CultureInfo.InvariantCulture, $"Listening on {ports} ports");
}
