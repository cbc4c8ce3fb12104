using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Tcp;

namespace MmProxy.Hosting;

/// <summary>A TCP listener of the host: its sockets, settings and swappable allowed subnets.</summary>
internal sealed class TcpRunningListener : IRunningListener
{
    private readonly TcpListener _listener;
    private readonly ProxyOptions _options;
    private readonly ProxyCounters _counters;
    private readonly TimeProvider _time;

    private TcpRunningListener(TcpListener listener, ProxyOptions options, AllowedSubnets subnets, ProxyCounters counters, TimeProvider time)
    {
        _listener = listener;
        _options = options;
        _counters = counters;
        _time = time;
        Subnets = new AllowedSubnetsProvider(subnets);
        Destinations = options.AllowedDestinations is { } destinations ? new AllowedDestinationsProvider(destinations) : null;
    }

    public AllowedSubnetsProvider Subnets { get; }

    public AllowedDestinationsProvider? Destinations { get; }

    public Task Completion => _listener.Completion;

    public int SocketCount => _listener.Count;

    public int Backlog => _listener.Backlog;

    public System.Net.IPEndPoint EndPoint => _listener.EndPoint;

    /// <summary>Binds and listens (the kernel queues connections from here on); <see cref="Start"/> accepts them.</summary>
    public static TcpRunningListener? Bind(ProxyOptions options, AllowedSubnets subnets, ProxyCounters counters, TimeProvider time, out string? error)
    {
        TcpListener? listener = TcpListener.Open(options.ListenEndPoint, options.Listeners, options.Backlog ?? KernelLimits.MaxListenBacklog(), out error, options.Transparent);
        return listener is null ? null : new TcpRunningListener(listener, options, subnets, counters, time);
    }

    public string? Start(ILoggerFactory loggerFactory) => _listener.Start(_options, Subnets, _counters, loggerFactory, _time, Destinations);

    /// <summary>Stops accepting; connections already accepted run to their end.</summary>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
