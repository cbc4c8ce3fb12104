namespace MmProxy.Configuration.Settings;

/// <summary>
/// A duration: seconds, or a number with ms, s, m or h, at most a year. With <see cref="CanBeOff"/>,
/// 0 or "off" turns the feature off (the value is then null); otherwise it must be greater than zero.
/// </summary>
internal sealed class DurationSetting(string flag, string[] aliases, string field, string description, TimeSpan? defaultValue, bool canBeOff, bool hidden = false, string helpName = "DURATION")
    : Setting(flag, aliases, field, helpName, description, hidden)
{
    public TimeSpan? Default { get; } = defaultValue;

    public bool CanBeOff { get; } = canBeOff;

    public override string Expected => CanBeOff
        ? "a duration such as \"500ms\", \"30s\", \"5m\" or a number of seconds; \"off\" or 0 turns it off"
        : "a duration greater than zero such as \"500ms\", \"5s\", \"1m\" or a number of seconds";

    /// <summary>Parses a flag value or a configuration string; <paramref name="value"/> is null for "off".</summary>
    public bool TryParse(string text, out TimeSpan? value)
    {
        value = null;
        if (CanBeOff && string.Equals(text.Trim(), "off", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!DurationParser.TryParse(text, out TimeSpan parsed))
        {
            return false;
        }

        return TryAccept(parsed, out value);
    }

    /// <summary>Checks a parsed duration (a configuration number of seconds, or a parsed string).</summary>
    public bool TryAccept(TimeSpan duration, out TimeSpan? value)
    {
        value = null;
        if (duration < TimeSpan.Zero || duration > DurationParser.Max)
        {
            return false;
        }

        if (duration == TimeSpan.Zero)
        {
            return CanBeOff;
        }

        value = duration;
        return true;
    }
}
