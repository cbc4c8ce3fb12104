using System.Net;
using MmProxy.Configuration;

namespace MmProxy.Tests.TestSupport;

/// <summary>Mutable stand-in for the init-only <see cref="ProxyOptions"/> in tests (defaults as the daemon's, but a shorter connect timeout).</summary>
internal sealed class ProxyOptionsBuilder
{
    private static readonly ProxyOptions Defaults = new();

    public IPEndPoint TargetV4 { get; set; } = ProxyOptions.DefaultTargetV4;
    public IPEndPoint TargetV6 { get; set; } = ProxyOptions.DefaultTargetV6;
    public int Listeners { get; set; } = 1;
    public TimeSpan HeaderTimeout { get; set; } = TimeSpan.FromSeconds(5);
    public int MaxHeaderSize { get; set; } = 4096;
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan? IdleTimeout { get; set; }
    public int SpliceThreshold { get; set; } = Defaults.SpliceThreshold;
    public int PipeSize { get; set; }
    public TimeSpan CloseAfter { get; set; } = Defaults.CloseAfter;
    public int MaxUdpFlows { get; set; } = Defaults.MaxUdpFlows;
    public uint Mark { get; set; }
    public bool UdpGso { get; set; } = true;
    public UdpHeaderFormat UdpHeader { get; set; }
    public TransportProtocol Protocol { get; set; }
    public ListenerRole Role { get; set; }
    public SendHeaderFormat SendHeader { get; set; } = SendHeaderFormat.V2;
    public bool SendCrc32C { get; set; }
    public bool SendUniqueId { get; set; }
    public bool DynamicDestination { get; set; }
    public bool TargetsGiven { get; set; }
    public AllowedDestinations? AllowedDestinations { get; set; }

    public ProxyOptions Build() => new()
    {
        TargetV4 = TargetV4,
        TargetV6 = TargetV6,
        Listeners = Listeners,
        HeaderTimeout = HeaderTimeout,
        MaxHeaderSize = MaxHeaderSize,
        ConnectTimeout = ConnectTimeout,
        IdleTimeout = IdleTimeout,
        SpliceThreshold = SpliceThreshold,
        PipeSize = PipeSize,
        CloseAfter = CloseAfter,
        MaxUdpFlows = MaxUdpFlows,
        UdpHeader = UdpHeader,
        Protocol = Protocol,
        Role = Role,
        SendHeader = SendHeader,
        SendCrc32C = SendCrc32C,
        SendUniqueId = SendUniqueId,
        DynamicDestination = DynamicDestination,
        TargetsGiven = TargetsGiven,
        AllowedDestinations = AllowedDestinations,
        Mark = Mark,
        UdpGso = UdpGso,
        Verbosity = Verbosity.StateChanges,
    };
}
