using System.Diagnostics;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.Tcp;
using MmProxy.Udp;

namespace MmProxy.Hosting;

/// <summary>
/// Runs the proxy: logging, allowed subnets, a capability check, listeners, then waits for
/// SIGINT/SIGTERM (exit 0 after closing the listeners) or a fatal listener error (exit 1).
/// </summary>
internal static class ProxyApplication
{
    public static Task<int> RunAsync(ProxyOptions options, CancellationToken cancellationToken) =>
        RunAsync(options, OperationsOptions.Default, cancellationToken);

    public static async Task<int> RunAsync(ProxyOptions options, OperationsOptions operations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        long started = Stopwatch.GetTimestamp();

        // Logging setup is the slowest step of startup (mostly JIT): build it on another core
        // while the subnets load and the listeners open, then report what happened in order.
        Task<ILoggerFactory> logging = Task.Run(() => LoggingSetup.Create(options.LogFormat, options.Verbosity));
        AllowedSubnetsLoadResult? loaded = options.AllowedSubnetsPath is null ? null : AllowedSubnetsLoader.LoadFile(options.AllowedSubnetsPath);
        string? capabilityError = loaded is null or { Succeeded: true } ? TransparentCapability.Check() : null;
        var counters = new ProxyCounters();
        var listenerLog = new DeferredLogger();
        string? listenError = null;
        TcpListenerGroup? listeners = options.Protocol == TransportProtocol.Tcp && loaded is null or { Succeeded: true } && capabilityError is null
            ? TcpListenerGroup.Open(options.ListenEndPoint, options.Listeners, options.Backlog ?? KernelLimits.MaxListenBacklog(), listenerLog, counters, out listenError)
            : null;
        try
        {
            using ILoggerFactory loggerFactory = await logging.ConfigureAwait(false);
            ILogger log = loggerFactory.CreateLogger(LogCategories.Proxy);
            listenerLog.Target = log;
            return await RunAsync(options, operations, loaded, capabilityError, listeners, listenError, counters, loggerFactory, log, started, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (listeners is not null)
            {
                await listeners.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> RunAsync(
        ProxyOptions options,
        OperationsOptions operations,
        AllowedSubnetsLoadResult? loaded,
        string? capabilityError,
        TcpListenerGroup? listeners,
        string? listenError,
        ProxyCounters counters,
        ILoggerFactory loggerFactory,
        ILogger log,
        long started,
        CancellationToken cancellationToken)
    {
        ProxyLog.Starting(log, Version, options.Protocol == TransportProtocol.Udp ? "udp" : "tcp",
            options.ListenEndPoint, options.TargetV4, options.TargetV6, options.Mark);
        if (!ReportSubnets(options, loaded, log, out AllowedSubnetsProvider? subnets))
        {
            return ExitCodes.Failure;
        }

        if (capabilityError is not null)
        {
            ProxyLog.StartupFailed(log, capabilityError);
            return ExitCodes.Failure;
        }

        using var signals = new StopSignals(cancellationToken);
        OperationsHost operationsHost = OperationsHost.Start(operations, options, counters, log);
        await using var operationsScope = operationsHost.ConfigureAwait(false);
        if (operationsHost.StartupError is { } operationsError)
        {
            ProxyLog.StartupFailed(log, operationsError);
            return ExitCodes.Failure;
        }

        using var sighup = new ReloadSubnetsOnHangup(options.AllowedSubnetsPath, subnets!, operationsHost, log);
        if (options.Protocol == TransportProtocol.Udp)
        {
            return await UdpProxyService.RunAsync(options, subnets!, loggerFactory, started, () => signals.Reason, operationsHost, signals.Stopping).ConfigureAwait(false);
        }

        if (listeners is null)
        {
            ProxyLog.StartupFailed(log, listenError!);
            return ExitCodes.Failure;
        }

        int exitCode = ExitCodes.Success;
        {
            var handler = new TcpConnectionHandler(options, subnets!, loggerFactory, counters);
            listeners.Start(handler);
            ProxyLog.Listening(log, listeners.EndPoint, listeners.Count, listeners.Backlog);
            operationsHost.OnListening($"Listening on {listeners.EndPoint}");
            ProxyLog.StartupTime(log, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);

            Task stopped = Task.Delay(Timeout.Infinite, signals.Stopping);
            Task first = await Task.WhenAny(stopped, listeners.Completion).ConfigureAwait(false);
            operationsHost.OnStopping(first == listeners.Completion ? "A listener failed" : "Stopping");
            if (first == listeners.Completion)
            {
                exitCode = ExitCodes.Failure;
            }
            else
            {
                ProxyLog.Stopping(log, signals.Reason);
            }

            await listeners.DisposeAsync().ConfigureAwait(false);
            if (exitCode == ExitCodes.Success)
            {
                await ConnectionDrain.RunAsync(counters, operations.ShutdownTimeout, log, signals.DrainAborted).ConfigureAwait(false);
            }
        }

        ProxyLog.Stopped(log, counters.Accepted, counters.Active);
        return exitCode;
    }

    private static string Version =>
        typeof(ProxyApplication).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static bool ReportSubnets(ProxyOptions options, AllowedSubnetsLoadResult? loaded, ILogger log, out AllowedSubnetsProvider? provider)
    {
        provider = null;
        if (loaded is null)
        {
            ProxyLog.AllowingEveryone(log);
            provider = new AllowedSubnetsProvider(AllowedSubnets.AllowAll);
            return true;
        }

        foreach (string warning in loaded.Warnings)
        {
            ProxyLog.ConfigurationWarning(log, warning);
        }

        if (!loaded.Succeeded)
        {
            ProxyLog.StartupFailed(log, loaded.Error!);
            return false;
        }

        ProxyLog.SubnetsLoaded(log, loaded.Subnets!.Networks.Count, options.AllowedSubnetsPath!);
        provider = new AllowedSubnetsProvider(loaded.Subnets);
        return true;
    }
}
