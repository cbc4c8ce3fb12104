using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using MmProxy.Configuration;
using MmProxy.Configuration.Settings;

namespace MmProxy.Cli;

/// <summary>
/// The options of one listener on the command line: the root command's (the receiving side:
/// go-mmproxy's flags with its defaults, mmproxy-rs's names as aliases, and our additions as GNU
/// long options) or <c>mmproxy send</c>'s (-r REMOTE instead of -4/-6, the header to write). Every
/// tunable is generated from its <see cref="ListenerSettings"/> entry (name, default, limits, help)
/// where its role applies. Turns a parse result into <see cref="ProxyOptions"/>.
/// </summary>
internal sealed class ProxyCommandLine
{
    public ProxyCommandLine(ListenerRole role = ListenerRole.Receive)
    {
        Role = role;
        Remote = new Option<IPEndPoint>("-r", "--remote")
        {
            Description = "Address of the receiving side (mmproxy, HAProxy with accept-proxy, go-mmproxy, …) that gets the header and the traffic",
            HelpName = "IP:PORT",
            CustomParser = SettingOptions.ParseEndPoint,
        };
        Listen = new Option<IPEndPoint>("-l", "--listen-addr")
        {
            Description = "Address the proxy listens on",
            HelpName = "IP:PORT",
            DefaultValueFactory = _ => ProxyOptions.DefaultListen,
            CustomParser = SettingOptions.ParseEndPoint,
        };
        TargetV4 = new Option<IPEndPoint>("-4", "--ipv4")
        {
            Description = "Address to which IPv4 traffic will be forwarded to (the address alone, with --transparent: the port the client connected to)",
            HelpName = "IP:PORT",
            DefaultValueFactory = _ => ProxyOptions.DefaultTargetV4,
            CustomParser = SettingOptions.ParseTarget,
        };
        TargetV6 = new Option<IPEndPoint>("-6", "--ipv6")
        {
            Description = "Address to which IPv6 traffic will be forwarded to (the address alone, with --transparent: the port the client connected to)",
            HelpName = "IP:PORT",
            DefaultValueFactory = _ => ProxyOptions.DefaultTargetV6,
            CustomParser = SettingOptions.ParseTarget,
        };
        Protocol = new Option<string>("-p", "--protocol")
        {
            Description = "Protocol that will be proxied: tcp, udp",
            HelpName = "tcp|udp",
            DefaultValueFactory = _ => "tcp",
            CustomParser = r => SettingOptions.ParseChoice(r, "tcp", "udp"),
        };
        AllowedSubnets = new Option<string?>("--allowed-subnets", "-a")
        {
            Description = role == ListenerRole.Send
                ? "Path to a file of the client subnets allowed to connect (one CIDR a line, # comments); without it every client is allowed"
                : "Path to a file that contains allowed subnets of the proxy servers (one CIDR a line, # comments); without it every peer is allowed",
            HelpName = "PATH",
        };
        AllowedDestinations = new Option<string?>("--allowed-destinations")
        {
            Description = "With --dynamic-destination: a file of the destinations it may connect to, a line each: CIDR, CIDR PORT or CIDR FIRST-LAST (# comments)",
            HelpName = "FILE",
        };
        Verbose = new Option<int>("-v")
        {
            Description = "0 - no logging of individual connections; 1 - log errors occurring in individual connections; 2 - log all state changes of individual connections",
            HelpName = "0|1|2",
            DefaultValueFactory = _ => 0,
            CustomParser = r => (int)SettingOptions.ParseInteger(r, 0, 2),
        };
        LogFormat = new Option<string>("--log-format")
        {
            Description = "Log output format: text, json",
            HelpName = "text|json",
            DefaultValueFactory = _ => "text",
            CustomParser = r => SettingOptions.ParseChoice(r, "text", "json"),
        };
        SettingRoles applies = role == ListenerRole.Send ? SettingRoles.Send : SettingRoles.Receive;
        foreach (Setting setting in ListenerSettings.All)
        {
            if ((setting.Roles & applies) != 0)
            {
                _tunables.Add(setting, SettingOptions.For(setting));
            }
        }
    }

    private readonly Dictionary<Setting, Option> _tunables = [];

    public ListenerRole Role { get; }

    public Option<IPEndPoint> Listen { get; }

    /// <summary>Send only.</summary>
    public Option<IPEndPoint> Remote { get; }
    public Option<IPEndPoint> TargetV4 { get; }
    public Option<IPEndPoint> TargetV6 { get; }
    public Option<string> Protocol { get; }
    public Option<string?> AllowedSubnets { get; }

    /// <summary>Receive only.</summary>
    public Option<string?> AllowedDestinations { get; }
    public Option<int> Verbose { get; }
    public Option<string> LogFormat { get; }

    /// <summary>Every option of one listener plus -v and --log-format (process-wide, allowed with --config).</summary>
    public IEnumerable<Option> All => Role == ListenerRole.Send
        ? [Listen, Remote, Protocol, AllowedSubnets, .. _tunables.Values, Verbose, LogFormat]
        : [Listen, TargetV4, TargetV6, Protocol, AllowedSubnets, AllowedDestinations, .. _tunables.Values, Verbose, LogFormat];

    /// <summary>The option generated for a tunable of <see cref="ListenerSettings"/>.</summary>
    public Option OptionFor(Setting setting) => _tunables[setting];

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in All)
        {
            command.Options.Add(option);
        }

        if (Role == ListenerRole.Receive)
        {
            command.Validators.Add(ValidateTargets);
        }
    }

    /// <summary>Call only on a parse result without errors.</summary>
    public ProxyOptions ToProxyOptions(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string? subnets = result.GetValue(AllowedSubnets);
        ProxyOptions common = new()
        {
            Role = Role,
            Protocol = result.GetValue(Protocol) == "udp" ? TransportProtocol.Udp : TransportProtocol.Tcp,
            ListenEndPoint = result.GetValue(Listen) ?? ProxyOptions.DefaultListen,
            AllowedSubnetsPath = string.IsNullOrEmpty(subnets) ? null : subnets,
            Listeners = Integer(result, ListenerSettings.Listeners),
            Mark = (uint)result.GetValue((Option<long?>)OptionFor(ListenerSettings.Mark))!.Value,
            CloseAfter = Duration(result, ListenerSettings.CloseAfter)!.Value,
            MaxUdpFlows = Integer(result, ListenerSettings.MaxUdpFlows),
            Verbosity = (Verbosity)result.GetValue(Verbose),
            ConnectTimeout = Duration(result, ListenerSettings.ConnectTimeout)!.Value,
            IdleTimeout = Duration(result, ListenerSettings.IdleTimeout),
            Backlog = result.GetValue((Option<long?>)OptionFor(ListenerSettings.Backlog)) is { } backlog ? (int)backlog : null,
            LogFormat = result.GetValue(LogFormat) == "json" ? Configuration.LogFormat.Json : Configuration.LogFormat.Text,
            SpliceThreshold = Integer(result, ListenerSettings.SpliceThreshold),
            PipeSize = Integer(result, ListenerSettings.PipeSize),
            UdpGso = result.GetValue((Option<string>)OptionFor(ListenerSettings.UdpGso)) == "on",
        };
        if (Role == ListenerRole.Send)
        {
            IPEndPoint remote = result.GetValue(Remote)!;
            return common with
            {
                TargetV4 = remote,
                TargetV6 = remote,
                SendHeader = HeaderFormatNames.ParseSend(result.GetValue((Option<string>)OptionFor(ListenerSettings.SendHeader))!),
                SendCrc32C = result.GetValue((Option<bool>)OptionFor(ListenerSettings.Crc32C)),
                SendUniqueId = result.GetValue((Option<bool>)OptionFor(ListenerSettings.UniqueId)),
            };
        }

        string? destinations = result.GetValue(AllowedDestinations);
        return common with
        {
            Transparent = result.GetValue((Option<bool>)OptionFor(ListenerSettings.Transparent)),
            DynamicDestination = result.GetValue((Option<bool>)OptionFor(ListenerSettings.DynamicDestination)),
            AllowedDestinationsPath = string.IsNullOrEmpty(destinations) ? null : destinations,
            TargetsGiven = result.GetResult(TargetV4) is { Implicit: false } || result.GetResult(TargetV6) is { Implicit: false },
            TargetV4 = result.GetValue(TargetV4) ?? ProxyOptions.DefaultTargetV4,
            TargetV6 = result.GetValue(TargetV6) ?? ProxyOptions.DefaultTargetV6,
            HeaderTimeout = Duration(result, ListenerSettings.HeaderTimeout)!.Value,
            MaxHeaderSize = Integer(result, ListenerSettings.MaxHeaderSize),
            UdpHeader = HeaderFormatNames.Parse(result.GetValue((Option<string>)OptionFor(ListenerSettings.UdpHeader))!),
        };
    }

    /// <summary>What cannot work, refused at start: a port-less target without TPROXY, a dynamic destination without a list.</summary>
    private void ValidateTargets(CommandResult result)
    {
        bool transparent = result.GetValue((Option<bool>)OptionFor(ListenerSettings.Transparent));
        bool dynamic = result.GetValue((Option<bool>)OptionFor(ListenerSettings.DynamicDestination));
        if (!transparent && !dynamic && (result.GetValue(TargetV4)?.Port == 0 || result.GetValue(TargetV6)?.Port == 0))
        {
            result.AddError("a target without a port (or port 0) means the port the client connected to, which only a TPROXY listener has: add --transparent, or give -4/-6 IP:PORT");
        }

        if ((transparent || dynamic) && result.GetValue(Protocol) == "udp")
        {
            result.AddError("--transparent and --dynamic-destination are TCP only for now (UDP TPROXY needs the original destination of every datagram and replies from it, not implemented yet)");
        }

        if (dynamic && string.IsNullOrEmpty(result.GetValue(AllowedDestinations)))
        {
            result.AddError("--dynamic-destination needs --allowed-destinations FILE: without a list the proxy would connect wherever a header points (an open relay); list the destinations, e.g. a line \"127.0.0.1/32 8000-8999\"");
        }
    }

    private int Integer(ParseResult result, IntegerSetting setting) =>
        setting.IntOrDefault(result.GetValue((Option<long?>)OptionFor(setting)));

    // "Off" parses as zero (System.CommandLine cannot carry a null out of a custom parser).
    private TimeSpan? Duration(ParseResult result, DurationSetting setting) =>
        result.GetResult(OptionFor(setting)) is { Implicit: false }
            ? result.GetValue((Option<TimeSpan?>)OptionFor(setting)) is { } value && value > TimeSpan.Zero ? value : null
            : setting.Default;
}
