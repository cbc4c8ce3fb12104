namespace MmProxy.Configuration.Settings;

/// <summary>
/// One tunable of a listener: its command-line flag (with go-mmproxy's and mmproxy-rs's spellings),
/// its configuration-file field, what it means, and whether <c>--help</c> shows it (hidden ones
/// are for measurements; README lists them). The kinds add the default and the limits.
/// </summary>
internal abstract class Setting
{
    protected Setting(string flag, string[] aliases, string field, string helpName, string description, bool hidden)
    {
        Flag = flag;
        Aliases = aliases;
        Field = field;
        HelpName = helpName;
        Description = description;
        Hidden = hidden;
    }

    /// <summary>The canonical flag, e.g. "--header-timeout".</summary>
    public string Flag { get; }

    public IReadOnlyList<string> Aliases { get; }

    /// <summary>The field of a listener in the configuration file, e.g. "headerTimeout".</summary>
    public string Field { get; }

    public string HelpName { get; }

    public string Description { get; }

    public bool Hidden { get; }

    /// <summary>The listeners it applies to (the command that has the flag: <c>mmproxy</c>, <c>mmproxy send</c>).</summary>
    public SettingRoles Roles { get; init; } = SettingRoles.Both;

    /// <summary>What the value must be, for error messages: "an integer from 1 to 1024".</summary>
    public abstract string Expected { get; }
}
