using System.Globalization;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>How configuration errors name their place: file, listener (index and name), field.</summary>
internal static class ConfigErrors
{
    public static string Label(int index, string? name) =>
        name is null
            ? string.Create(CultureInfo.InvariantCulture, $"listeners[{index}]")
            : string.Create(CultureInfo.InvariantCulture, $"listeners[{index}] (name \"{Printable(name)}\")");

    public static string Field(string file, int index, string? name, string field, string problem) =>
        $"{file}: {Label(index, name)}: field \"{field}\": {problem}";

    /// <summary>Values come from a file; keep control characters out of log lines.</summary>
    public static string Printable(string text)
    {
        const int MaxShown = 64;
        var chars = new char[Math.Min(text.Length, MaxShown)];
        for (int i = 0; i < chars.Length; i++)
        {
            char c = text[i];
            chars[i] = char.IsControl(c) ? '?' : c;
        }

        return text.Length > MaxShown ? new string(chars) + "..." : new string(chars);
    }
}
