using System.Net;

namespace MmProxy.Configuration;

/// <summary>
/// Everything the command line decides, validated. Shared by the TCP and UDP data paths; immutable.
/// </summary>
internal sealed class ProxyOptions
{
    public static readonly IPEndPoint DefaultListen = new(IPAddress.Any, 8443);
    public static readonly IPEndPoint DefaultTargetV4 = new(IPAddress.Loopback, 443);
    public static readonly IPEndPoint DefaultTargetV6 = new(IPAddress.IPv6Loopback, 443);
    public static readonly TimeSpan DefaultHeaderTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultCloseAfter = TimeSpan.FromSeconds(60);
    public const int DefaultMaxHeaderSize = 4096;
    public const int DefaultMaxUdpFlows = 65536;

    public TransportProtocol Protocol { get; init; } = TransportProtocol.Tcp;
    public IPEndPoint ListenEndPoint { get; init; } = DefaultListen;
    public IPEndPoint TargetV4 { get; init; } = DefaultTargetV4;
    public IPEndPoint TargetV6 { get; init; } = DefaultTargetV6;

    /// <summary>Null: no file given, every peer is allowed.</summary>
    public string? AllowedSubnetsPath { get; init; }

    public int Listeners { get; init; } = 1;

    /// <summary>SO_MARK for upstream sockets; 0 = none.</summary>
    public uint Mark { get; init; }

    /// <summary>UDP flow expiry.</summary>
    public TimeSpan CloseAfter { get; init; } = DefaultCloseAfter;

    /// <summary>UDP flow table bound; when full, datagrams of new flows are dropped (and counted).</summary>
    public int MaxUdpFlows { get; init; } = DefaultMaxUdpFlows;

    public Verbosity Verbosity { get; init; } = Verbosity.Quiet;
    public TimeSpan HeaderTimeout { get; init; } = DefaultHeaderTimeout;
    public int MaxHeaderSize { get; init; } = DefaultMaxHeaderSize;
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>Null: connections may idle forever.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Null: the kernel maximum (net.core.somaxconn).</summary>
    public int? Backlog { get; init; }

    public LogFormat LogFormat { get; init; } = LogFormat.Text;
}
