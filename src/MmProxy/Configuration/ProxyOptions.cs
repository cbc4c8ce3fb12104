using System.Net;
using MmProxy.Configuration.Settings;

namespace MmProxy.Configuration;

/// <summary>
/// One listener's validated settings (from the flags, or one port of a configuration file's
/// listener), immutable. The tunables' defaults and limits live in <see cref="ListenerSettings"/>.
/// </summary>
internal sealed record ProxyOptions
{
    public static readonly IPEndPoint DefaultListen = new(IPAddress.Any, 8443);
    public static readonly IPEndPoint DefaultTargetV4 = new(IPAddress.Loopback, 443);
    public static readonly IPEndPoint DefaultTargetV6 = new(IPAddress.IPv6Loopback, 443);

    public TransportProtocol Protocol { get; init; } = TransportProtocol.Tcp;

    /// <summary>Receive: strip the header and spoof the client. Send: write the header; the targets are both the remote.</summary>
    public ListenerRole Role { get; init; } = ListenerRole.Receive;
    public IPEndPoint ListenEndPoint { get; init; } = DefaultListen;
    public IPEndPoint TargetV4 { get; init; } = DefaultTargetV4;
    public IPEndPoint TargetV6 { get; init; } = DefaultTargetV6;

    /// <summary>Null: no file given (every peer is allowed, or the configuration file lists them inline).</summary>
    public string? AllowedSubnetsPath { get; init; }

    public int Listeners { get; init; } = ListenerSettings.Listeners.IntOrDefault(null);

    /// <summary>SO_MARK for upstream sockets; 0 = none.</summary>
    public uint Mark { get; init; }

    /// <summary>UDP flow expiry.</summary>
    public TimeSpan CloseAfter { get; init; } = ListenerSettings.CloseAfter.Default!.Value;

    /// <summary>UDP flow table bound; when full, datagrams of new flows are dropped (and counted).</summary>
    public int MaxUdpFlows { get; init; } = ListenerSettings.MaxUdpFlows.IntOrDefault(null);

    /// <summary>UDP: where the client address is in the datagrams (v2 on each, v2 on the first of a session, SPP).</summary>
    public UdpHeaderFormat UdpHeader { get; init; } = HeaderFormatNames.Parse(ListenerSettings.UdpHeader.Default);

    /// <summary>The listening socket is IP_TRANSPARENT: it takes connections a TPROXY rule steers to it (any address, any port).</summary>
    public bool Transparent { get; init; }

    /// <summary>The upstream is the header's destination, where <see cref="AllowedDestinations"/> allows it.</summary>
    public bool DynamicDestination { get; init; }

    /// <summary>--allowed-destinations, read; required with <see cref="DynamicDestination"/>.</summary>
    public AllowedDestinations? AllowedDestinations { get; init; }

    /// <summary>--allowed-destinations FILE (re-read on SIGHUP); null for an inline list or none.</summary>
    public string? AllowedDestinationsPath { get; init; }

    /// <summary>Dynamic destination: -4/-6 were given, so LOCAL and UNKNOWN headers go there (else they are closed).</summary>
    public bool TargetsGiven { get; init; }

    /// <summary>Send: the header written.</summary>
    public SendHeaderFormat SendHeader { get; init; } = HeaderFormatNames.ParseSend(ListenerSettings.SendHeader.Default);

    /// <summary>Send, v2: a CRC32C TLV.</summary>
    public bool SendCrc32C { get; init; }

    /// <summary>Send, v2: a UNIQUE_ID TLV per connection or flow.</summary>
    public bool SendUniqueId { get; init; }

    public Verbosity Verbosity { get; init; } = Verbosity.Quiet;
    public TimeSpan HeaderTimeout { get; init; } = ListenerSettings.HeaderTimeout.Default!.Value;
    public int MaxHeaderSize { get; init; } = ListenerSettings.MaxHeaderSize.IntOrDefault(null);
    public TimeSpan ConnectTimeout { get; init; } = ListenerSettings.ConnectTimeout.Default!.Value;

    /// <summary>Null: connections may idle forever.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Null: the kernel maximum (net.core.somaxconn).</summary>
    public int? Backlog { get; init; }

    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>TCP relay: reads that fill this many bytes switch a direction to splice(2); 0 copies everything.</summary>
    public int SpliceThreshold { get; init; } = ListenerSettings.SpliceThreshold.IntOrDefault(null);

    /// <summary>TCP relay: the pipe size asked for when splicing; 0 = the kernel default (64 KiB).</summary>
    public int PipeSize { get; init; } = ListenerSettings.PipeSize.IntOrDefault(null);

    /// <summary>UDP replies: equal-sized runs to one load balancer leave as one GSO message.</summary>
    public bool UdpGso { get; init; } = ListenerSettings.UdpGso.Default;
}
