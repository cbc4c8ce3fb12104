using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using MmProxy.Configuration.Settings;

namespace MmProxy.Cli;

/// <summary>
/// Options generated from <see cref="ListenerSettings"/> entries (name, default, limits, help) and
/// the value parsers every command shares: Go's integer syntax, durations, addresses, choices.
/// </summary>
internal static class SettingOptions
{
    /// <summary>The option of any setting kind.</summary>
    public static Option For(Setting setting) => setting switch
    {
        IntegerSetting integer => IntegerOption(integer),
        DurationSetting duration => DurationOption(duration),
        SwitchSetting @switch => SwitchOption(@switch),
        ChoiceSetting choice => ChoiceOption(choice),
        FlagSetting flag => FlagOption(flag),
        _ => throw new InvalidOperationException("no option kind for " + setting.Flag),
    };

    public static Option<bool> FlagOption(FlagSetting setting) => new(setting.Flag, [.. setting.Aliases])
    {
        Description = setting.Description,
        Hidden = setting.Hidden,
    };

    public static Option<long?> IntegerOption(IntegerSetting setting)
    {
        var option = new Option<long?>(setting.Flag, [.. setting.Aliases])
        {
            Description = setting.Description,
            HelpName = setting.HelpName,
            Hidden = setting.Hidden,
            CustomParser = r => ParseInteger(r, setting.Min, setting.Max),
        };
        if (setting.Default is { } value)
        {
            option.DefaultValueFactory = _ => value;
        }

        return option;
    }

    public static Option<TimeSpan?> DurationOption(DurationSetting setting) => new(setting.Flag, [.. setting.Aliases])
    {
        Description = setting.Description,
        HelpName = setting.HelpName,
        Hidden = setting.Hidden,
        CustomParser = r => ParseDuration(r, setting),
    };

    // A string, not a bool: a bool option is a switch (no value) to Go's flag syntax.
    public static Option<string> SwitchOption(SwitchSetting setting) => new(setting.Flag, [.. setting.Aliases])
    {
        Description = setting.Description,
        HelpName = setting.HelpName,
        Hidden = setting.Hidden,
        DefaultValueFactory = _ => setting.Default ? "on" : "off",
        CustomParser = r =>
        {
            string? text = SingleToken(r);
            if (text is null || !SwitchSetting.TryParse(text, out bool value))
            {
                r.AddError($"{OptionName(r)}: invalid value '{text}': expected {setting.Expected}");
                return setting.Default ? "on" : "off";
            }

            return value ? "on" : "off";
        },
    };

    public static Option<string> ChoiceOption(ChoiceSetting setting) => new(setting.Flag, [.. setting.Aliases])
    {
        Description = setting.Description,
        HelpName = setting.HelpName,
        Hidden = setting.Hidden,
        DefaultValueFactory = _ => setting.Default,
        CustomParser = r =>
        {
            string? text = SingleToken(r);
            if (text is null || !setting.TryParse(text, out string value))
            {
                r.AddError($"{OptionName(r)}: invalid value '{text}': expected {setting.Expected}");
                return setting.Default;
            }

            return value;
        },
    };

    public static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.IdentifierToken?.Value ?? option.Option.Name : result.Argument.Name;

    public static string? SingleToken(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
        {
            result.AddError($"{OptionName(result)}: a value is required");
            return null;
        }

        return result.Tokens[^1].Value;
    }

    /// <summary>-4/-6: IP:PORT, or the address alone (port 0: the port the client connected to).</summary>
    public static IPEndPoint? ParseTarget(ArgumentResult result) => ParseAddress(result, target: true);

    public static IPEndPoint? ParseEndPoint(ArgumentResult result) => ParseAddress(result, target: false);

    private static IPEndPoint? ParseAddress(ArgumentResult result, bool target)
    {
        string? text = SingleToken(result);
        if (text is null)
        {
            return null;
        }

        IPEndPoint? endPoint;
        string? problem;
        bool parsed = target
            ? EndPointParser.TryParseTarget(text, out endPoint, out problem)
            : EndPointParser.TryParse(text, out endPoint, out problem);
        if (!parsed)
        {
            result.AddError($"{OptionName(result)}: invalid address '{text}': {problem}");
            return null;
        }

        return endPoint;
    }

    public static string ParseChoice(ArgumentResult result, params string[] choices)
    {
        string? text = SingleToken(result);
        if (text is null)
        {
            return choices[0];
        }

        foreach (string choice in choices)
        {
            if (string.Equals(text, choice, StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }

        result.AddError($"{OptionName(result)}: invalid value '{text}': expected {string.Join(" or ", choices)}");
        return choices[0];
    }

    // Go's flag package reads integers with base prefixes (0x10, 0o20, 020); so do we.
    public static long ParseInteger(ArgumentResult result, long min, long max)
    {
        string? text = SingleToken(result);
        if (text is null)
        {
            return min;
        }

        if (!TryParseGoInteger(text, out long value) || value < min || value > max)
        {
            result.AddError($"{OptionName(result)}: invalid value '{text}': expected an integer from {min} to {max}");
            return min;
        }

        return value;
    }

    public static bool TryParseGoInteger(string text, out long value)
    {
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        value = 0;
        bool negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        s = RemoveUnderscores(s, out string? buffer) ? buffer.AsSpan() : s;
        bool ok;
        if (s.Length > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        {
            ok = long.TryParse(s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else if (s.Length > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        {
            ok = TryParseOctal(s[2..], out value);
        }
        else if (s.Length > 1 && s[0] == '0')
        {
            ok = TryParseOctal(s[1..], out value);
        }
        else
        {
            ok = long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        if (ok && negative)
        {
            value = -value;
        }

        return ok;
    }

    private static bool RemoveUnderscores(ReadOnlySpan<char> s, out string? result)
    {
        result = null;
        if (!s.Contains('_'))
        {
            return false;
        }

        result = s.ToString().Replace("_", string.Empty, StringComparison.Ordinal);
        return true;
    }

    private static bool TryParseOctal(ReadOnlySpan<char> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 21)
        {
            return false;
        }

        foreach (char c in s)
        {
            if (c is < '0' or > '7')
            {
                return false;
            }

            value = (value * 8) + (c - '0');
        }

        return value >= 0;
    }

    public static TimeSpan? ParseDuration(ArgumentResult result, DurationSetting setting)
    {
        string? text = SingleToken(result);
        if (text is null)
        {
            return setting.Default;
        }

        if (!setting.TryParse(text, out TimeSpan? value))
        {
            result.AddError($"{OptionName(result)}: invalid duration '{text}': expected {setting.Expected}");
            return setting.Default;
        }

        return value ?? TimeSpan.Zero;
    }
}
