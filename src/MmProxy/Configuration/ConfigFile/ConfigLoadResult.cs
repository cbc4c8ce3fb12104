namespace MmProxy.Configuration.ConfigFile;

/// <summary>The outcome of reading a configuration file: a configuration (with warnings) or one error.</summary>
internal sealed class ConfigLoadResult
{
    private ConfigLoadResult(ProxyConfig? config, string? error, IReadOnlyList<string> warnings)
    {
        Config = config;
        Error = error;
        Warnings = warnings;
    }

    public ProxyConfig? Config { get; }

    /// <summary>Names the file, the listener (index and name) and the field, and says how to fix it.</summary>
    public string? Error { get; }

    public IReadOnlyList<string> Warnings { get; }

    public bool Succeeded => Config is not null;

    public static ConfigLoadResult Success(ProxyConfig config, IReadOnlyList<string> warnings) => new(config, null, warnings);

    public static ConfigLoadResult Failure(string error, IReadOnlyList<string> warnings) => new(null, error, warnings);
}
