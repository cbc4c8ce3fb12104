using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;

namespace MmProxy.Tcp;

/// <summary>What the loops of one TCP listener share: its settings, allowed subnets, counters, loggers, accept limits and clock.</summary>
internal sealed record TcpListenerContext(
    ProxyOptions Options,
    AllowedSubnetsProvider Subnets,
    ProxyCounters Counters,
    ILogger ConnectionLog,
    ILogger ProxyLog,
    TcpAcceptLimits Limits,
    TimeProvider Time,
    AllowedDestinationsProvider? Destinations = null);
