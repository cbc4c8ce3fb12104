using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>What the loops of one UDP listener share: settings, allowed subnets, the header parser, the flow opener and bound, reporting, clock.</summary>
internal sealed class UdpListenerContext
{
    public UdpListenerContext(ProxyOptions options, AllowedSubnetsProvider subnets, UdpCounters counters, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Options = options;
        Subnets = subnets;
        Time = time;
        ProxyLog = loggerFactory.CreateLogger(Diagnostics.LogCategories.Proxy);
        Report = new UdpReport(counters, loggerFactory.CreateLogger(Diagnostics.LogCategories.Connection), time,
            options.Role == ListenerRole.Send ? "send " + HeaderFormatNames.Name(options.SendHeader) : HeaderFormatNames.Name(options.UdpHeader));
        Parser = new ProxyHeaderParser(new ProxyHeaderParserOptions { MaxHeaderSize = options.MaxHeaderSize });
        Opener = new UdpUpstreamOpener(options.TargetV4, options.TargetV6, options.Mark);
        Limit = UdpFlowLimit.Create(options.MaxUdpFlows, ProxyLog);
    }

    public ProxyOptions Options { get; }

    public AllowedSubnetsProvider Subnets { get; }

    public TimeProvider Time { get; }

    public ILogger ProxyLog { get; }

    public UdpReport Report { get; }

    public UdpCounters Counters => Report.Counters;

    public ProxyHeaderParser Parser { get; }

    public UdpUpstreamOpener Opener { get; }

    public UdpFlowLimit Limit { get; }
}
