namespace MmProxy.Configuration.Settings;

/// <summary>An on/off setting: "on" or "off" as a flag value, true or false in the configuration file.</summary>
internal sealed class SwitchSetting(string flag, string field, string description, bool defaultValue, bool hidden = false)
    : Setting(flag, [], field, "on|off", description, hidden)
{
    public bool Default { get; } = defaultValue;

    public override string Expected => "on or off (true or false in the configuration file)";

    public static bool TryParse(string text, out bool value)
    {
        value = string.Equals(text, "on", StringComparison.OrdinalIgnoreCase) || string.Equals(text, "true", StringComparison.OrdinalIgnoreCase);
        return value || string.Equals(text, "off", StringComparison.OrdinalIgnoreCase) || string.Equals(text, "false", StringComparison.OrdinalIgnoreCase);
    }
}
