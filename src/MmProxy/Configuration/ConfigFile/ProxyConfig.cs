namespace MmProxy.Configuration.ConfigFile;

/// <summary>A validated configuration file: its listeners, in file order.</summary>
internal sealed class ProxyConfig
{
    public ProxyConfig(string path, IReadOnlyList<ListenerConfig> listeners)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(listeners);
        Path = path;
        Listeners = listeners;
    }

    public string Path { get; }

    public IReadOnlyList<ListenerConfig> Listeners { get; }

    /// <summary>Every listening port of every listener.</summary>
    public IReadOnlyList<ListenerUnit> Units()
    {
        var units = new List<ListenerUnit>();
        foreach (ListenerConfig listener in Listeners)
        {
            units.AddRange(listener.Expand());
        }

        return units;
    }
}
