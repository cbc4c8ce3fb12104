using System.Globalization;
using System.Net;
using System.Reflection;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Configuration.ConfigFile;
using MmProxy.Diagnostics;

namespace MmProxy.Hosting;

/// <summary>
/// Flags mode (go-mmproxy's command line): a configuration of one listener built from the flags.
/// SIGHUP re-reads its --allowed-subnets file; everything else stays as the flags said.
/// </summary>
internal sealed class FlagsConfigSource(ProxyOptions options) : IConfigSource
{
    public const string SourceName = "the command line";

    public bool ListenersMayChange => false;

    public void LogStarting(ILogger log)
    {
        if (options.Role == ListenerRole.Send)
        {
            ProxyLog.StartingSend(log, Version, Protocol, options.ListenEndPoint, options.TargetV4, options.Mark);
        }
        else
        {
            ProxyLog.Starting(log, Version, Protocol, options.ListenEndPoint, options.TargetV4, options.TargetV6, options.Mark);
        }
    }

    /// <summary>The message names the address already (one listener: no label needed).</summary>
    public string OpenError(ListenerUnit unit, string error) => error;

    public ConfigLoadResult Load()
    {
        AllowedSubnets? subnets = null;
        IReadOnlyList<string> warnings = [];
        if (options.AllowedSubnetsPath is { } path)
        {
            AllowedSubnetsLoadResult loaded = AllowedSubnetsLoader.LoadFile(path);
            warnings = loaded.Warnings;
            if (!loaded.Succeeded)
            {
                return ConfigLoadResult.Failure(loaded.Error!, warnings);
            }

            subnets = loaded.Subnets;
        }

        ProxyOptions template = options;
        if (options.AllowedDestinationsPath is { } destinationsPath)
        {
            AllowedDestinationsLoadResult destinations = AllowedDestinationsLoader.LoadFile(destinationsPath);
            warnings = [.. warnings, .. destinations.Warnings];
            if (!destinations.Succeeded)
            {
                return ConfigLoadResult.Failure(destinations.Error!, warnings);
            }

            // Read anew on every SIGHUP; a changed list is swapped under the running listener.
            template = options with { AllowedDestinations = destinations.Destinations };
        }

        var listener = new ListenerConfig
        {
            Index = 0,
            Label = "-l " + options.ListenEndPoint,
            ListenAddress = options.ListenEndPoint.Address,
            ListenPorts = new PortRange(options.ListenEndPoint.Port, 1),
            TargetV4Address = options.TargetV4.Address,
            TargetV4Ports = new PortRange(options.TargetV4.Port, 1),
            TargetV6Address = options.TargetV6.Address,
            TargetV6Ports = new PortRange(options.TargetV6.Port, 1),
            Subnets = subnets,
            SubnetsSource = options.AllowedSubnetsPath,
            Template = template,
        };
        return ConfigLoadResult.Success(new ProxyConfig(SourceName, [listener]), warnings);
    }

    public void LogLoaded(ILogger log, ProxyConfig config)
    {
        if (config.Listeners[0].Subnets is { } subnets)
        {
            ProxyLog.SubnetsLoaded(log, subnets.Networks.Count, options.AllowedSubnetsPath!);
        }
        else if (options.Role == ListenerRole.Receive)
        {
            ProxyLog.AllowingEveryone(log);
        }
    }

    public void LogOpened(ILogger log, ListenerUnit unit, IRunningListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (options.Role == ListenerRole.Send)
        {
            ProxyLog.Sending(log, Protocol, listener.EndPoint, listener.SocketCount, options.TargetV4, options.SendHeader == SendHeaderFormat.Spp ? "SPP" : "PROXY " + HeaderFormatNames.Name(options.SendHeader));
        }
        else if (listener is TcpRunningListener tcp)
        {
            ProxyLog.Listening(log, tcp.EndPoint, tcp.SocketCount, tcp.Backlog);
        }
        else if (listener is UdpRunningListener udp)
        {
            UdpLog.Listening(log, udp.EndPoint, udp.SocketCount, HeaderFormatNames.Name(options.UdpHeader), (long)options.CloseAfter.TotalMilliseconds, udp.MaxFlows);
        }
    }

    public void LogReloading(ILogger log)
    {
    }

    public string LogReloaded(ILogger log, ProxyConfig config, ReloadPlan plan, int ports)
    {
        if (options.AllowedDestinationsPath is { } destinations)
        {
            ArgumentNullException.ThrowIfNull(plan);
            AllowedDestinations? next = config.Listeners[0].Template.AllowedDestinations;
            bool changed = plan.Keep.Any(k => !Equals(k.Old.Options.AllowedDestinations, k.New.Options.AllowedDestinations));
            ReloadLog.DestinationsReloaded(log, destinations, next?.Entries.Count ?? 0, changed ? "changed, in force for new connections" : "unchanged");
        }

        if (config.Listeners[0].Subnets is not { } subnets)
        {
            if (options.AllowedDestinationsPath is null)
            {
                ReloadLog.NothingToReload(log);
            }

            return "Reloaded: no allowed subnets file";
        }

        ReloadLog.SubnetsReloaded(log, options.AllowedSubnetsPath!, subnets.Networks.Count);
        return "Reloaded the allowed subnets";
    }

    public string ListeningStatus(IReadOnlyList<IRunningListener> listeners)
    {
        IPEndPoint endPoint = listeners.Count > 0 ? listeners[0].EndPoint : options.ListenEndPoint;
        return options.Protocol == TransportProtocol.Udp
            ? string.Create(CultureInfo.InvariantCulture, $"Listening on {endPoint} (udp)")
            : string.Create(CultureInfo.InvariantCulture, $"Listening on {endPoint}");
    }

    public string RejectedStatus(string error) => "Reload rejected (previous allowed subnets kept): " + error;

    private string Protocol => options.Protocol == TransportProtocol.Udp ? "udp" : "tcp";

    private static string Version =>
        typeof(FlagsConfigSource).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
