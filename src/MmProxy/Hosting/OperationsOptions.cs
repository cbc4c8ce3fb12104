using System.Net;
using MmProxy.Routing;

namespace MmProxy.Hosting;

/// <summary>Operational flags of the proxy (not go-mmproxy's): startup checks, metrics endpoint.</summary>
internal sealed class OperationsOptions
{
    public static readonly OperationsOptions Default = new();

    /// <summary>--quiet: skip the startup checks (IP_TRANSPARENT, return routes).</summary>
    public bool Quiet { get; init; }

    /// <summary>--metrics ADDR:PORT: serve /metrics and /healthz there; null = off.</summary>
    public IPEndPoint? MetricsEndPoint { get; init; }

    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>--shutdown-timeout: on SIGTERM/SIGINT, how long open connections may take to finish; 0 = close at once.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = DefaultShutdownTimeout;

    /// <summary>The table the startup checks name in their fixes (as `mmproxy routing apply --table`).</summary>
    public int RoutingTable { get; init; } = RoutingRecipe.DefaultTable;
}
