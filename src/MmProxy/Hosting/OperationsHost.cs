using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Diagnostics.Metrics;
using MmProxy.Hosting.Systemd;
using MmProxy.Routing;

namespace MmProxy.Hosting;

/// <summary>
/// Everything around the data path that operators see: the metrics endpoint (/metrics, /healthz),
/// systemd notifications, and the startup checks. The host calls <see cref="OnListening"/> once
/// every listener is bound and <see cref="OnStopping"/> when a stop signal arrives.
/// </summary>
internal sealed class OperationsHost : IAsyncDisposable
{
    private static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(5);

    private readonly OperationsOptions _operations;
    private readonly ProxyOptions _options;
    private readonly ILogger _log;
    private readonly SystemdIntegration _systemd;
    private readonly CancellationTokenSource _stopping = new();
    private ProxyMetrics? _metrics;
    private PrometheusExporter? _exporter;
    private MetricsEndpoint? _endpoint;
    private Task _checks = Task.CompletedTask;
    private volatile bool _ready;

    private OperationsHost(OperationsOptions operations, ProxyOptions options, ILogger log)
    {
        _operations = operations;
        _options = options;
        _log = log;
        _systemd = SystemdIntegration.FromEnvironment(log);
    }

    /// <summary>Set when the metrics endpoint could not listen: the proxy must not start.</summary>
    public string? StartupError { get; private set; }

    public ProxyMetrics? Metrics => _metrics;

    /// <summary>Listeners bound and not stopping: what /healthz reports.</summary>
    public bool IsReady => _ready;

    public static OperationsHost Start(OperationsOptions operations, ProxyOptions options, ProxyCounters counters, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(log);
        var host = new OperationsHost(operations, options, log);
        if (operations.MetricsEndPoint is { } endPoint)
        {
            host._metrics = new ProxyMetrics(counters);
            host._exporter = new PrometheusExporter(host._metrics.Meter);
            var router = new MetricsRequestRouter(host._exporter.Scrape, () => host._ready);
            host._endpoint = MetricsEndpoint.Open(endPoint, router, log, out string? error);
            host.StartupError = error;
            host._endpoint?.Start();
        }

        return host;
    }

    /// <summary>Every listener is bound: healthy, READY=1, and the startup checks (in the background, so they cost no startup time).</summary>
    public void OnListening(string status)
    {
        _ready = true;
        _systemd.Ready(status);
        if (!_operations.Quiet && _options.Role == ListenerRole.Receive)
        {
            _checks = StartupChecks.RunAsync(_options, _operations.RoutingTable, _log, _stopping.Token);
        }
    }

    /// <summary>SIGHUP: RELOADING=1 until <see cref="OnReloaded"/>.</summary>
    public void OnReloading() => _systemd.Reloading();

    /// <summary>A reload ended (applied or rejected): READY=1 with a status saying which.</summary>
    public void OnReloaded(string status) => _systemd.Ready(status);

    public void OnStopping(string status)
    {
        _ready = false;
        // The drain may outlast TimeoutStopSec=: ask for its length plus a margin for the exit.
        _systemd.Stopping(status, _operations.ShutdownTimeout > TimeSpan.Zero ? _operations.ShutdownTimeout + StopMargin : null);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _checks.ConfigureAwait(false);
        if (_endpoint is not null)
        {
            await _endpoint.DisposeAsync().ConfigureAwait(false);
        }

        _exporter?.Dispose();
        _metrics?.Dispose();
        await _systemd.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
