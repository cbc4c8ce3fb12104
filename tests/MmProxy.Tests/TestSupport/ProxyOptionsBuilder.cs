using System.Net;
using MmProxy.Configuration;

namespace MmProxy.Tests.TestSupport;

/// <summary>Mutable stand-in for the init-only <see cref="ProxyOptions"/> in tests.</summary>
internal sealed class ProxyOptionsBuilder
{
    public IPEndPoint TargetV4 { get; set; } = ProxyOptions.DefaultTargetV4;
    public IPEndPoint TargetV6 { get; set; } = ProxyOptions.DefaultTargetV6;
    public int Listeners { get; set; } = 1;
    public TimeSpan HeaderTimeout { get; set; } = TimeSpan.FromSeconds(5);
    public int MaxHeaderSize { get; set; } = 4096;
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan? IdleTimeout { get; set; }

    public ProxyOptions Build() => new()
    {
        TargetV4 = TargetV4,
        TargetV6 = TargetV6,
        Listeners = Listeners,
        HeaderTimeout = HeaderTimeout,
        MaxHeaderSize = MaxHeaderSize,
        ConnectTimeout = ConnectTimeout,
        IdleTimeout = IdleTimeout,
        Verbosity = Verbosity.StateChanges,
    };
}
