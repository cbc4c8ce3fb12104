using System.Globalization;

namespace MmProxy.Configuration.Settings;

/// <summary>A whole-number setting with inclusive limits; a null default means "the kernel's" (the backlog).</summary>
internal sealed class IntegerSetting(string flag, string[] aliases, string field, string helpName, string description, long? defaultValue, long min, long max, bool hidden = false)
    : Setting(flag, aliases, field, helpName, description, hidden)
{
    public long? Default { get; } = defaultValue;

    public long Min { get; } = min;

    public long Max { get; } = max;

    public override string Expected => string.Create(CultureInfo.InvariantCulture, $"an integer from {Min} to {Max}");

    public bool IsValid(long value) => value >= Min && value <= Max;

    /// <summary>The value, or the default (which must exist), as an int.</summary>
    public int IntOrDefault(long? value) => checked((int)(value ?? Default!.Value));
}
