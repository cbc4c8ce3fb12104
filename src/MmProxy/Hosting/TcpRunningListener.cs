using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Tcp;

namespace MmProxy.Hosting;

/// <summary>A TCP listener group with its own connection handler (its targets and timeouts).</summary>
internal sealed class TcpRunningListener : IRunningListener
{
    private readonly TcpListenerGroup _group;
    private readonly ProxyOptions _options;
    private readonly ProxyCounters _counters;

    private TcpRunningListener(TcpListenerGroup group, ProxyOptions options, AllowedSubnets subnets, ProxyCounters counters)
    {
        _group = group;
        _options = options;
        _counters = counters;
        Subnets = new AllowedSubnetsProvider(subnets);
    }

    public AllowedSubnetsProvider Subnets { get; }

    public Task Completion => _group.Completion;

    public int SocketCount => _group.Count;

    /// <summary>Binds and listens (the kernel queues connections from here on); <see cref="Start"/> accepts them.</summary>
    public static TcpRunningListener? Bind(ProxyOptions options, AllowedSubnets subnets, ProxyCounters counters, ILogger log, out string? error)
    {
        TcpListenerGroup? group = TcpListenerGroup.Open(options.ListenEndPoint, options.Listeners, options.Backlog ?? KernelLimits.MaxListenBacklog(), log, counters, out error);
        return group is null ? null : new TcpRunningListener(group, options, subnets, counters);
    }

    public void Start(ILoggerFactory loggerFactory) =>
        _group.Start(new TcpConnectionHandler(_options, Subnets, loggerFactory, _counters));

    /// <summary>Stops accepting; connections already accepted run to their end.</summary>
    public ValueTask DisposeAsync() => _group.DisposeAsync();
}
