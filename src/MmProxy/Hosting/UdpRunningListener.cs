using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Hosting;

/// <summary>A UDP listener group with its own flow table and handler (its targets, close-after, table bound).</summary>
internal sealed class UdpRunningListener : IRunningListener
{
    private readonly UdpListenerGroup _group;
    private readonly UdpFlowTable _table;

    private UdpRunningListener(UdpListenerGroup group, UdpFlowTable table, AllowedSubnetsProvider subnets)
    {
        _group = group;
        _table = table;
        Subnets = subnets;
    }

    public AllowedSubnetsProvider Subnets { get; }

    public Task Completion => _group.Completion;

    public int SocketCount => _group.Count;

    public int FlowCount => _table.Count;

    public static UdpRunningListener? Open(ProxyOptions options, AllowedSubnets subnets, UdpCounters counters, ILoggerFactory loggerFactory, ILogger log, out string? error)
    {
        TimeProvider time = TimeProvider.System;
        UdpListenerGroup? group = UdpListenerGroup.Open(options.ListenEndPoint, options.Listeners, log, time, out error);
        if (group is null)
        {
            return null;
        }

        var context = new UdpFlowContext(options.CloseAfter, time, counters, loggerFactory.CreateLogger(LogCategories.Connection));
        var table = new UdpFlowTable(options.MaxUdpFlows);
        var parser = new ProxyHeaderParser(new ProxyHeaderParserOptions { MaxHeaderSize = options.MaxHeaderSize });
        var handler = new UdpDatagramHandler(parser, table, new UdpUpstreamOpener(options.TargetV4, options.TargetV6, options.Mark), context);
        var provider = new AllowedSubnetsProvider(subnets);
        group.Start(handler, provider);
        return new UdpRunningListener(group, table, provider);
    }

    /// <summary>Closes the sockets and every flow: replies need the listening socket, so UDP flows cannot outlive it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _group.DisposeAsync().ConfigureAwait(false);
        _table.Dispose();
    }
}
