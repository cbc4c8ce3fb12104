namespace MmProxy.Configuration.ConfigFile;

/// <summary>The JSON shape of a configuration file (<c>--config</c>), before validation.</summary>
internal sealed class ConfigDocument
{
    public List<ListenerDocument?>? Listeners { get; set; }
}
