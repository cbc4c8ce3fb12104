using System.Net;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>
/// One validated entry of the configuration file. A port range listens on every port of the range;
/// port <c>i</c> of the range forwards to port <c>i</c> of each target's range (or to the target's
/// single port). <see cref="Expand"/> yields one <see cref="ListenerUnit"/> per listening port.
/// </summary>
internal sealed class ListenerConfig
{
    public required int Index { get; init; }

    public string? Name { get; init; }

    public required IPAddress ListenAddress { get; init; }

    public required PortRange ListenPorts { get; init; }

    public required IPAddress TargetV4Address { get; init; }

    public required PortRange TargetV4Ports { get; init; }

    public required IPAddress TargetV6Address { get; init; }

    public required PortRange TargetV6Ports { get; init; }

    /// <summary>Null: no subnets given, every peer is allowed.</summary>
    public AllowedSubnets? Subnets { get; init; }

    /// <summary>Where <see cref="Subnets"/> came from (a file path, or "inline"), for the log.</summary>
    public string? SubnetsSource { get; init; }

    /// <summary>Every setting but the endpoints, which <see cref="Expand"/> fills in per port.</summary>
    public required ProxyOptions Template { get; init; }

    /// <summary>"listeners[2] (name "dns")": how messages name this listener (the command line's says "-l ADDR").</summary>
    public string Label
    {
        get => field ?? ConfigErrors.Label(Index, Name);
        init;
    }

    public IEnumerable<ListenerUnit> Expand()
    {
        for (int i = 0; i < ListenPorts.Count; i++)
        {
            ProxyOptions options = Template with
            {
                ListenEndPoint = new IPEndPoint(ListenAddress, ListenPorts.PortAt(i)),
                TargetV4 = new IPEndPoint(TargetV4Address, TargetV4Ports.PortAt(i)),
                TargetV6 = new IPEndPoint(TargetV6Address, TargetV6Ports.PortAt(i)),
            };
            yield return new ListenerUnit(Label, options, Subnets ?? AllowedSubnets.AllowAll);
        }
    }
}
