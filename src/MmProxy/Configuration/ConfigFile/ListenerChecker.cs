using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MmProxy.Cli;
using MmProxy.Configuration.Settings;
using MmProxy.ProxyProtocol;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>Checks the fields of one listener; the first problem lands in <see cref="Error"/>.</summary>
internal sealed class ListenerChecker(string source, int index, string? name, string baseDirectory, List<string> warnings)
{
    public string? Error { get; private set; }

    public ListenerConfig? Listener(ListenerDocument d)
    {
        if (name is not null && (name.Length == 0 || name.Length > 64 || name.Any(char.IsControl)))
        {
            return Fail("name", "a name is 1 to 64 printable characters (or leave \"name\" out)");
        }

        TransportProtocol protocol = TransportProtocol.Tcp;
        if (d.Protocol is not null)
        {
            if (string.Equals(d.Protocol, "tcp", StringComparison.OrdinalIgnoreCase))
            {
                protocol = TransportProtocol.Tcp;
            }
            else if (string.Equals(d.Protocol, "udp", StringComparison.OrdinalIgnoreCase))
            {
                protocol = TransportProtocol.Udp;
            }
            else
            {
                return Fail("protocol", $"'{ConfigErrors.Printable(d.Protocol)}' is not a protocol: use \"tcp\" or \"udp\"");
            }
        }

        if (d.Listen is null)
        {
            return Fail("listen", "missing: give the address and port (or range) to listen on, for example \"0.0.0.0:8443\" or \"[::]:10000-10009\"");
        }

        if (!TryAddressAndPorts(d.Listen, "listen", null, out IPAddress? listenAddress, out PortRange listenPorts))
        {
            return null;
        }

        if (!TryRole(d, protocol, out ListenerRole role, out SendHeaderFormat sendHeader))
        {
            return null;
        }

        IPAddress v4Address = ProxyOptions.DefaultTargetV4.Address;
        PortRange v4Ports = new(ProxyOptions.DefaultTargetV4.Port, 1);
        IPAddress v6Address = ProxyOptions.DefaultTargetV6.Address;
        PortRange v6Ports = new(ProxyOptions.DefaultTargetV6.Port, 1);
        if (role == ListenerRole.Send)
        {
            // The sender has one remote for every client, of either family.
            if (!TryTarget(d.Remote!, "remote", null, listenPorts, out v4Address, out v4Ports))
            {
                return null;
            }

            (v6Address, v6Ports) = (v4Address, v4Ports);
        }

        bool transparent = d.Transparent ?? false;
        bool dynamic = d.DynamicDestination ?? false;
        if ((transparent || dynamic) && (protocol == TransportProtocol.Udp || role == ListenerRole.Send))
        {
            return Fail(transparent ? "transparent" : "dynamicDestination", "applies to receiving TCP listeners only (UDP TPROXY is not implemented yet)");
        }

        if (dynamic && d.AllowedDestinations is null)
        {
            return Fail("allowedDestinations", "missing: \"dynamicDestination\" needs the list of destinations it may connect to (a file, or a list such as [\"127.0.0.1/32 8000-8999\"]); without it the proxy would be an open relay");
        }

        if (d.Ipv4 is not null && !TryTarget(d.Ipv4, "ipv4", AddressFamily.InterNetwork, listenPorts, out v4Address, out v4Ports, portless: transparent || dynamic))
        {
            return null;
        }

        if (d.Ipv6 is not null && !TryTarget(d.Ipv6, "ipv6", AddressFamily.InterNetworkV6, listenPorts, out v6Address, out v6Ports, portless: transparent || dynamic))
        {
            return null;
        }

        var allowLists = new ListenerAllowLists(source, index, name, baseDirectory, warnings);
        if (!allowLists.TrySubnets(d.AllowedSubnets, out AllowedSubnets? subnets, out string? subnetsSource, out string? subnetsPath)
            || !allowLists.TryDestinations(d.AllowedDestinations, out AllowedDestinations? destinations, out string? destinationsPath))
        {
            Error = allowLists.Error;
            return null;
        }

        if (!TryInteger(ListenerSettings.Mark, d.Mark, out long mark)
            || !TryInteger(ListenerSettings.Listeners, d.Listeners, out long sockets)
            || !TryInteger(ListenerSettings.MaxUdpFlows, d.MaxUdpFlows, out long maxUdpFlows)
            || !TryInteger(ListenerSettings.MaxHeaderSize, d.MaxHeaderSize, out long maxHeaderSize)
            || !TryInteger(ListenerSettings.Backlog, d.Backlog, out long backlog)
            || !TryInteger(ListenerSettings.SpliceThreshold, d.SpliceThreshold, out long spliceThreshold)
            || !TryInteger(ListenerSettings.PipeSize, d.PipeSize, out long pipeSize))
        {
            return null;
        }

        if (!TryDuration(ListenerSettings.HeaderTimeout, d.HeaderTimeout, out TimeSpan? headerTimeout)
            || !TryDuration(ListenerSettings.ConnectTimeout, d.ConnectTimeout, out TimeSpan? connectTimeout)
            || !TryDuration(ListenerSettings.IdleTimeout, d.IdleTimeout, out TimeSpan? idleTimeout)
            || !TryDuration(ListenerSettings.CloseAfter, d.CloseAfter, out TimeSpan? closeAfter))
        {
            return null;
        }

        string udpHeader = ListenerSettings.UdpHeader.Default;
        if (d.UdpHeader is { } header && !ListenerSettings.UdpHeader.TryParse(header, out udpHeader))
        {
            return Fail(ListenerSettings.UdpHeader.Field, $"\"{ConfigErrors.Printable(header)}\" is not {ListenerSettings.UdpHeader.Expected}");
        }

        if (protocol == TransportProtocol.Tcp && (d.CloseAfter is not null || d.MaxUdpFlows is not null || d.UdpGso is not null || d.UdpHeader is not null))
        {
            warnings.Add($"{source}: {ConfigErrors.Label(index, name)}: \"closeAfter\", \"maxUdpFlows\", \"udpHeader\" and \"udpGso\" apply to UDP listeners only; ignored for this TCP listener");
        }

        return new ListenerConfig
        {
            Index = index,
            Name = name,
            ListenAddress = listenAddress!,
            ListenPorts = listenPorts,
            TargetV4Address = v4Address,
            TargetV4Ports = v4Ports,
            TargetV6Address = v6Address,
            TargetV6Ports = v6Ports,
            Subnets = subnets,
            SubnetsSource = subnetsSource,
            Template = new ProxyOptions
            {
                Role = role,
                Transparent = transparent,
                DynamicDestination = dynamic,
                AllowedDestinations = destinations,
                AllowedDestinationsPath = destinationsPath,
                TargetsGiven = d.Ipv4 is not null || d.Ipv6 is not null,
                SendHeader = sendHeader,
                SendCrc32C = d.Crc32c ?? false,
                SendUniqueId = d.UniqueId ?? false,
                Protocol = protocol,
                AllowedSubnetsPath = subnetsPath,
                Listeners = (int)sockets,
                Mark = (uint)mark,
                CloseAfter = closeAfter!.Value,
                MaxUdpFlows = (int)maxUdpFlows,
                HeaderTimeout = headerTimeout!.Value,
                MaxHeaderSize = (int)maxHeaderSize,
                ConnectTimeout = connectTimeout!.Value,
                IdleTimeout = idleTimeout,
                Backlog = d.Backlog is null ? null : (int)backlog,
                SpliceThreshold = (int)spliceThreshold,
                PipeSize = (int)pipeSize,
                UdpGso = d.UdpGso ?? ListenerSettings.UdpGso.Default,
                UdpHeader = HeaderFormatNames.Parse(udpHeader),
            },
        };
    }

    /// <summary>"role" and the fields of one role only: a sender has "remote" and "header", a receiver "ipv4"/"ipv6" and "udpHeader".</summary>
    private bool TryRole(ListenerDocument d, TransportProtocol protocol, out ListenerRole role, out SendHeaderFormat header)
    {
        role = ListenerRole.Receive;
        header = SendHeaderFormat.V2;
        if (d.Role is not null && !string.Equals(d.Role, "receive", StringComparison.OrdinalIgnoreCase))
        {
            if (!string.Equals(d.Role, "send", StringComparison.OrdinalIgnoreCase))
            {
                Fail("role", $"'{ConfigErrors.Printable(d.Role)}' is not a role: use \"receive\" (the default: strip the header, spoof the client) or \"send\" (write the header, like mmproxy send)");
                return false;
            }

            role = ListenerRole.Send;
        }

        if (role == ListenerRole.Receive)
        {
            string? sendOnly = d.Remote is not null ? "remote" : d.Header is not null ? "header" : d.Crc32c is not null ? "crc32c" : d.UniqueId is not null ? "uniqueId" : null;
            return sendOnly is null || Failed(sendOnly, "belongs to a sending listener: add \"role\": \"send\" (or remove the field)");
        }

        string? receiveOnly = d.Ipv4 is not null ? "ipv4" : d.Ipv6 is not null ? "ipv6" : d.UdpHeader is not null ? "udpHeader"
            : d.HeaderTimeout is not null ? "headerTimeout" : d.MaxHeaderSize is not null ? "maxHeaderSize" : null;
        if (receiveOnly is not null)
        {
            return Failed(receiveOnly, "belongs to a receiving listener: a sending listener (\"role\": \"send\") forwards to \"remote\"; remove the field");
        }

        if (d.Remote is null)
        {
            return Failed("remote", "missing: a sending listener needs the receiver's address, for example \"remote\": \"192.0.2.10:8443\"");
        }

        string name = ListenerSettings.SendHeader.Default;
        if (d.Header is { } given && !ListenerSettings.SendHeader.TryParse(given, out name))
        {
            return Failed("header", $"\"{ConfigErrors.Printable(given)}\" is not {ListenerSettings.SendHeader.Expected}");
        }

        header = HeaderFormatNames.ParseSend(name);
        string? problem = (header, protocol) switch
        {
            (SendHeaderFormat.V1, TransportProtocol.Udp) => "v1 is TCP only (it has no datagram families): use \"v2\" or \"spp\" for UDP",
            (SendHeaderFormat.Spp, TransportProtocol.Tcp) => "spp is UDP only: use \"v1\" or \"v2\" for TCP",
            _ when header != SendHeaderFormat.V2 && (d.Crc32c == true || d.UniqueId == true) => "\"crc32c\" and \"uniqueId\" are TLVs of PROXY v2: use \"header\": \"v2\"",
            _ => null,
        };
        return problem is null || Failed("header", problem);
    }

    private bool Failed(string field, string problem)
    {
        Fail(field, problem);
        return false;
    }

    private ListenerConfig? Fail(string field, string problem)
    {
        Error = ConfigErrors.Field(source, index, name, field, problem);
        return null;
    }

    private bool TryAddressAndPorts(string text, string field, AddressFamily? family, out IPAddress? address, out PortRange ports)
    {
        address = null;
        ports = default;
        string shown = ConfigErrors.Printable(text);
        int colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            Fail(field, $"'{shown}' has no port: write IP:PORT or IP:FIRST-LAST, for example \"127.0.0.1:443\", \"[::1]:443\" or \"0.0.0.0:10000-10009\"");
            return false;
        }

        if (!PortRange.TryParse(text.AsSpan(colon + 1), out ports, out string? portProblem))
        {
            Fail(field, $"'{shown}': {portProblem}");
            return false;
        }

        // The address part as the command line reads it (":443" = every address, brackets for IPv6).
        string single = string.Concat(text.AsSpan(0, colon), ":", ports.First.ToString(CultureInfo.InvariantCulture));
        if (!EndPointParser.TryParse(single, out IPEndPoint? endPoint, out string? problem))
        {
            Fail(field, $"'{shown}': {problem}");
            return false;
        }

        if (family is { } f && endPoint!.AddressFamily != f)
        {
            Fail(field, f == AddressFamily.InterNetwork
                ? $"'{shown}' is not an IPv4 address: \"ipv4\" is where IPv4 clients go, for example \"127.0.0.1:443\""
                : $"'{shown}' is not an IPv6 address: \"ipv6\" is where IPv6 clients go, for example \"[::1]:443\"");
            return false;
        }

        address = endPoint!.Address;
        return true;
    }

    /// <param name="portless">A TPROXY or dynamic listener: the address alone (port 0) means the port the client connected to.</param>
    private bool TryTarget(string text, string field, AddressFamily? family, PortRange listenPorts, out IPAddress address, out PortRange ports, bool portless = false)
    {
        address = IPAddress.None;
        if (portless && EndPointParser.TryParseTarget(text, out IPEndPoint? bare, out _) && bare!.Port == 0
            && (family is null || bare.AddressFamily == family))
        {
            (address, ports) = (bare.Address, new PortRange(0, 1));
            return true;
        }

        if (!TryAddressAndPorts(text, field, family, out IPAddress? parsed, out ports))
        {
            return false;
        }

        if (!ports.IsSingle && ports.Count != listenPorts.Count)
        {
            Fail(field, $"the range {ports} has {ports.Count} ports but \"listen\" has {listenPorts.Count} ({listenPorts}): a range maps port for port, so give {listenPorts.Count} ports (or a single port for all)");
            return false;
        }

        if (ports.First == 0)
        {
            Fail(field, "port 0 is not a target port: give the port the service listens on");
            return false;
        }

        address = parsed!;
        return true;
    }

    /// <summary>The field's value, or the setting's default when the field is absent.</summary>
    private bool TryInteger(IntegerSetting setting, long? given, out long value)
    {
        value = given ?? setting.Default ?? setting.Min;
        if (given is { } v && !setting.IsValid(v))
        {
            Fail(setting.Field, string.Create(CultureInfo.InvariantCulture, $"{v} is out of range: expected {setting.Expected} ({setting.Description})"));
            return false;
        }

        return true;
    }

    private bool TryDuration(DurationSetting setting, JsonElement? element, out TimeSpan? value)
    {
        value = setting.Default;
        if (element is not { } e || e.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        bool ok = e.ValueKind switch
        {
            JsonValueKind.Number => e.TryGetDouble(out double seconds) && seconds >= 0 && seconds <= DurationParser.Max.TotalSeconds
                && setting.TryAccept(TimeSpan.FromSeconds(seconds), out value),
            JsonValueKind.String => setting.TryParse(e.GetString()!, out value),
            _ => false,
        };
        if (!ok)
        {
            Fail(setting.Field, $"{ConfigErrors.Printable(e.GetRawText())} is not {setting.Expected}");
            return false;
        }

        return true;
    }
}
