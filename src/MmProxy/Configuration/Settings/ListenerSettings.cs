using MmProxy.ProxyProtocol;

namespace MmProxy.Configuration.Settings;

/// <summary>
/// Every tunable of a listener, in one place: the flag and the configuration field that set it,
/// its default and its limits, and its help text. The command line (<c>Cli/ProxyCommandLine</c>),
/// the configuration file (<c>ConfigFile/ConfigValidator</c>), <see cref="ProxyOptions"/>'s defaults
/// and <c>--help</c> all read them from here. The addresses (listen, targets, protocol, allowed
/// subnets) are the listener's identity rather than tunables and are parsed where they differ
/// (a configuration file also takes port ranges and inline subnets).
/// </summary>
internal static class ListenerSettings
{
    public static readonly IntegerSetting Listeners = new(
        "--listeners", [], "listeners", "N",
        "Number of listener sockets that will be opened for the listen address (SO_REUSEPORT), each with its own event loop thread",
        defaultValue: 1, min: 1, max: 1024);

    public static readonly IntegerSetting Mark = new(
        "--mark", ["-m"], "mark", "N",
        "The mark that will be set on outbound packets (SO_MARK); 0 = none",
        defaultValue: 0, min: 0, max: uint.MaxValue);

    public static readonly DurationSetting CloseAfter = new(
        "--close-after", ["-c"], "closeAfter",
        "Number of seconds after which UDP socket will be cleaned up (default: 60): a UDP flow expires this long after its last datagram either way",
        TimeSpan.FromSeconds(60), canBeOff: false, helpName: "SECONDS");

    public static readonly IntegerSetting MaxUdpFlows = new(
        "--max-udp-flows", [], "maxUdpFlows", "N",
        "Most UDP flows open at once (each holds a socket); datagrams of new flows are dropped while the table is full",
        defaultValue: 65536, min: 1, max: 16_777_216);

    public static readonly DurationSetting HeaderTimeout = new(
        "--header-timeout", [], "headerTimeout",
        "Time a connection has to deliver its PROXY header (default: 5s)",
        TimeSpan.FromSeconds(5), canBeOff: false)
    { Roles = SettingRoles.Receive };

    public static readonly IntegerSetting MaxHeaderSize = new(
        "--max-header-size", [], "maxHeaderSize", "BYTES",
        "Largest PROXY header accepted, in bytes (v2 TLVs included)",
        defaultValue: 4096, min: ProxyHeaderParserOptions.MinimumMaxHeaderSize, max: ProxyHeaderParserOptions.LargestPossibleHeader)
    { Roles = SettingRoles.Receive };

    public static readonly DurationSetting ConnectTimeout = new(
        "--connect-timeout", [], "connectTimeout",
        "Time allowed to connect to the upstream service (default: 5s)",
        TimeSpan.FromSeconds(5), canBeOff: false);

    public static readonly DurationSetting IdleTimeout = new(
        "--idle-timeout", [], "idleTimeout",
        "Close a connection when neither side sent anything for this long (default: off; 0 = off)",
        null, canBeOff: true);

    public static readonly IntegerSetting Backlog = new(
        "--backlog", [], "backlog", "N",
        "Listen backlog (default: the kernel maximum, net.core.somaxconn)",
        defaultValue: null, min: 1, max: int.MaxValue);

    public static readonly ChoiceSetting UdpHeader = new(
        "--udp-header", "udpHeader",
        "UDP: how the load balancer carries the client: v2 = a PROXY v2 header on every datagram (dnsdist, caddy-l4, udppp); "
            + "v2-first = on the first datagram of a session only (Cloudflare Spectrum \"PROXY protocol v2\" for UDP, frp); "
            + "spp = a Simple Proxy Protocol header on every datagram, and on every reply (Spectrum \"Simple Proxy Protocol\", Tencent EdgeOne)",
        HeaderFormatNames.UdpNames, "v2")
    { Roles = SettingRoles.Receive };

    public static readonly FlagSetting Transparent = new(
        "--transparent", "transparent",
        "IP_TRANSPARENT on the listening socket: it accepts connections that a TPROXY rule steers to it, for any address and port (mmproxy routing apply --tproxy PORTS --to PORT); a target without a port (-4 127.0.0.1) then means the port the client connected to")
    { Roles = SettingRoles.Receive };

    public static readonly FlagSetting DynamicDestination = new(
        "--dynamic-destination", "dynamicDestination",
        "Connect to the destination the PROXY header names instead of -4/-6, where --allowed-destinations allows it (required); LOCAL/UNKNOWN headers go to -4/-6 if given, else are closed")
    { Roles = SettingRoles.Receive };

    public static readonly ChoiceSetting SendHeader = new(
        "--header", "header",
        "The header to write: v1 (TCP only), v2 (TCP4/TCP6 on a connection, UDP4/UDP6 on every datagram), spp (UDP only: Simple Proxy Protocol on every datagram, removed from the replies)",
        HeaderFormatNames.SendNames, "v2")
    { Roles = SettingRoles.Send };

    public static readonly FlagSetting Crc32C = new(
        "--crc32c", "crc32c",
        "v2: add a CRC32C TLV, so the receiver can check the header")
    { Roles = SettingRoles.Send };

    public static readonly FlagSetting UniqueId = new(
        "--unique-id", "uniqueId",
        "v2: add a UNIQUE_ID TLV (0x05): 16 random bytes, one value per connection or UDP flow")
    { Roles = SettingRoles.Send };

    /// <summary>Measurements (README, "Measurement options"): the copy/splice switch of the TCP relay.</summary>
    public static readonly IntegerSetting SpliceThreshold = new(
        "--splice-threshold", [], "spliceThreshold", "BYTES",
        "TCP relay: a read that fills this many bytes switches its direction to splice(2) until a burst is smaller again; 0 copies every byte (default: 4096)",
        defaultValue: 4096, min: 0, max: 65536, hidden: true);

    /// <summary>Measurements: the pipe size the splicing relay asks for.</summary>
    public static readonly IntegerSetting PipeSize = new(
        "--pipe-size", [], "pipeSize", "BYTES",
        "TCP relay: the pipe size to ask for when splicing (F_SETPIPE_SZ, best effort); 0 = the kernel default, 64 KiB",
        defaultValue: 0, min: 0, max: 1 << 20, hidden: true);

    /// <summary>Measurements: UDP GSO for replies.</summary>
    public static readonly SwitchSetting UdpGso = new(
        "--udp-gso", "udpGso",
        "UDP replies: runs of equal-sized replies to one load balancer leave as one UDP GSO message (UDP_SEGMENT); off sends one message each (default: on)",
        defaultValue: true, hidden: true);

    /// <summary>Every tunable, in --help order.</summary>
    public static IReadOnlyList<Setting> All { get; } =
    [
        Listeners, Mark, CloseAfter, MaxUdpFlows, UdpHeader, Transparent, DynamicDestination, SendHeader, Crc32C, UniqueId, HeaderTimeout, MaxHeaderSize, ConnectTimeout, IdleTimeout, Backlog,
        SpliceThreshold, PipeSize, UdpGso,
    ];

    /// <summary>The configuration-file fields of a listener that are not tunables, in README order.</summary>
    public static IReadOnlyList<string> AddressFields { get; } = ["name", "role", "protocol", "listen", "ipv4", "ipv6", "remote", "allowedSubnets", "allowedDestinations"];
}
