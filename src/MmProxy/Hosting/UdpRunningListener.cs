using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Udp;

namespace MmProxy.Hosting;

/// <summary>A UDP listener of the host: its sockets, settings and swappable allowed subnets; its flows live on its loops.</summary>
internal sealed class UdpRunningListener : IRunningListener
{
    private readonly UdpListener _listener;
    private readonly ProxyOptions _options;
    private readonly UdpCounters _counters;
    private readonly TimeProvider _time;

    private UdpRunningListener(UdpListener listener, ProxyOptions options, AllowedSubnets subnets, UdpCounters counters, TimeProvider time)
    {
        _listener = listener;
        _options = options;
        _counters = counters;
        _time = time;
        Subnets = new AllowedSubnetsProvider(subnets);
    }

    public AllowedSubnetsProvider Subnets { get; }

    public AllowedDestinationsProvider? Destinations => null;

    public Task Completion => _listener.Completion;

    public int SocketCount => _listener.Count;

    public int FlowCount => _listener.FlowCount;

    public System.Net.IPEndPoint EndPoint => _listener.EndPoint;

    public static UdpRunningListener? Bind(ProxyOptions options, AllowedSubnets subnets, UdpCounters counters, TimeProvider time, out string? error)
    {
        UdpListener? listener = UdpListener.Open(options.ListenEndPoint, options.Listeners, out error);
        return listener is null ? null : new UdpRunningListener(listener, options, subnets, counters, time);
    }

    public string? Start(ILoggerFactory loggerFactory) => _listener.Start(_options, Subnets, _counters, loggerFactory, _time);

    /// <summary>The flow bound in force (--max-udp-flows, capped by the open-file limit), once started.</summary>
    public int MaxFlows => _listener.FlowLimit?.MaxFlows ?? _options.MaxUdpFlows;

    /// <summary>Closes the sockets and every flow: replies need the listening socket, so UDP flows cannot outlive it.</summary>
    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
