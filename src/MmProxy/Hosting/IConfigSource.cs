using Microsoft.Extensions.Logging;
using MmProxy.Configuration.ConfigFile;

namespace MmProxy.Hosting;

/// <summary>
/// Where the host's listeners come from: the command line's one listener (<see cref="FlagsConfigSource"/>)
/// or a configuration file (<see cref="FileConfigSource"/>). The host runs both the same way
/// (load, open, reload on SIGHUP, drain); the source reads the configuration and words the lines
/// operators know from each mode.
/// </summary>
internal interface IConfigSource
{
    /// <summary>The listeners may change on SIGHUP (a file), or they are fixed (the flags).</summary>
    bool ListenersMayChange { get; }

    /// <summary>Reads the configuration now (at startup and on every SIGHUP).</summary>
    ConfigLoadResult Load();

    /// <summary>First of all, before the configuration is judged.</summary>
    void LogStarting(ILogger log);

    /// <summary>The configuration was read at startup.</summary>
    void LogLoaded(ILogger log, ProxyConfig config);

    /// <summary>Why a listener of <paramref name="unit"/> could not open, as the error says it.</summary>
    string OpenError(ListenerUnit unit, string error);

    /// <summary>A listener of <paramref name="unit"/> started.</summary>
    void LogOpened(ILogger log, ListenerUnit unit, IRunningListener listener);

    /// <summary>SIGHUP arrived: before <see cref="Load"/>.</summary>
    void LogReloading(ILogger log);

    /// <summary>A reload was applied; returns the status reported to systemd.</summary>
    string LogReloaded(ILogger log, ProxyConfig config, ReloadPlan plan, int ports);

    /// <summary>The systemd status while listening.</summary>
    string ListeningStatus(IReadOnlyList<IRunningListener> listeners);

    /// <summary>The systemd status after a rejected reload.</summary>
    string RejectedStatus(string error);
}
