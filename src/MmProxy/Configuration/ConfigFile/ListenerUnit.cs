using System.Globalization;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>
/// One listening port of a configured listener: what the host opens, and what a reload compares.
/// Units with the same <see cref="Key"/> (protocol and listen endpoint) are the same listener across
/// reloads; the allowed subnets may change under a running unit, any other setting reopens it.
/// </summary>
internal sealed class ListenerUnit
{
    public ListenerUnit(string label, ProxyOptions options, AllowedSubnets subnets)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(subnets);
        Label = label;
        Options = options;
        Subnets = subnets;
        Key = KeyOf(options);
    }

    public string Label { get; }

    public ProxyOptions Options { get; }

    public AllowedSubnets Subnets { get; }

    /// <summary>"tcp 0.0.0.0:10000".</summary>
    public string Key { get; }

    public static string KeyOf(ProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.Create(CultureInfo.InvariantCulture,
            $"{(options.Protocol == TransportProtocol.Udp ? "udp" : "tcp")} {options.ListenEndPoint}");
    }

    /// <summary>The settings a listener of its protocol uses: a change to any other (closeAfter on TCP, spliceThreshold on UDP) does not reopen it.</summary>
    private static ProxyOptions Applicable(ProxyOptions o)
    {
        var defaults = new ProxyOptions();
        // The allow lists are swapped under running sockets; their files' paths do not matter either.
        ProxyOptions common = o with
        {
            AllowedSubnetsPath = null,
            AllowedDestinations = null,
            AllowedDestinationsPath = null,
            Verbosity = defaults.Verbosity,
            LogFormat = defaults.LogFormat,
        };
        return o.Protocol == TransportProtocol.Tcp
            ? common with { CloseAfter = defaults.CloseAfter, MaxUdpFlows = defaults.MaxUdpFlows, UdpGso = defaults.UdpGso, UdpHeader = defaults.UdpHeader }
            : common with
            {
                HeaderTimeout = defaults.HeaderTimeout,
                ConnectTimeout = defaults.ConnectTimeout,
                IdleTimeout = defaults.IdleTimeout,
                Backlog = defaults.Backlog,
                SpliceThreshold = defaults.SpliceThreshold,
                PipeSize = defaults.PipeSize,
            };
    }

    /// <summary>True when everything but the allowed subnets is the same: the sockets can stay.</summary>
    public bool HasSameSettings(ListenerUnit other)
    {
        ArgumentNullException.ThrowIfNull(other);
        // The settings that apply to the protocol, but the subnets file (its contents are swapped
        // under running sockets) and the process-wide logging settings.
        return Applicable(Options) == Applicable(other.Options);
    }
}
