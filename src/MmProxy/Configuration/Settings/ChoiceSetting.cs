namespace MmProxy.Configuration.Settings;

/// <summary>A setting that takes one of a few names (case-insensitive), as a flag value and as a configuration-file string.</summary>
internal sealed class ChoiceSetting(string flag, string field, string description, IReadOnlyList<string> choices, string defaultValue, bool hidden = false)
    : Setting(flag, [], field, string.Join('|', choices), description, hidden)
{
    public IReadOnlyList<string> Choices { get; } = choices;

    public string Default { get; } = defaultValue;

    public override string Expected => "one of " + string.Join(", ", Choices);

    /// <summary>The canonical spelling of <paramref name="text"/>, or false when it is none of the choices.</summary>
    public bool TryParse(string text, out string value)
    {
        foreach (string choice in Choices)
        {
            if (string.Equals(text, choice, StringComparison.OrdinalIgnoreCase))
            {
                value = choice;
                return true;
            }
        }

        value = Default;
        return false;
    }
}
