using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Hosting;

/// <summary>A UDP listener group with its own flow table and handler (its targets, close-after, table bound).</summary>
internal sealed class UdpRunningListener : IRunningListener
{
    private readonly IUdpListenerGroup _group;
    private readonly ProxyOptions _options;
    private readonly UdpCounters _counters;
    private UdpFlowTable? _table;

    private UdpRunningListener(IUdpListenerGroup group, ProxyOptions options, AllowedSubnets subnets, UdpCounters counters)
    {
        _group = group;
        _options = options;
        _counters = counters;
        Subnets = new AllowedSubnetsProvider(subnets);
    }

    public AllowedSubnetsProvider Subnets { get; }

    public Task Completion => _group.Completion;

    public int SocketCount => _group.Count;

    public int FlowCount => Volatile.Read(ref _table)?.Count ?? 0;

    public static UdpRunningListener? Bind(ProxyOptions options, AllowedSubnets subnets, UdpCounters counters, ILogger log, out string? error)
    {
        IUdpListenerGroup? group = UdpEngine.Open(options.ListenEndPoint, options.Listeners, log, TimeProvider.System, out error);
        return group is null ? null : new UdpRunningListener(group, options, subnets, counters);
    }

    public void Start(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ILogger flowLog = loggerFactory.CreateLogger(LogCategories.Connection);
        var context = new UdpFlowContext(_options.CloseAfter, TimeProvider.System, _counters, flowLog);
        var table = new UdpFlowTable(UdpFlowBudget.Cap(_options.MaxUdpFlows, loggerFactory.CreateLogger(LogCategories.Proxy)));
        var parser = new ProxyHeaderParser(new ProxyHeaderParserOptions { MaxHeaderSize = _options.MaxHeaderSize });
        var handler = new UdpDatagramHandler(parser, table, new UdpUpstreamOpener(_options.TargetV4, _options.TargetV6, _options.Mark), context);
        Volatile.Write(ref _table, table);
        _group.Start(handler, Subnets);
    }

    /// <summary>Closes the sockets and every flow: replies need the listening socket, so UDP flows cannot outlive it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _group.DisposeAsync().ConfigureAwait(false);
        _table?.Dispose();
    }
}
