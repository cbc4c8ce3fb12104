using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Tcp;

namespace MmProxy.Hosting;

/// <summary>A TCP listener group with its own connection handler (its targets and timeouts).</summary>
internal sealed class TcpRunningListener : IRunningListener
{
    private readonly TcpListenerGroup _group;

    private TcpRunningListener(TcpListenerGroup group, AllowedSubnetsProvider subnets)
    {
        _group = group;
        Subnets = subnets;
    }

    public AllowedSubnetsProvider Subnets { get; }

    public Task Completion => _group.Completion;

    public int SocketCount => _group.Count;

    public static TcpRunningListener? Open(ProxyOptions options, AllowedSubnets subnets, ILoggerFactory loggerFactory, ProxyCounters counters, ILogger log, out string? error)
    {
        TcpListenerGroup? group = TcpListenerGroup.Open(options.ListenEndPoint, options.Listeners, options.Backlog ?? KernelLimits.MaxListenBacklog(), log, counters, out error);
        if (group is null)
        {
            return null;
        }

        var provider = new AllowedSubnetsProvider(subnets);
        group.Start(new TcpConnectionHandler(options, provider, loggerFactory, counters));
        return new TcpRunningListener(group, provider);
    }

    /// <summary>Stops accepting; connections already accepted run to their end.</summary>
    public ValueTask DisposeAsync() => _group.DisposeAsync();
}
