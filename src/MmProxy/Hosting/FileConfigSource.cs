using System.Globalization;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Configuration.ConfigFile;
using MmProxy.Diagnostics;

namespace MmProxy.Hosting;

/// <summary><c>--config FILE</c>: any number of listeners; SIGHUP re-reads the file and its allowed-subnets files.</summary>
internal sealed class FileConfigSource(string path) : IConfigSource
{
    public bool ListenersMayChange => true;

    public ConfigLoadResult Load() => ConfigFileLoader.LoadFile(path);

    public void LogStarting(ILogger log)
    {
    }

    public string OpenError(ListenerUnit unit, string error) => $"{unit.Label}: {error}";

    public void LogLoaded(ILogger log, ProxyConfig config)
    {
        ReloadLog.ConfigLoaded(log, path, config.Listeners.Count, config.Units().Count);
        WarnAllowingEveryone(log, config);
    }

    public void LogOpened(ILogger log, ListenerUnit unit, IRunningListener listener)
    {
        ProxyOptions o = unit.Options;
        ReloadLog.ListenerOpened(log, unit.Label, Describe(o), listener.EndPoint, o.TargetV4, o.TargetV6,
            listener.SocketCount, unit.Subnets.AllowsAll ? "everyone" : o.AllowedSubnetsPath ?? "inline");
    }

    private static string Describe(ProxyOptions o)
    {
        string protocol = o.Protocol == TransportProtocol.Udp ? "udp" : "tcp";
        return o.Role == ListenerRole.Send
            ? $"send {protocol} (header {HeaderFormatNames.Name(o.SendHeader)})"
            : o.Protocol == TransportProtocol.Udp ? $"udp (header {HeaderFormatNames.Name(o.UdpHeader)})" : protocol;
    }

    public void LogReloading(ILogger log) => ReloadLog.Reloading(log, path);

    public string LogReloaded(ILogger log, ProxyConfig config, ReloadPlan plan, int ports)
    {
        ArgumentNullException.ThrowIfNull(plan);
        WarnAllowingEveryone(log, config);
        ReloadLog.Reloaded(log, path, plan.Keep.Count, plan.Open.Count, plan.Close.Count, plan.Reopen.Count);
        return Status(ports);
    }

    public string ListeningStatus(IReadOnlyList<IRunningListener> listeners) => Status(listeners.Count);

    public string RejectedStatus(string error) => "Reload rejected (previous configuration running): " + error;

    private static string Status(int ports) => string.Create(CultureInfo.InvariantCulture, $"Listening on {ports} ports");

    private static void WarnAllowingEveryone(ILogger log, ProxyConfig config)
    {
        foreach (ListenerConfig listener in config.Listeners)
        {
            // The sending side's clients claim nothing: allowing every one of them is the normal case.
            if (listener.Subnets is null && listener.Template.Role == ListenerRole.Receive)
            {
                ProxyLog.ConfigurationWarning(log, $"{config.Path}: {listener.Label}: no \"allowedSubnets\": every peer may send PROXY headers to it");
            }
        }
    }
}
